"""Encryption at rest of resident registration numbers, and their keyed lookup hash.

Threat model: someone who reads the database (a dump, a backup, a replica) must learn no resident
number. Numbers are sealed with AES-256-GCM under ``FIELD_ENCRYPTION_KEYS`` (newest key first; older
keys still decrypt, so keys rotate without a flag day) and each ciphertext names its key id. Lookup
uses an HMAC-SHA256 under ``RRN_LOOKUP_KEY``, a separate secret, so equality search needs no
decryption and the table holds nothing a dictionary of the ~10^10 plausible numbers can reverse
without the key.
"""

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cached_property, lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FORMAT_VERSION = "v1"


class DecryptionError(Exception):
    """The ciphertext is damaged, or no configured key can open it."""


@dataclass(frozen=True)
class FieldKey:
    key_id: str
    secret: bytes

    @cached_property
    def aead(self) -> AESGCM:
        # Built once per key: batch jobs decrypt a number per certificate.
        return AESGCM(self.secret)


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=8)
def _parse_keys(raw: str) -> tuple[FieldKey, ...]:
    keys = []
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id or ":" in encoded:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS entries must look like '<key id>:<base64 of 32 bytes>'."
            )
        secret = _b64decode(encoded)
        if len(secret) != 32:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS key {key_id!r} is not 32 bytes.")
        keys.append(FieldKey(key_id, secret))
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds no key.")
    if len({k.key_id for k in keys}) != len(keys):
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS repeats a key id.")
    return tuple(keys)


def field_keys() -> tuple[FieldKey, ...]:
    return _parse_keys(settings.FIELD_ENCRYPTION_KEYS)


def encrypt(plaintext: str, *, purpose: str) -> str:
    """Seal under the newest key: ``v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>``."""
    key_id, aead, aad = _sealer(settings.FIELD_ENCRYPTION_KEYS, purpose)
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, plaintext.encode(), aad)
    return f"{FORMAT_VERSION}:{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, purpose: str) -> str:
    version, _, rest = token.partition(":")
    key_id, _, encoded = rest.partition(":")
    if version != FORMAT_VERSION:
        raise DecryptionError("unknown ciphertext format")
    opener = _openers(settings.FIELD_ENCRYPTION_KEYS, purpose).get(key_id)
    if opener is None:
        raise DecryptionError(f"key {key_id!r} is not configured")
    aead, aad = opener
    try:
        blob = _b64decode(encoded)
        plaintext = aead.decrypt(blob[:12], blob[12:], aad)
    except (InvalidTag, ValueError, binascii.Error):
        # ValueError: too short for a nonce; binascii.Error: not base64. All mean "damaged".
        raise DecryptionError("ciphertext does not authenticate") from None
    return plaintext.decode()


# Batch jobs seal or open one value per row (renewal: two per certificate, one per SMS): the key and
# its associated data are looked up once per configuration and purpose, not per value.
@lru_cache(maxsize=32)
def _sealer(raw: str, purpose: str) -> tuple[str, AESGCM, bytes]:
    key = _parse_keys(raw)[0]
    return key.key_id, key.aead, _aad(purpose, key.key_id)


@lru_cache(maxsize=32)
def _openers(raw: str, purpose: str) -> dict[str, tuple[AESGCM, bytes]]:
    return {key.key_id: (key.aead, _aad(purpose, key.key_id)) for key in _parse_keys(raw)}


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]


def needs_reencryption(token: str) -> bool:
    return key_id_of(token) != field_keys()[0].key_id


def lookup_hash(value: str, *, purpose: str) -> str:
    """Deterministic keyed hash for equality lookups (hex)."""
    key = hashlib.sha256(b"certcenter.lookup:" + settings.RRN_LOOKUP_KEY.encode()).digest()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _aad(purpose: str, key_id: str) -> bytes:
    # Binding the purpose stops a ciphertext from one column being replayed into another.
    return f"certcenter:{FORMAT_VERSION}:{purpose}:{key_id}".encode()
