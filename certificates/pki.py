"""X.509 for the simulated CA: keys, CA and 금융인증서 certificates, identity binding, CRLs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from types import MappingProxyType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    CRLEntryExtensionOID,
    ExtensionOID,
    NameOID,
    ObjectIdentifier,
)

__all__ = [
    "FINANCIAL_CERTIFICATE_POLICY_OID",
    "IDENTIFY_DATA_OID",
    "ISSUING_CA_COMMON_NAME",
    "KEY_TYPES",
    "REVOCATION_REASONS",
    "ROOT_CA_COMMON_NAME",
    "VID_OID",
    "VID_RANDOM_BYTES",
    "build_crl",
    "build_end_entity_certificate",
    "ca_name",
    "certificate_der",
    "certificate_pem",
    "compute_vid",
    "create_issuing_ca",
    "create_root_ca",
    "end_entity_subject",
    "fingerprint_sha256",
    "generate_private_key",
    "identity_binding",
    "key_type_of",
    "load_certificate",
    "load_encrypted_private_key",
    "new_vid_random",
    "random_serial",
    "renew_certificate",
    "serialize_encrypted_private_key",
    "vid_matches",
]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

KEY_TYPES = ("rsa-2048", "ec-p256")

# The names say "Sim" and "Simulation" on purpose: this CA must never be mistaken for
# (or pass itself off as) yessign or any other accredited Korean CA.
CA_ORGANIZATION = "CertCenter"
CA_ORGANIZATIONAL_UNIT = "Simulation"
ROOT_CA_COMMON_NAME = "CertCenter Sim Root CA"
ISSUING_CA_COMMON_NAME = "CertCenter Sim CA Class 1"
ROOT_CA_VALIDITY_DAYS = 20 * 365 + 5
ISSUING_CA_VALIDITY_DAYS = 10 * 365 + 2

# The policy OID the real 금융인증서 carries; the domain layer may configure another.
FINANCIAL_CERTIFICATE_POLICY_OID = "1.2.410.200005.1.1.1.10"

# KISA "Subscriber identification based on virtual ID" (KCAC.TS.SIVID): id-kisa-identifyData
# names the subjectAltName otherName, id-VID the VID attribute inside it.
IDENTIFY_DATA_OID = ObjectIdentifier("1.2.410.200004.10.1.1")
VID_OID = ObjectIdentifier("1.2.410.200004.10.1.1.1")
VID_RANDOM_BYTES = 20  # KISA asks for R of at least 160 bits.

REVOCATION_REASONS = MappingProxyType({reason.name: reason for reason in x509.ReasonFlags})

_SHA256 = hashes.SHA256()
_RSA_PUBLIC_EXPONENT = 65537
_RSA_KEY_SIZE = 2048

# A serial of exactly 159 bits: bit 158 is forced on so that every serial has the same length,
# is > 0 and, being below 2**159, encodes in 20 octets without a leading zero (RFC 5280's limit).
# That leaves 158 random bits, far above the 64 bits of entropy CA/B-style rules ask for.
_SERIAL_BITS = 159


def generate_private_key(key_type: str = "rsa-2048") -> PrivateKey:
    """Return a fresh private key of one of KEY_TYPES."""
    if key_type == "rsa-2048":
        return rsa.generate_private_key(
            public_exponent=_RSA_PUBLIC_EXPONENT, key_size=_RSA_KEY_SIZE
        )
    if key_type == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"Unknown key type {key_type!r}; expected one of {KEY_TYPES}.")


def key_type_of(public_key: PublicKey) -> str:
    """Return the KEY_TYPES name of a public key."""
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == _RSA_KEY_SIZE:
        return "rsa-2048"
    if isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(
        public_key.curve, ec.SECP256R1
    ):
        return "ec-p256"
    raise ValueError(f"Unsupported public key {type(public_key).__name__}.")


def random_serial() -> int:
    """Return a random, positive certificate serial number that fits RFC 5280's 20 octets."""
    return secrets.randbits(_SERIAL_BITS - 1) | (1 << (_SERIAL_BITS - 1))


