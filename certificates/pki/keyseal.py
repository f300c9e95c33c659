"""Seal a customer's private key under their PIN and a server-side pepper, and open it again.

Threat model
------------
The cloud 금융인증서 keeps the customer's private key on the server, so a copy of the database
(a backup, a dump, an SQL injection) must not give the keys away. A 6-digit PIN has only 10**6
values: no password hash makes that safe against an offline search on its own (at ~50 ms a
guess the whole space costs about 14 CPU-hours). The AES-256-GCM key is therefore derived from
scrypt(PIN) *and* a server-side pepper (the PIN_PEPPER setting, kept outside the database),
combined with HKDF-SHA256 keyed by the pepper: without the pepper a sealed key cannot be tested
against any PIN at all. If the pepper leaks together with the database, scrypt's cost per guess
is what remains. Guessing online, through the application, is bounded by the caller, which
counts every UnsealFailed and locks the certificate after five in a row.

Not covered: someone running code on the server (they see PINs as they are typed), and the
opened key while it is in memory (Python cannot wipe it).

AES-GCM cannot tell a wrong PIN from a damaged blob; both raise UnsealFailed. A blob whose header
cannot be read at all raises ValueError.

Blob format, version 1 (integers unsigned, big-endian)
------------------------------------------------------
    offset  size  field
    0       1     version = 1
    1       1     KDF = 1 (scrypt)
    2       1     log2(n), scrypt's CPU/memory cost
    3       1     r, scrypt's block size
    4       1     p, scrypt's parallelism
    5       16    scrypt salt (random)
    21      12    AES-GCM nonce (random)
    33      ...   AES-256-GCM(PKCS#8 DER of the private key) followed by the 16-byte tag

The whole 33-byte header is the GCM associated data, so neither the version nor the KDF
parameters can be changed without the tag failing. A later version can add fields to the
header (a pepper id, for rotating PIN_PEPPER) behind a new version byte.
"""

from __future__ import annotations

import secrets
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from certificates.pki.keys import PrivateKey

__all__ = [
    "DEFAULT_N",
    "DEFAULT_P",
    "DEFAULT_R",
    "UnsealFailed",
    "kdf_parameters",
    "needs_rehash",
    "seal_private_key",
    "unseal_private_key",
]

# scrypt at n=2**14, r=8, p=1 uses 16 MiB and tens of milliseconds: the interactive setting
# from the scrypt paper, affordable on every PIN entry.
DEFAULT_N = 2**14
DEFAULT_R = 8
DEFAULT_P = 1

VERSION = 1
_KDF_SCRYPT = 1
_KDF_NAMES = {_KDF_SCRYPT: "scrypt"}
_HEADER = struct.Struct(">BBBBB16s12s")
_SALT_BYTES = 16
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_BYTES = 32
# A fixed label, not the module's path: changing it would make every sealed key unopenable.
_HKDF_INFO = b"certcenter.certificates.keyseal v1"

# Bounds on what a blob may ask for: a tampered header must not make unsealing allocate
# gigabytes, and no setting should drop below a floor that still costs an attacker something.
_MIN_LOG2_N = 10
_MAX_SCRYPT_MEMORY = 256 * 1024 * 1024  # 128 * n * r bytes
_MAX_P = 16
_MIN_PEPPER_BYTES = 16


class UnsealFailed(Exception):
    """The PIN (or the pepper) does not open this sealed key, or the blob was altered."""


def _check_parameters(n: int, r: int, p: int) -> int:
    log2_n = n.bit_length() - 1
    if n < 1 or n != 1 << log2_n or log2_n < _MIN_LOG2_N:
        raise ValueError(f"scrypt n must be a power of two, at least 2**{_MIN_LOG2_N}.")
    if not 1 <= r <= 255 or 128 * n * r > _MAX_SCRYPT_MEMORY:
        raise ValueError("scrypt n and r ask for too much memory.")
    if not 1 <= p <= _MAX_P:
        raise ValueError(f"scrypt p must be between 1 and {_MAX_P}.")
    return log2_n


def _check_pepper(pepper: bytes) -> None:
    # An empty or short pepper would quietly bring back the offline PIN search it exists to stop.
    if len(pepper) < _MIN_PEPPER_BYTES:
        raise ValueError(f"The pepper must be at least {_MIN_PEPPER_BYTES} bytes.")


def _derive_key(*, pin: str, pepper: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    stretched = Scrypt(salt=salt, length=_KEY_BYTES, n=n, r=r, p=p).derive(pin.encode("utf-8"))
    # HKDF-Extract is HMAC keyed with the pepper, so the AES key depends on both secrets.
    hkdf = HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=pepper, info=_HKDF_INFO)
    return hkdf.derive(stretched)


def _read_header(blob: bytes) -> tuple[bytes, int, int, int, bytes, bytes]:
    if len(blob) < _HEADER.size + _TAG_BYTES:
        raise ValueError("Sealed key is too short.")
    version, kdf, log2_n, r, p, salt, nonce = _HEADER.unpack_from(blob)
    if version != VERSION or kdf != _KDF_SCRYPT:
        raise ValueError(f"Unsupported sealed key (version {version}, KDF {kdf}).")
    n = 1 << log2_n
    _check_parameters(n, r, p)
    return blob[: _HEADER.size], n, r, p, salt, nonce


def seal_private_key(
    *,
    private_key: PrivateKey,
    pin: str,
    pepper: bytes,
    n: int = DEFAULT_N,
    r: int = DEFAULT_R,
    p: int = DEFAULT_P,
) -> bytes:
    """Return private_key sealed under pin and pepper, in the versioned format above."""
    if not pin:
        raise ValueError("The PIN must not be empty.")
    _check_pepper(pepper)
    log2_n = _check_parameters(n, r, p)
    # A fresh random nonce per key is safe for GCM: each AES key encrypts exactly one message.
    salt = secrets.token_bytes(_SALT_BYTES)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    header = _HEADER.pack(VERSION, _KDF_SCRYPT, log2_n, r, p, salt, nonce)
    key = _derive_key(pin=pin, pepper=pepper, salt=salt, n=n, r=r, p=p)
    plaintext = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return header + AESGCM(key).encrypt(nonce, plaintext, header)


def unseal_private_key(*, blob: bytes, pin: str, pepper: bytes) -> PrivateKey:
    """Return the private key sealed in blob; raise UnsealFailed if pin and pepper do not open it."""
    _check_pepper(pepper)
    header, n, r, p, salt, nonce = _read_header(blob)
    key = _derive_key(pin=pin, pepper=pepper, salt=salt, n=n, r=r, p=p)
    try:
        plaintext = AESGCM(key).decrypt(nonce, blob[_HEADER.size :], header)
    except InvalidTag:
        raise UnsealFailed from None
    # The tag proves we sealed this key ourselves, so the RSA consistency checks (~26 ms a key)
    # would only repeat what was checked when the key was generated.
    private_key = serialization.load_der_private_key(
        plaintext, password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"Unsupported private key {type(private_key).__name__}.")
    return private_key


def kdf_parameters(blob: bytes) -> dict[str, int | str]:
    """Return the version and KDF parameters a blob was sealed with."""
    _, n, r, p, _, _ = _read_header(blob)
    return {"version": VERSION, "kdf": _KDF_NAMES[_KDF_SCRYPT], "n": n, "r": r, "p": p}


def needs_rehash(blob: bytes, *, n: int, r: int, p: int) -> bool:
    """Return whether blob should be sealed again (with the PIN just verified) to new settings."""
    params = kdf_parameters(blob)
    return (params["n"], params["r"], params["p"]) != (n, r, p)
