"""Tests for certificates.pki.keyseal: the customer's private key sealed under PIN and pepper."""

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from certificates import pki
from certificates.pki import keyseal

PEPPER = bytes.fromhex("8f1e0c6d2b9a47f3a5c4e1d0b2a39687f7e6d5c4b3a29180")
PIN = "482915"
FAST = {"n": 2**10, "r": 8, "p": 1}  # scrypt kept cheap for the tests; one test uses the default.
HEADER_SIZE = 33
TAG_SIZE = 16


@pytest.fixture(scope="module", params=pki.KEY_TYPES)
def private_key(request):
    return pki.generate_private_key(request.param)


def pkcs8(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def seal(key, *, pin=PIN, pepper=PEPPER, **params):
    return keyseal.seal_private_key(private_key=key, pin=pin, pepper=pepper, **(params or FAST))


def test_round_trip(private_key):
    blob = seal(private_key)
    opened = keyseal.unseal_private_key(blob=blob, pin=PIN, pepper=PEPPER)
    assert type(opened) is type(private_key)
    assert opened.private_numbers() == private_key.private_numbers()


def test_opened_key_signs(private_key):
    opened = keyseal.unseal_private_key(blob=seal(private_key), pin=PIN, pepper=PEPPER)
    message = b"transfer 1,000,000 KRW"
    if isinstance(opened, ec.EllipticCurvePrivateKey):
        signature = opened.sign(message, ec.ECDSA(hashes.SHA256()))
        private_key.public_key().verify(signature, message, ec.ECDSA(hashes.SHA256()))
    else:
        signature = opened.sign(message, padding.PKCS1v15(), hashes.SHA256())
        private_key.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


def test_wrong_pin_raises(private_key):
    blob = seal(private_key)
    for pin in ("482916", "", "4829150", "000000"):
        with pytest.raises(keyseal.UnsealFailed):
            keyseal.unseal_private_key(blob=blob, pin=pin, pepper=PEPPER)


def test_wrong_pepper_raises(private_key):
    blob = seal(private_key)
    other_pepper = bytes(b ^ 1 for b in PEPPER)
    with pytest.raises(keyseal.UnsealFailed):
        keyseal.unseal_private_key(blob=blob, pin=PIN, pepper=other_pepper)


@pytest.mark.parametrize(
    "offset",
    [
        5,  # salt
        21,  # nonce
        HEADER_SIZE,  # first ciphertext byte
        -TAG_SIZE - 1,  # last ciphertext byte
        -1,  # tag
    ],
)
def test_tampered_blob_raises_unseal_failed(private_key, offset):
    blob = bytearray(seal(private_key))
    blob[offset] ^= 0x01
    with pytest.raises(keyseal.UnsealFailed):
        keyseal.unseal_private_key(blob=bytes(blob), pin=PIN, pepper=PEPPER)


def test_tampered_parameters_fail_authentication(private_key):
    # Raising (or lowering) the cost in the header changes the key and the associated data.
    blob = bytearray(seal(private_key))
    for index, value in ((2, 11), (3, 4), (4, 2)):
        forged = bytearray(blob)
        forged[index] = value
        with pytest.raises(keyseal.UnsealFailed):
            keyseal.unseal_private_key(blob=bytes(forged), pin=PIN, pepper=PEPPER)


@pytest.mark.parametrize(
    ("index", "value"),
    [(0, 2), (1, 2), (2, 40), (2, 4), (3, 0), (4, 0), (4, 200)],
)
def test_unreadable_header_raises_value_error(private_key, index, value):
    blob = bytearray(seal(private_key))
    blob[index] = value
    with pytest.raises(ValueError):
        keyseal.unseal_private_key(blob=bytes(blob), pin=PIN, pepper=PEPPER)


def test_truncated_blob_raises_value_error(private_key):
    with pytest.raises(ValueError, match="too short"):
        keyseal.unseal_private_key(blob=seal(private_key)[:40], pin=PIN, pepper=PEPPER)
    with pytest.raises(keyseal.UnsealFailed):
        keyseal.unseal_private_key(blob=seal(private_key)[:-1], pin=PIN, pepper=PEPPER)


def test_blob_layout_and_parameters(private_key):
    blob = seal(private_key, n=2**11, r=4, p=2)
    assert blob[:5] == bytes([1, 1, 11, 4, 2])
    assert len(blob) == HEADER_SIZE + len(pkcs8(private_key)) + TAG_SIZE
    assert keyseal.kdf_parameters(blob) == {
        "version": 1,
        "kdf": "scrypt",
        "n": 2**11,
        "r": 4,
        "p": 2,
    }
    assert not keyseal.needs_rehash(blob, n=2**11, r=4, p=2)
    assert keyseal.needs_rehash(blob, n=2**14, r=4, p=2)
    assert keyseal.needs_rehash(blob, n=2**11, r=8, p=2)
    assert keyseal.needs_rehash(blob, n=2**11, r=4, p=1)
    assert keyseal.unseal_private_key(blob=blob, pin=PIN, pepper=PEPPER).private_numbers() == (
        private_key.private_numbers()
    )


def test_blob_hides_the_key_and_the_pin(private_key):
    der = pkcs8(private_key)
    blob = seal(private_key)
    assert der not in blob
    # No 16-byte window of the plaintext key survives either.
    assert not any(der[i : i + 16] in blob for i in range(0, len(der) - 16))
    assert PIN.encode() not in blob
    assert PEPPER not in blob


def test_every_seal_is_different(private_key):
    first, second = seal(private_key), seal(private_key)
    assert first != second
    assert first[5:21] != second[5:21]  # salt
    assert first[21:33] != second[21:33]  # nonce


def test_default_parameters():
    key = pki.generate_private_key("ec-p256")
    blob = keyseal.seal_private_key(private_key=key, pin=PIN, pepper=PEPPER)
    assert keyseal.kdf_parameters(blob) == {
        "version": 1,
        "kdf": "scrypt",
        "n": 2**14,
        "r": 8,
        "p": 1,
    }
    assert (keyseal.DEFAULT_N, keyseal.DEFAULT_R, keyseal.DEFAULT_P) == (2**14, 8, 1)
    assert not keyseal.needs_rehash(blob, n=2**14, r=8, p=1)
    opened = keyseal.unseal_private_key(blob=blob, pin=PIN, pepper=PEPPER)
    assert opened.private_numbers() == key.private_numbers()
    with pytest.raises(keyseal.UnsealFailed):
        keyseal.unseal_private_key(blob=blob, pin="482916", pepper=PEPPER)


@pytest.mark.parametrize(
    "params",
    [
        {"n": 2**9, "r": 8, "p": 1},  # below the floor
        {"n": 3000, "r": 8, "p": 1},  # not a power of two
        {"n": 0, "r": 8, "p": 1},
        {"n": 2**20, "r": 8, "p": 1},  # 1 GiB of memory
        {"n": 2**10, "r": 0, "p": 1},
        {"n": 2**10, "r": 8, "p": 0},
        {"n": 2**10, "r": 8, "p": 17},
    ],
)
def test_seal_rejects_unsafe_parameters(params):
    key = pki.generate_private_key("ec-p256")
    with pytest.raises(ValueError):
        keyseal.seal_private_key(private_key=key, pin=PIN, pepper=PEPPER, **params)


def test_seal_rejects_short_pepper_and_empty_pin():
    key = pki.generate_private_key("ec-p256")
    with pytest.raises(ValueError, match="pepper"):
        keyseal.seal_private_key(private_key=key, pin=PIN, pepper=b"short", **FAST)
    with pytest.raises(ValueError, match="PIN"):
        keyseal.seal_private_key(private_key=key, pin="", pepper=PEPPER, **FAST)
    blob = keyseal.seal_private_key(private_key=key, pin=PIN, pepper=PEPPER, **FAST)
    with pytest.raises(ValueError, match="pepper"):
        keyseal.unseal_private_key(blob=blob, pin=PIN, pepper=b"")