def _require_aware(**moments: datetime) -> None:
    # The project runs with TIME_ZONE = "Asia/Seoul"; a naive datetime would be read as UTC by
    # cryptography and silently shift validity by nine hours.
    for label, moment in moments.items():
        if moment.tzinfo is None:
            raise ValueError(f"{label} must be timezone-aware.")


# -- CA certificates ----------------------------------------------------------------------------


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
    _require_aware(now=now)
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
    return builder.sign(key, _SHA256)


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
    _require_aware(now=now)
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
    return builder.sign(root_key, _SHA256)


def _subject_key_identifier(cert: x509.Certificate) -> x509.SubjectKeyIdentifier:
    # cryptography parses a certificate's extensions once and caches them, so this is cheap
    # enough to do for every certificate a bulk renewal signs.
    return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value


def serialize_encrypted_private_key(key: PrivateKey, passphrase: bytes) -> bytes:
    """Return the key as encrypted PKCS#8 PEM, for keeping the CA keys at rest."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def load_encrypted_private_key(pem: bytes, passphrase: bytes) -> PrivateKey:
    """Load a key written by serialize_encrypted_private_key; ValueError on a wrong passphrase."""
    key = serialization.load_pem_private_key(pem, password=passphrase)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"Unsupported private key {type(key).__name__}.")
    return key


# -- Identity binding (KISA identifyData / VID) -------------------------------------------------
#
# The structure below follows KISA's KCAC.TS.SIVID as deployed in Korean certificates (it is
# what Korean client libraries parse), rather than a simplified "SEQUENCE OF SEQUENCE { VID }":
#
#   otherName   ::= SEQUENCE { type-id id-kisa-identifyData, value [0] EXPLICIT IdentifyData }
#   IdentifyData ::= SEQUENCE {
#       realName  UTF8String,
#       userInfo  SEQUENCE SIZE (1..MAX) OF AttributeTypeAndValue OPTIONAL }
#                 -- here exactly one: SEQUENCE { type id-VID, value VID }
#   VID ::= SEQUENCE {
#       hashAlg   AlgorithmIdentifier,           -- sha256, parameters absent (RFC 5754)
#       virtualID [0] EXPLICIT OCTET STRING }
#   VID value = h(h(DER(HashContent)))
#   HashContent ::= SEQUENCE { idn PrintableString, randomNum BIT STRING }
#
# Only these few types are needed, so a dozen lines of DER beat a dependency on pyasn1.

_SEQUENCE = 0x30
_UTF8_STRING = 0x0C
_PRINTABLE_STRING = 0x13
_BIT_STRING = 0x03
_OCTET_STRING = 0x04
_OBJECT_IDENTIFIER = 0x06
_NULL = 0x05
_CONTEXT_0 = 0xA0


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(octets))) + octets + content


def _der_oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _der(_OBJECT_IDENTIFIER, bytes(body))


def _der_read(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """Read one TLV at offset; return (tag, content, offset after it)."""
    if offset + 2 > len(data):
        raise ValueError("Truncated DER.")
    tag, first = data[offset], data[offset + 1]
    offset += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise ValueError("Unsupported DER length.")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise ValueError("Truncated DER.")
    return tag, data[offset:end], end


def _der_items(content: bytes) -> list[tuple[int, bytes]]:
    items, offset = [], 0
    while offset < len(content):
        tag, value, offset = _der_read(content, offset)
        items.append((tag, value))
    return items


def _der_expect(data: bytes, tag: int) -> bytes:
    found, content, end = _der_read(data)
    if found != tag or end != len(data):
        raise ValueError(f"Expected DER tag 0x{tag:02x}, found 0x{found:02x}.")
    return content


_SHA256_OID_DER = _der_oid("2.16.840.1.101.3.4.2.1")
_SHA256_ALGORITHM_DER = _der(_SEQUENCE, _SHA256_OID_DER)
_VID_OID_DER = _der_oid(VID_OID.dotted_string)


def new_vid_random() -> bytes:
    """Return a fresh random R (160 bits) to bind a certificate to a resident number."""
    return secrets.token_bytes(VID_RANDOM_BYTES)


def compute_vid(*, rrn: str, random_r: bytes) -> bytes:
    """Return KISA's VID = SHA-256(SHA-256(DER(SEQUENCE { PrintableString rrn, BIT STRING R })))."""
    idn = rrn.replace("-", "")  # KISA: the identification number without separators.
    if len(idn) != 13 or not (idn.isascii() and idn.isdigit()):
        raise ValueError("A resident registration number has 13 digits.")
    if len(random_r) < VID_RANDOM_BYTES:
        raise ValueError(f"R must be at least {VID_RANDOM_BYTES * 8} bits.")
    hash_content = _der(
        _SEQUENCE,
        _der(_PRINTABLE_STRING, idn.encode("ascii")) + _der(_BIT_STRING, b"\x00" + random_r),
    )
    return hashlib.sha256(hashlib.sha256(hash_content).digest()).digest()


