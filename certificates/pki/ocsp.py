"""OCSP (RFC 6960): requests read, responses signed by a delegated responder, and its certificate."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from certificates.pki.authority import (
    SIGNATURE_HASH,
    authority_key_identifier,
    ca_name,
    random_serial,
    require_aware,
)
from certificates.pki.keys import PrivateKey, PublicKey

# Short-lived on purpose: id-pkix-ocsp-nocheck means nobody checks whether the responder itself was
# revoked (RFC 6960 4.2.2.2.1), so its certificate must end soon after its key could leak.
RESPONDER_VALIDITY = timedelta(days=7)
RESPONDER_COMMON_NAME = "CertCenter Sim OCSP Responder"
# thisUpdate .. nextUpdate of one answer: a relying party may reuse it that long.
RESPONSE_VALIDITY = timedelta(hours=1)

ResponseStatus = ocsp.OCSPResponseStatus


class CertStatus(enum.Enum):
    GOOD = ocsp.OCSPCertStatus.GOOD
    REVOKED = ocsp.OCSPCertStatus.REVOKED
    UNKNOWN = ocsp.OCSPCertStatus.UNKNOWN


class RequestRefused(Exception):
    """A request this responder does not answer; ``response_status`` is the OCSP error to send."""

    def __init__(self, response_status: ocsp.OCSPResponseStatus, message: str):
        super().__init__(message)
        self.response_status = response_status


def create_responder_certificate(
    *,
    key: PrivateKey,
    issuer_key: PrivateKey,
    issuer_cert: x509.Certificate,
    now: datetime,
    validity: timedelta = RESPONDER_VALIDITY,
) -> x509.Certificate:
    """Return a delegated OCSP-signing certificate for key, issued by the issuing CA."""
    require_aware(now=now)
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )
    name = ca_name(RESPONDER_COMMON_NAME)
    extensions = [
        x509.Extension(ExtensionOID.BASIC_CONSTRAINTS, True, x509.BasicConstraints(False, None)),
        x509.Extension(ExtensionOID.KEY_USAGE, True, usage),
        x509.Extension(ExtensionOID.EXTENDED_KEY_USAGE, False,
                       x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING])),
        x509.Extension(ExtensionOID.OCSP_NO_CHECK, False, x509.OCSPNoCheck()),
        x509.Extension(ExtensionOID.SUBJECT_KEY_IDENTIFIER, False,
                       x509.SubjectKeyIdentifier.from_public_key(key.public_key())),
        authority_key_identifier(issuer_cert),
    ]
    return x509.CertificateBuilder(
        issuer_name=issuer_cert.subject,
        subject_name=name,
        public_key=key.public_key(),
        serial_number=random_serial(),
        not_valid_before=now,
        not_valid_after=min(now + validity, issuer_cert.not_valid_after_utc),
        extensions=extensions,
    ).sign(issuer_key, SIGNATURE_HASH)


def _subject_public_key_bits(public_key: PublicKey) -> bytes:
    # The BIT STRING subjectPublicKey that issuerKeyHash covers (RFC 6960 4.1.1), without the
    # SubjectPublicKeyInfo wrapping.
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    raise ValueError(f"Unsupported public key {type(public_key).__name__}.")


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    hasher = hashes.Hash(algorithm)
    hasher.update(data)
    return hasher.finalize()


def issuer_hashes(
    issuer_cert: x509.Certificate, algorithm: hashes.HashAlgorithm
) -> tuple[bytes, bytes]:
    """Return (issuerNameHash, issuerKeyHash) of issuer_cert under algorithm."""
    return _issuer_hashes(issuer_cert, type(algorithm))


@lru_cache(maxsize=16)
def _issuer_hashes(issuer_cert: x509.Certificate, algorithm_class) -> tuple[bytes, bytes]:
    # Every request is checked against the issuing CA: hash its name and key once per algorithm.
    algorithm = algorithm_class()
    return (
        _digest(algorithm, issuer_cert.subject.public_bytes()),
        _digest(algorithm, _subject_public_key_bits(issuer_cert.public_key())),
    )


def request_load(der: bytes) -> ocsp.OCSPRequest:
    """Parse a DER OCSP request; RequestRefused(malformedRequest) on anything we cannot read.

    ``cryptography`` reads one certificate per request, which is what relying parties send; a
    request for several is refused as malformed rather than answered in part.
    """
    try:
        request = ocsp.load_der_ocsp_request(der)
        # Touch the lazily parsed fields now, so a broken one is refused here and not while signing.
        request.serial_number, request.hash_algorithm, request.extensions  # noqa: B018
    except (ValueError, TypeError) as error:
        raise RequestRefused(ResponseStatus.MALFORMED_REQUEST, str(error)) from None
    return request


def request_nonce(request: ocsp.OCSPRequest) -> bytes | None:
    """The request's nonce (RFC 8954), or None."""
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


def request_check_issuer(request: ocsp.OCSPRequest, issuer_cert: x509.Certificate) -> None:
    """Refuse (unauthorized) a request about a certificate another CA issued."""
    if (request.issuer_name_hash, request.issuer_key_hash) != issuer_hashes(
        issuer_cert, request.hash_algorithm
    ):
        raise RequestRefused(ResponseStatus.UNAUTHORIZED, "not issued by this responder's CA")


def response_build(
    *,
    request: ocsp.OCSPRequest,
    responder_key: PrivateKey,
    responder_cert: x509.Certificate,
    status: CertStatus,
    this_update: datetime,
    next_update: datetime,
    revoked_at: datetime | None = None,
    reason: x509.ReasonFlags | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """Return the DER of a signed answer about the one certificate request asks for.

    ``reason`` "unspecified" is left out, as on the CRL (RFC 5280 5.3.1), so both say the same.
    """
    require_aware(this_update=this_update, next_update=next_update)
    revoked = status is CertStatus.REVOKED
    if revoked and revoked_at is None:
        raise ValueError("A revoked answer needs revoked_at.")
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number,
        algorithm=request.hash_algorithm,
        cert_status=status.value,
        this_update=this_update,
        next_update=next_update,
        revocation_time=revoked_at if revoked else None,
        revocation_reason=(
            reason if revoked and reason is not x509.ReasonFlags.unspecified else None
        ),
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder_cert)
    # The delegated responder's certificate goes along, so a client can check it chains to the CA.
    builder = builder.certificates([responder_cert])
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.sign(responder_key, SIGNATURE_HASH).public_bytes(serialization.Encoding.DER)


def error_response(status: ocsp.OCSPResponseStatus) -> bytes:
    """Return the DER of an unsigned error answer (malformedRequest, unauthorized, tryLater...)."""
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )
