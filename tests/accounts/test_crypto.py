"""Encryption at rest (AES-256-GCM with key ids and rotation) and the keyed lookup hash."""

import base64
import os
import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts import crypto
from accounts.crypto import DecryptionError

PURPOSE = "customer.resident_number"
DIGITS = "9001011234568"


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.fixture
def k1_only(settings):
    old = new_key()
    settings.FIELD_ENCRYPTION_KEYS = f"k1:{old}"
    return old


def test_round_trip():
    token = crypto.encrypt(DIGITS, purpose=PURPOSE)
    assert crypto.decrypt(token, purpose=PURPOSE) == DIGITS


def test_round_trip_of_non_ascii_text():
    token = crypto.encrypt("홍길동", purpose="name")
    assert crypto.decrypt(token, purpose="name") == "홍길동"


def test_ciphertext_differs_each_time_and_shows_no_digits():
    tokens = {crypto.encrypt(DIGITS, purpose=PURPOSE) for _ in range(20)}
    assert len(tokens) == 20
    runs_of_six = {DIGITS[i : i + 6] for i in range(len(DIGITS) - 5)}
    for token in tokens:
        payload = token.split(":", 2)[2]
        assert re.fullmatch(r"[A-Za-z0-9_=-]+", payload)  # base64 only after the prefix
        assert not any(run in token for run in runs_of_six)


def test_token_names_format_and_key_id(k1_only):
    token = crypto.encrypt(DIGITS, purpose=PURPOSE)
    assert token.startswith("v1:k1:")
    assert crypto.key_id_of(token) == "k1"


def test_key_rotation(settings, k1_only):
    old_token = crypto.encrypt(DIGITS, purpose=PURPOSE)
    assert crypto.needs_reencryption(old_token) is False

    settings.FIELD_ENCRYPTION_KEYS = f"k2:{new_key()},k1:{k1_only}"

    assert crypto.decrypt(old_token, purpose=PURPOSE) == DIGITS
    assert crypto.needs_reencryption(old_token) is True
    new_token = crypto.encrypt(DIGITS, purpose=PURPOSE)
    assert crypto.key_id_of(new_token) == "k2"
    assert crypto.needs_reencryption(new_token) is False
    assert crypto.decrypt(new_token, purpose=PURPOSE) == DIGITS


def test_token_under_a_retired_key_no_longer_decrypts(settings, k1_only):
    token = crypto.encrypt(DIGITS, purpose=PURPOSE)
    settings.FIELD_ENCRYPTION_KEYS = f"k2:{new_key()}"
    with pytest.raises(DecryptionError):
        crypto.decrypt(token, purpose=PURPOSE)


def test_same_key_id_with_other_secret_does_not_decrypt(settings, k1_only):
    token = crypto.encrypt(DIGITS, purpose=PURPOSE)
    settings.FIELD_ENCRYPTION_KEYS = f"k1:{new_key()}"
    with pytest.raises(DecryptionError):
        crypto.decrypt(token, purpose=PURPOSE)


def test_key_id_is_bound_to_the_ciphertext(settings, k1_only):
    # Relabelling a k1 token as k2 (both configured) must not open it under k2 or k1.
    settings.FIELD_ENCRYPTION_KEYS = f"k2:{k1_only},k1:{k1_only}"
    token = crypto.encrypt(DIGITS, purpose=PURPOSE)
    assert token.startswith("v1:k2:")
    with pytest.raises(DecryptionError):
        crypto.decrypt(token.replace("v1:k2:", "v1:k1:", 1), purpose=PURPOSE)


def flip_one_payload_char(token: str) -> str:
    prefix, payload = token.rsplit(":", 1)
    i = len(payload) // 2
    flipped = "A" if payload[i] != "A" else "B"
    return f"{prefix}:{payload[:i]}{flipped}{payload[i + 1:]}"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(flip_one_payload_char, id="flipped-char"),
        pytest.param(lambda t: t.replace("v1:", "v2:", 1), id="unknown-version"),
        pytest.param(lambda t: "garbage", id="garbage"),
        pytest.param(lambda t: t[:-8] + t[-4:], id="payload-shortened-by-4"),
    ],
)
def test_tampered_token_raises_decryption_error(tamper):
    token = crypto.encrypt(DIGITS, purpose=PURPOSE)
    with pytest.raises(DecryptionError):
        crypto.decrypt(tamper(token), purpose=PURPOSE)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda t: t.rsplit(":", 1)[0] + ":", id="empty-payload"),
        pytest.param(lambda t: t.rsplit(":", 1)[0] + ":AAAA", id="payload-3-bytes"),
        pytest.param(lambda t: t.rsplit(":", 1)[0] + ":abcde", id="payload-bad-base64-length"),
    ],
)
def test_truncated_token_raises_decryption_error(tamper):
    token = crypto.encrypt(DIGITS, purpose=PURPOSE)
    with pytest.raises(DecryptionError):
        crypto.decrypt(tamper(token), purpose=PURPOSE)


def test_token_under_unknown_key_id_raises(settings, k1_only):
    token = crypto.encrypt(DIGITS, purpose=PURPOSE)
    with pytest.raises(DecryptionError):
        crypto.decrypt(token.replace("v1:k1:", "v1:k9:", 1), purpose=PURPOSE)


def test_wrong_purpose_raises():
    token = crypto.encrypt(DIGITS, purpose=PURPOSE)
    with pytest.raises(DecryptionError):
        crypto.decrypt(token, purpose="customer.phone")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " , ",
        "k1",  # no secret
        ":" + "A" * 43,  # no key id
        "k1:" + base64.urlsafe_b64encode(b"short").decode(),  # not 32 bytes
        "k1:{k},k1:{k}",  # repeated key id
    ],
)
def test_malformed_key_setting_is_refused(settings, raw):
    settings.FIELD_ENCRYPTION_KEYS = raw.replace("{k}", new_key())
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt(DIGITS, purpose=PURPOSE)


def test_key_secret_may_omit_base64_padding(settings):
    settings.FIELD_ENCRYPTION_KEYS = "k1:" + new_key().rstrip("=")
    token = crypto.encrypt(DIGITS, purpose=PURPOSE)
    assert crypto.decrypt(token, purpose=PURPOSE) == DIGITS


def test_lookup_hash_is_deterministic_hex():
    first = crypto.lookup_hash(DIGITS, purpose=PURPOSE)
    assert first == crypto.lookup_hash(DIGITS, purpose=PURPOSE)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert DIGITS not in first


def test_lookup_hash_differs_by_value_and_purpose():
    base = crypto.lookup_hash(DIGITS, purpose=PURPOSE)
    assert crypto.lookup_hash("9001011234567", purpose=PURPOSE) != base
    assert crypto.lookup_hash(DIGITS, purpose="other") != base


def test_lookup_hash_is_keyed(settings):
    settings.RRN_LOOKUP_KEY = "first-key"
    first = crypto.lookup_hash(DIGITS, purpose=PURPOSE)
    settings.RRN_LOOKUP_KEY = "second-key"
    assert crypto.lookup_hash(DIGITS, purpose=PURPOSE) != first
    settings.RRN_LOOKUP_KEY = "first-key"
    assert crypto.lookup_hash(DIGITS, purpose=PURPOSE) == first


def test_lookup_hash_does_not_depend_on_encryption_keys(settings, k1_only):
    before = crypto.lookup_hash(DIGITS, purpose=PURPOSE)
    settings.FIELD_ENCRYPTION_KEYS = f"k2:{new_key()},k1:{k1_only}"
    assert crypto.lookup_hash(DIGITS, purpose=PURPOSE) == before