@lru_cache(maxsize=1024)  # renewal encodes each binding twice: to check it and to sign it again
def _identify_data(*, real_name: str, vid: bytes) -> bytes:
    vid_der = _der(_SEQUENCE, _SHA256_ALGORITHM_DER + _der(_CONTEXT_0, _der(_OCTET_STRING, vid)))
    user_info = _der(_SEQUENCE, _der(_SEQUENCE, _VID_OID_DER + vid_der))
    return _der(_SEQUENCE, _der(_UTF8_STRING, real_name.encode("utf-8")) + user_info)


def _parse_identify_data(data: bytes) -> tuple[str, bytes | None]:
    fields = _der_items(_der_expect(data, _SEQUENCE))
    if not fields or fields[0][0] != _UTF8_STRING:
        raise ValueError("IdentifyData lacks realName.")
    real_name = fields[0][1].decode("utf-8")
    if len(fields) == 1:
        return real_name, None
    if fields[1][0] != _SEQUENCE:
        raise ValueError("IdentifyData.userInfo is not a SEQUENCE.")
    for tag, attribute in _der_items(fields[1][1]):
        if tag != _SEQUENCE:
            raise ValueError("IdentifyData.userInfo holds a non-SEQUENCE.")
        type_and_value = _der_items(attribute)
        if len(type_and_value) != 2:
            raise ValueError("Malformed AttributeTypeAndValue in IdentifyData.")
        (oid_tag, oid), (value_tag, value) = type_and_value
        if _der(oid_tag, oid) != _VID_OID_DER:
            continue
        if value_tag != _SEQUENCE:
            raise ValueError("VID is not a SEQUENCE.")
        vid_fields = _der_items(value)
        if len(vid_fields) != 2 or vid_fields[0][0] != _SEQUENCE or vid_fields[1][0] != _CONTEXT_0:
            raise ValueError("Malformed VID.")
        algorithm = _der_items(vid_fields[0][1])
        # RFC 5754 says omit the parameters, but some encoders write NULL; accept both.
        if (
            not algorithm
            or _der(*algorithm[0]) != _SHA256_OID_DER
            or algorithm[1:] not in ([], [(_NULL, b"")])
        ):
            raise ValueError("Unsupported VID hash algorithm.")
        return real_name, _der_expect(vid_fields[1][1], _OCTET_STRING)
    return real_name, None


def identity_binding(cert: x509.Certificate) -> tuple[str, bytes] | None:
    """Return (real name, VID) from the certificate's identifyData, or None when absent."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for name in san.get_values_for_type(x509.OtherName):
        if name.type_id == IDENTIFY_DATA_OID:
            real_name, vid = _parse_identify_data(name.value)
            if vid is not None:
                return real_name, vid
    return None


def vid_matches(*, cert: x509.Certificate, rrn: str, random_r: bytes) -> bool:
    """Return whether the certificate's VID was computed from this resident number and R."""
    binding = identity_binding(cert)
    if binding is None:
        return False
    return hmac.compare_digest(binding[1], compute_vid(rrn=rrn, random_r=random_r))


_OTHER_NAME = 0xA0  # GeneralName otherName: [0] IMPLICIT SEQUENCE; its value: [0] EXPLICIT
_IDENTIFY_DATA_OID_DER = _der_oid(IDENTIFY_DATA_OID.dotted_string)


