"""ChallengeCodeGenerator: codes from ``secrets``, HMACs salted with the purpose, constant-time checks."""

import hmac
import uuid
from datetime import timedelta

import pytest
from django.utils.crypto import salted_hmac

from certcenter.clock import now
from tests.verification.conftest import PHONE, START, code_in
from verification import codes as codes_module
from verification.codes import ChallengeCodeGenerator, default_code_generator
from verification.models import Challenge
from verification.services import sms_send, sms_verify

CHALLENGE_ID = uuid.UUID("12345678-1234-4678-9234-567812345678")
OTHER_ID = uuid.UUID("87654321-4321-4876-8432-876543218765")
PURPOSE = "issuance.sms"
# Computed by the code before the generator existed: rows stored then must still verify.
KNOWN_SECRET = "test-secret-for-vectors"
KNOWN_HMAC = "ddb8aaf374d17d7a79e2e09d657832568e548d1d8129566c0b25b558aadba8a4"
KNOWN_ARS_DIGITS = "36"


def generator(secret="current-secret", fallbacks=()):
    made = ChallengeCodeGenerator()
    made.secret = secret
    made.secret_fallbacks = list(fallbacks)
    return made


def check(gen, code, *, purpose=PURPOSE, challenge_id=CHALLENGE_ID, code_hmac=None):
    stored = code_hmac or gen.make_hmac(purpose=PURPOSE, challenge_id=CHALLENGE_ID, code="123456")
    return gen.check_code(purpose=purpose, challenge_id=challenge_id, code_hmac=stored, code=code)


def test_right_code_is_accepted():
    assert check(generator(), "123456")


@pytest.mark.parametrize("code", ["123457", "12345", "1234567", "", "１２３４５６"])
def test_wrong_code_is_refused(code):
    # Full-width digits are the services' business (ascii_digits); the generator compares exactly.
    assert not check(generator(), code)


def test_code_of_another_purpose_is_refused():
    gen = generator()
    assert not check(gen, "123456", purpose="cloud.sms")


def test_code_of_another_challenge_is_refused():
    assert not check(generator(), "123456", challenge_id=OTHER_ID)


def test_hmac_is_64_hex_characters_without_the_code_and_differs_per_challenge():
    gen = generator()
    first = gen.make_hmac(purpose=PURPOSE, challenge_id=CHALLENGE_ID, code="123456")
    second = gen.make_hmac(purpose=PURPOSE, challenge_id=OTHER_ID, code="123456")
    assert len(first) == 64 and int(first, 16) >= 0
    assert "123456" not in first
    assert first != second


def test_code_made_under_a_rotated_key_is_accepted_through_the_fallbacks():
    stored = generator(secret="old-secret").make_hmac(
        purpose=PURPOSE, challenge_id=CHALLENGE_ID, code="123456"
    )
    assert check(generator("new-secret", fallbacks=["old-secret"]), "123456", code_hmac=stored)
    assert not check(generator("new-secret", fallbacks=["old-secret"]), "654321", code_hmac=stored)
    # Without the old key in the fallbacks the code is void.
    assert not check(generator("new-secret"), "123456", code_hmac=stored)


def test_comparison_is_constant_time_and_tries_every_key(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(codes_module.hmac, "compare_digest", spy)
    gen = generator("new-secret", fallbacks=["old-1", "old-2"])
    stored = gen.make_hmac(purpose=PURPOSE, challenge_id=CHALLENGE_ID, code="123456")

    assert not check(gen, "000000", code_hmac=stored)
    assert len(calls) == 3
    assert all(b == stored for _, b in calls)

    calls.clear()
    assert check(gen, "123456", code_hmac=stored)
    assert calls == [(stored, stored)]


def test_stored_hmacs_of_before_are_still_valid(settings):
    settings.SECRET_KEY = KNOWN_SECRET
    settings.SECRET_KEY_FALLBACKS = []
    assert default_code_generator.make_hmac(
        purpose=PURPOSE, challenge_id=CHALLENGE_ID, code="123456"
    ) == KNOWN_HMAC
    assert default_code_generator.check_code(
        purpose=PURPOSE, challenge_id=CHALLENGE_ID, code_hmac=KNOWN_HMAC, code="123456"
    )
    assert default_code_generator.ars_digits(CHALLENGE_ID) == KNOWN_ARS_DIGITS


def test_default_generator_reads_the_keys_from_settings_when_used(settings):
    settings.SECRET_KEY = "first-key"
    settings.SECRET_KEY_FALLBACKS = []
    stored = default_code_generator.make_hmac(purpose=PURPOSE, challenge_id=CHALLENGE_ID, code="1")
    settings.SECRET_KEY = "second-key"
    assert not default_code_generator.check_code(
        purpose=PURPOSE, challenge_id=CHALLENGE_ID, code_hmac=stored, code="1"
    )
    settings.SECRET_KEY_FALLBACKS = ["first-key"]
    assert default_code_generator.check_code(
        purpose=PURPOSE, challenge_id=CHALLENGE_ID, code_hmac=stored, code="1"
    )


def test_sms_code_comes_from_secrets_with_leading_zeros(monkeypatch):
    asked = []

    def randbelow(n):
        asked.append(n)
        return 42

    monkeypatch.setattr(codes_module.secrets, "randbelow", randbelow)
    assert generator().make_sms_code() == "000042"
    assert asked == [10**6]


def test_ars_digits_are_two_digits_stable_and_keyed():
    gen = generator()
    digits = gen.ars_digits(CHALLENGE_ID)
    assert len(digits) == 2 and 10 <= int(digits) <= 99
    assert gen.ars_digits(CHALLENGE_ID) == digits
    # Keyed: another secret gives other digits for most ids.
    ids = [uuid.UUID(int=n) for n in range(50)]
    assert [gen.ars_digits(i) for i in ids] != [generator("other").ars_digits(i) for i in ids]


def test_expiry_boundary_through_the_now_seam(monkeypatch):
    gen = generator()
    monkeypatch.setattr(gen, "_now", lambda: START)
    assert not gen.is_expired(START)
    assert gen.is_expired(START - timedelta(microseconds=1))
    # An explicit instant wins over the seam.
    assert not gen.is_expired(START, at=START - timedelta(seconds=1))


@pytest.mark.django_db
def test_services_decide_expiry_through_the_default_generators_seam(
    committed, outbox, monkeypatch
):
    challenge = committed(sms_send, phone=PHONE, purpose=PURPOSE)
    code = code_in(outbox[-1].body)
    monkeypatch.setattr(
        default_code_generator, "_now", lambda: challenge.expires_at + timedelta(microseconds=1)
    )
    result = sms_verify(challenge_id=challenge.pk, code=code)
    assert (result.ok, result.reason) == (False, "expired")


@pytest.mark.django_db
def test_a_row_hashed_the_old_way_verifies():
    """A challenge stored before the generator: its HMAC made with the formula of that code."""
    challenge_id = uuid.uuid4()
    old_hmac = salted_hmac(
        f"certcenter.verification.code:{PURPOSE}", f"{challenge_id}:246810", algorithm="sha256"
    ).hexdigest()
    Challenge.objects.create(
        id=challenge_id, channel=Challenge.Channel.SMS, phone=PHONE, purpose=PURPOSE,
        expires_at=now() + timedelta(minutes=3),
        max_attempts=5, code_hmac=old_hmac,
    )
    assert sms_verify(challenge_id=challenge_id, code="246810").ok

