"""Our two CAs (root and issuing): their names and certificates, and what all they sign shares."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtensionOID, NameOID

from certificates.pki.keys import PrivateKey, PublicKey

# The names say "Sim" and "Simulation" on purpose: this CA must never be mistaken for
# (or pass itself off as) yessign or any other accredited Korean CA.
CA_ORGANIZATION = "CertCenter"
CA_ORGANIZATIONAL_UNIT = "Simulation"
ROOT_CA_COMMON_NAME = "CertCenter Sim Root CA"
ISSUING_CA_COMMON_NAME = "CertCenter Sim CA Class 1"
ROOT_CA_VALIDITY_DAYS = 20 * 365 + 5
ISSUING_CA_VALIDITY_DAYS = 10 * 365 + 2

# Every certificate and CRL our CAs sign, they sign with SHA-256.
SIGNATURE_HASH = hashes.SHA256()

# A serial of exactly 159 bits: bit 158 is forced on so that every serial has the same length,
# is > 0 and, being below 2**159, encodes in 20 octets without a leading zero (RFC 5280's limit).
# That leaves 158 random bits, far above the 64 bits of entropy CA/B-style rules ask for.
_SERIAL_BITS = 159


def random_serial() -> int:
    """Return a random, positive certificate serial number that fits RFC 5280's 20 octets."""
    return secrets.randbits(_SERIAL_BITS - 1) | (1 << (_SERIAL_BITS - 1))


def require_aware(**moments: datetime) -> None:
    """Raise ValueError unless every moment (named by its keyword) is timezone-aware."""
    # The project runs with TIME_ZONE = "Asia/Seoul"; a naive datetime would be read as UTC by
    # cryptography and silently shift validity by nine hours.
    for label, moment in moments.items():
        if moment.tzinfo is None:
            raise ValueError(f"{label} must be timezone-aware.")


def ca_name(common_name: str) -> x509.Name:
    """Return the distinguished name of one of our (simulation) CAs."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA_ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, CA_ORGANIZATIONAL_UNIT),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_extensions(
    *, public_key: PublicKey, path_length: int, issuer_ski: x509.SubjectKeyIdentifier
) -> list[x509.Extension]:
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski)
    usage = x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    return [
        x509.Extension(
            ExtensionOID.BASIC_CONSTRAINTS, True, x509.BasicConstraints(True, path_length)
        ),
        x509.Extension(ExtensionOID.KEY_USAGE, True, usage),
        x509.Extension(ExtensionOID.SUBJECT_KEY_IDENTIFIER, False, ski),
        x509.Extension(ExtensionOID.AUTHORITY_KEY_IDENTIFIER, False, aki),
    ]


def create_root_ca(
    *,
    key: PrivateKey,
    common_name: str = ROOT_CA_COMMON_NAME,
    now: datetime,
    validity_days: int = ROOT_CA_VALIDITY_DAYS,
) -> x509.Certificate:
    """Return a self-signed root certificate allowing one intermediate CA below it."""
    require_aware(now=now)
    name = ca_name(common_name)
    public_key = key.public_key()
    extensions = _ca_extensions(
        public_key=public_key,
        path_length=1,
        # A self-signed certificate's AKI names its own key (RFC 5280 4.2.1.1 allows it).
        issuer_ski=x509.SubjectKeyIdentifier.from_public_key(public_key),
    )
    builder = x509.CertificateBuilder(
        issuer_name=name,
        subject_name=name,
        public_key=public_key,
        serial_number=random_serial(),
        not_valid_before=now,
        not_valid_after=now + timedelta(days=validity_days),
        extensions=extensions,
    )
    return builder.sign(key, SIGNATURE_HASH)


def create_issuing_ca(
    *,
    key: PrivateKey,
    root_key: PrivateKey,
    root_cert: x509.Certificate,
    common_name: str = ISSUING_CA_COMMON_NAME,
    now: datetime,
    validity_days: int = ISSUING_CA_VALIDITY_DAYS,
) -> x509.Certificate:
    """Return the issuing CA's certificate, signed by the root; it may sign only end entities."""
    require_aware(now=now)
    extensions = _ca_extensions(
        public_key=key.public_key(), path_length=0, issuer_ski=_subject_key_identifier(root_cert)
    )
    builder = x509.CertificateBuilder(
        issuer_name=root_cert.subject,
        subject_name=ca_name(common_name),
        public_key=key.public_key(),
        serial_number=random_serial(),
        not_valid_before=now,
        not_valid_after=now + timedelta(days=validity_days),
        extensions=extensions,
    )
    return builder.sign(root_key, SIGNATURE_HASH)


def _subject_key_identifier(cert: x509.Certificate) -> x509.SubjectKeyIdentifier:
    # cryptography parses a certificate's extensions once and caches them, so this is cheap
    # enough to do for every certificate a bulk renewal signs.
    return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value


def authority_key_identifier(issuer_cert: x509.Certificate) -> x509.Extension:
    """Return the AuthorityKeyIdentifier extension naming issuer_cert's key (for what it signs)."""
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
        _subject_key_identifier(issuer_cert)
    )
    return x509.Extension(ExtensionOID.AUTHORITY_KEY_IDENTIFIER, False, aki)