def binding_matches(*, cert_der: bytes, real_name: str, vid: bytes) -> bool:
    """Return whether the certificate (DER, as stored) binds exactly this real name and VID.

    Looks for the otherName we would write (identifyData OID and value, with the SHA-256 VID in
    it) in the certificate's bytes instead of decoding every extension: the nightly renewal checks
    each certificate this way, about 25 times faster. Those bytes cannot appear by chance, and the
    certificate is one our CA signed.
    """
    value = _identify_data(real_name=real_name, vid=vid)
    expected = _der(_OTHER_NAME, _IDENTIFY_DATA_OID_DER + _der(_OTHER_NAME, value))
    return expected in cert_der


# -- End-entity certificates --------------------------------------------------------------------


def end_entity_subject(
    *, organization: str, bank_code: str, name: str, serial_suffix: str
) -> x509.Name:
    """Return the 금융인증서 subject: C=KR, O=org, OU=personal4IB, OU=bank, CN=name()suffix."""
    # Each attribute is its own RDN, in this order, as in the real certificates; cryptography
    # writes the CN (Korean) as UTF8String and C as PrintableString.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "personal4IB"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, bank_code),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name}(){serial_suffix}"),
        ]
    )


_END_ENTITY_BASIC_CONSTRAINTS = x509.Extension(
    ExtensionOID.BASIC_CONSTRAINTS, True, x509.BasicConstraints(ca=False, path_length=None)
)
_END_ENTITY_KEY_USAGE = x509.Extension(
    ExtensionOID.KEY_USAGE,
    True,
    x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,  # a.k.a. nonRepudiation: the 금융인증서 signs transactions.
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    ),
)


def _authority_key_identifier(issuer_cert: x509.Certificate) -> x509.Extension:
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
        _subject_key_identifier(issuer_cert)
    )
    return x509.Extension(ExtensionOID.AUTHORITY_KEY_IDENTIFIER, False, aki)


@dataclass(frozen=True)
class EndEntityProfile:
    """The 금융인증서 profile of one issuing CA: the extensions every certificate shares are built
    once, so issuing many (the nightly renewal) signs without rebuilding them each time."""

    issuer_cert: x509.Certificate
    crl_url: str
    ca_issuers_url: str
    policy_oid: str = FINANCIAL_CERTIFICATE_POLICY_OID
    cps_uri: str | None = None

    @cached_property
    def _shared(self) -> tuple[list[x509.Extension], list[x509.Extension]]:
        policy = x509.PolicyInformation(
            ObjectIdentifier(self.policy_oid), [self.cps_uri] if self.cps_uri else None
        )
        distribution_point = x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(self.crl_url)],
            relative_name=None,
            reasons=None,
            crl_issuer=None,
        )
        ca_issuers = x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS,
            x509.UniformResourceIdentifier(self.ca_issuers_url),
        )
        # Order as issued: BasicConstraints, KeyUsage, [SKI], AKI, policies, CRL DP, AIA, [SAN].
        before_ski = [_END_ENTITY_BASIC_CONSTRAINTS, _END_ENTITY_KEY_USAGE]
        after_ski = [
            _authority_key_identifier(self.issuer_cert),
            x509.Extension(
                ExtensionOID.CERTIFICATE_POLICIES, False, x509.CertificatePolicies([policy])
            ),
            x509.Extension(
                ExtensionOID.CRL_DISTRIBUTION_POINTS,
                False,
                x509.CRLDistributionPoints([distribution_point]),
            ),
            x509.Extension(
                ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
                False,
                x509.AuthorityInformationAccess([ca_issuers]),
            ),
        ]
        return before_ski, after_ski

    def build(
        self,
        *,
        issuer_key: PrivateKey,
        public_key: PublicKey,
        subject: x509.Name,
        serial: int,
        not_before: datetime,
        not_after: datetime,
        real_name: str,
        vid: bytes,
    ) -> x509.Certificate:
        """Return a signed certificate for public_key, bound to real_name and vid."""
        _require_aware(not_before=not_before, not_after=not_after)
        before_ski, after_ski = self._shared
        identify_data = x509.OtherName(
            IDENTIFY_DATA_OID, _identify_data(real_name=real_name, vid=vid)
        )
        extensions = [
            *before_ski,
            x509.Extension(
                ExtensionOID.SUBJECT_KEY_IDENTIFIER,
                False,
                x509.SubjectKeyIdentifier.from_public_key(public_key),
            ),
            *after_ski,
            # Non-critical: the subject DN is not empty (RFC 5280 4.2.1.6).
            x509.Extension(
                ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
                False,
                x509.SubjectAlternativeName([identify_data]),
            ),
        ]
        builder = x509.CertificateBuilder(
            issuer_name=self.issuer_cert.subject,
            subject_name=subject,
            public_key=public_key,
            serial_number=serial,
            not_valid_before=not_before,
            not_valid_after=not_after,
            extensions=extensions,
        )
        return builder.sign(issuer_key, _SHA256)


