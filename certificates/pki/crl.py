"""Certificate revocation lists signed by the issuing CA, and the RFC 5280 revocation reasons."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from types import MappingProxyType

from cryptography import x509
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID

from certificates.pki.authority import SIGNATURE_HASH, authority_key_identifier, require_aware
from certificates.pki.keys import PrivateKey

REVOCATION_REASONS = MappingProxyType({reason.name: reason for reason in x509.ReasonFlags})

# One shared extension object per reason: a CRL may list 100,000 entries.
_REASON_EXTENSIONS = MappingProxyType(
    {
        reason: x509.Extension(CRLEntryExtensionOID.CRL_REASON, False, x509.CRLReason(reason))
        for reason in x509.ReasonFlags
        # RFC 5280 5.3.1: the reason code "unspecified" SHOULD be absent rather than written.
        if reason is not x509.ReasonFlags.unspecified
    }
)


def build_crl(
    *,
    issuer_key: PrivateKey,
    issuer_cert: x509.Certificate,
    revoked: Iterable[tuple[int, datetime, x509.ReasonFlags | None]],
    last_update: datetime,
    next_update: datetime,
    crl_number: int,
) -> x509.CertificateRevocationList:
    """Return a CRL signed by the issuing CA listing revoked (serial, time, reason) entries."""
    require_aware(last_update=last_update, next_update=next_update)
    entries = []
    for serial, revoked_at, reason in revoked:
        reason_extension = _REASON_EXTENSIONS.get(reason) if reason is not None else None
        entries.append(
            x509.RevokedCertificateBuilder(
                serial_number=serial,
                revocation_date=revoked_at,
                extensions=[reason_extension] if reason_extension is not None else [],
            ).build()
        )
    # All entries go in at once: add_revoked_certificate() copies the list on every call,
    # which makes a large CRL quadratic.
    builder = x509.CertificateRevocationListBuilder(
        issuer_name=issuer_cert.subject,
        last_update=last_update,
        next_update=next_update,
        extensions=[
            x509.Extension(ExtensionOID.CRL_NUMBER, False, x509.CRLNumber(crl_number)),
            authority_key_identifier(issuer_cert),
        ],
        revoked_certificates=entries,
    )
    return builder.sign(issuer_key, SIGNATURE_HASH)
