"""The KISA identity binding (identifyData with a VID) that ties a certificate to one person."""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

# KISA "Subscriber identification based on virtual ID" (KCAC.TS.SIVID): id-kisa-identifyData
# names the subjectAltName otherName, id-VID the VID attribute inside it.
IDENTIFY_DATA_OID = ObjectIdentifier("1.2.410.200004.10.1.1")
VID_OID = ObjectIdentifier("1.2.410.200004.10.1.1.1")
VID_RANDOM_BYTES = 20  # KISA asks for R of at least 160 bits.

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


def identity_other_name(*, real_name: str, vid: bytes) -> x509.OtherName:
    """Return the subjectAltName otherName that binds a certificate to real_name and vid."""
    return x509.OtherName(IDENTIFY_DATA_OID, _identify_data(real_name=real_name, vid=vid))


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
