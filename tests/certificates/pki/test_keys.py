"""Tests for certificates.pki.keys: the supported key types and the CA keys at rest."""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from certificates import pki


@pytest.mark.parametrize(
    ("key_type", "key_class", "size"),
    [("rsa-2048", rsa.RSAPrivateKey, 2048), ("ec-p256", ec.EllipticCurvePrivateKey, 256)],
)
def test_generate_private_key(key_type, key_class, size):
    key = pki.generate_private_key(key_type)
    assert isinstance(key, key_class)
    assert key.key_size == size
    assert pki.key_type_of(key.public_key()) == key_type
    if key_type == "rsa-2048":
        assert key.public_key().public_numbers().e == 65537
    else:
        assert isinstance(key.curve, ec.SECP256R1)


def test_generate_private_key_rejects_unknown_type():
    with pytest.raises(ValueError, match="Unknown key type"):
        pki.generate_private_key("rsa-1024")


def test_key_type_of_rejects_other_keys():
    with pytest.raises(ValueError):
        pki.key_type_of(ec.generate_private_key(ec.SECP384R1()).public_key())


@pytest.mark.parametrize("key_type", pki.KEY_TYPES)
def test_encrypted_private_key_round_trip(key_type):
    key = pki.generate_private_key(key_type)
    pem = pki.serialize_encrypted_private_key(key, b"correct horse")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = pki.load_encrypted_private_key(pem, b"correct horse")
    assert loaded.private_numbers() == key.private_numbers()
    with pytest.raises(ValueError):
        pki.load_encrypted_private_key(pem, b"wrong horse")
