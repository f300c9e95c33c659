"""How a certificate's details are shown to customers and staff (masked where personal)."""

import functools
import re

from cryptography import x509
from cryptography.x509.oid import NameOID

from accounts.masking import mask_name
from certificates import pki

# The 금융인증서 CN is "<name>()<bank code + digits>"; the name itself may hold "()" or anything else.
_COMMON_NAME = re.compile(r"^(?P<name>.*)\(\)(?P<suffix>\d*)$", re.DOTALL)
UNREADABLE_SUBJECT = "****"


def mask_subject(subject: str | x509.Name) -> str:
    """CN=홍길동()004…,OU=…,C=KR → CN=홍*동()004…,OU=…,C=KR: the name masked, the rest as issued.

    ``subject`` is a parsed name or its RFC 4514 text (as stored). The text is parsed, never split:
    a name may carry ",", "+", "=" or "\\\\", which RFC 4514 escapes. Every common name is masked,
    also one without the "()" suffix; a text that does not parse is not shown at all.
    """
    try:
        if isinstance(subject, str):
            subject = x509.Name.from_rfc4514_string(subject)
        return x509.Name([
            x509.RelativeDistinguishedName([_masked(attribute) for attribute in rdn])
            for rdn in subject.rdns
        ]).rfc4514_string()
    except ValueError:  # malformed text, or an attribute cryptography refuses to rebuild
        return UNREADABLE_SUBJECT


def _masked(attribute: x509.NameAttribute) -> x509.NameAttribute:
    if attribute.oid != NameOID.COMMON_NAME:
        return attribute
    match = _COMMON_NAME.match(attribute.value)
    if not match:
        return x509.NameAttribute(NameOID.COMMON_NAME, mask_name(attribute.value))
    return x509.NameAttribute(NameOID.COMMON_NAME, f"{mask_name(match['name'])}(){match['suffix']}")


def serial_key(typed: str) -> str:
    """A serial as typed or shown (77:C0:26:…, upper case, 0x…) → as stored: lower-case hex
    without separators or leading zeros."""
    return typed.strip().lower().removeprefix("0x").replace(":", "").lstrip("0")


def format_serial(serial_hex: str) -> str:
    """1a2b3 → 01:A2:B3, the way certificate viewers show a serial."""
    padded = serial_hex.zfill(len(serial_hex) + len(serial_hex) % 2).upper()
    return ":".join(padded[i:i + 2] for i in range(0, len(padded), 2))


def certificate_details(der: bytes | memoryview, serial: str) -> dict:
    """What the 발급 완료 page and 인증서 관리 show of an issued certificate: issuer, SHA-256
    fingerprint and the serial as written for people."""
    return {**_der_details(bytes(der)), "serial_display": format_serial(serial)}


@functools.lru_cache(maxsize=1024)
def _der_details(der: bytes) -> dict:
    """Parsed once per process (a certificate's bytes never change), not on each page view."""
    parsed = pki.load_certificate(der)
    return {"issuer": parsed.issuer.rfc4514_string(), "fingerprint": pki.fingerprint_sha256(parsed)}