def build_end_entity_certificate(
    *,
    issuer_key: PrivateKey,
    issuer_cert: x509.Certificate,
    public_key: PublicKey,
    subject: x509.Name,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    policy_oid: str = FINANCIAL_CERTIFICATE_POLICY_OID,
    cps_uri: str | None = None,
    crl_url: str,
    ca_issuers_url: str,
    real_name: str,
    vid: bytes,
) -> x509.Certificate:
    """Return a signed 금융인증서-profile certificate for public_key, bound to real_name and vid."""
    profile = EndEntityProfile(
        issuer_cert=issuer_cert, crl_url=crl_url, ca_issuers_url=ca_issuers_url,
        policy_oid=policy_oid, cps_uri=cps_uri,
    )
    return profile.build(
        issuer_key=issuer_key, public_key=public_key, subject=subject, serial=serial,
        not_before=not_before, not_after=not_after, real_name=real_name, vid=vid,
    )


def renew_certificate(
    *,
    issuer_key: PrivateKey,
    issuer_cert: x509.Certificate,
    old_cert: x509.Certificate,
    serial: int,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    """Return a new certificate over old_cert's key and subject, with a new serial and validity."""
    _require_aware(not_before=not_before, not_after=not_after)
    # Reusing the parsed extension objects avoids rebuilding them. The SKI depends only on the
    # (unchanged) public key, so it stays; the AKI follows the issuer, which may have rolled over.
    aki = _authority_key_identifier(issuer_cert)
    extensions = [
        aki if ext.oid == ExtensionOID.AUTHORITY_KEY_IDENTIFIER else ext
        for ext in old_cert.extensions
    ]
    if aki not in extensions:
        extensions.append(aki)
    builder = x509.CertificateBuilder(
        issuer_name=issuer_cert.subject,
        subject_name=old_cert.subject,
        public_key=old_cert.public_key(),
        serial_number=serial,
        not_valid_before=not_before,
        not_valid_after=not_after,
        extensions=extensions,
    )
    return builder.sign(issuer_key, _SHA256)


# -- CRL ----------------------------------------------------------------------------------------

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
    _require_aware(last_update=last_update, next_update=next_update)
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
            _authority_key_identifier(issuer_cert),
        ],
        revoked_certificates=entries,
    )
    return builder.sign(issuer_key, _SHA256)


# -- Encoding helpers ---------------------------------------------------------------------------


def certificate_pem(cert: x509.Certificate) -> str:
    """Return the certificate as PEM text."""
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def certificate_der(cert: x509.Certificate) -> bytes:
    """Return the certificate as DER bytes."""
    return cert.public_bytes(serialization.Encoding.DER)


def load_certificate(der_or_pem: bytes) -> x509.Certificate:
    """Load a certificate given as DER or PEM."""
    if der_or_pem.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(der_or_pem)
    return x509.load_der_x509_certificate(der_or_pem)


def fingerprint_sha256(cert: x509.Certificate) -> str:
    """Return the SHA-256 fingerprint as colon-separated upper-case hex, as openssl prints it."""
    return cert.fingerprint(_SHA256).hex(":").upper()


def crl_der(crl: x509.CertificateRevocationList) -> bytes:
    """Return the CRL as DER bytes (what a CRL distribution point serves)."""
    return crl.public_bytes(serialization.Encoding.DER)
