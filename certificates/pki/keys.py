"""The key pairs our CAs and customers hold: the supported types, new keys, and CA keys at rest."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

KEY_TYPES = ("rsa-2048", "ec-p256")

_RSA_PUBLIC_EXPONENT = 65537
_RSA_KEY_SIZE = 2048


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
