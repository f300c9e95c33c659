"""ARS calls: the page shows 2 digits, the phone keys them in; 180 s, 3 wrong key-ins end it."""

import pytest

from tests.verification.conftest import PHONE
from verification.models import Challenge
from verification.services import (
    ars_call_start,
    ars_display_code,
    ars_hang_up,
    ars_key_in,
    challenge_status,
)

pytestmark = pytest.mark.django_db


def call(committed, **kwargs):
    return committed(ars_call_start, **({"phone": PHONE, "purpose": "issue.ars"} | kwargs))


def other_digits(digits: str) -> str:
    return f"{(int(digits) - 10 + 1) % 90 + 10:02d}"


def test_call_is_placed_on_commit_without_the_digits(committed, outbox):
    challenge = call(committed, flow_id="f1")
    digits = ars_display_code(challenge)

    assert len(outbox) == 1
    placed = outbox[0]
    assert (placed.kind, placed.phone, placed.challenge_id) == ("call", PHONE, challenge.pk)
    assert "화면에 표시된 숫자 두 자리를 입력하세요" in placed.body
    assert "KB국민은행" in placed.body
    # The number is shown on the web page, never sent to the phone.
    assert digits not in placed.body
    assert challenge.channel == Challenge.Channel.ARS
    assert challenge.max_attempts == 3
    assert (challenge.expires_at - challenge.created_at).total_seconds() == 180


def test_display_code_is_two_digits_and_stable_across_reloads(committed):
    challenge = call(committed)
    digits = ars_display_code(challenge)
    assert len(digits) == 2 and digits.isdigit() and 10 <= int(digits) <= 99
    reloaded = Challenge.objects.get(pk=challenge.pk)
    assert ars_display_code(reloaded) == digits
    assert reloaded.code_hmac != digits and len(reloaded.code_hmac) == 64


def test_display_code_depends_on_the_secret_key(committed, settings):
    challenge = call(committed)
    codes = set()
    for n in range(8):
        settings.SECRET_KEY = f"another-secret-key-{n}-" + "x" * 40
        codes.add(ars_display_code(challenge))
    assert len(codes) > 1


def test_display_codes_vary_between_calls(clock, committed):
    codes = set()
    for _ in range(20):
        codes.add(ars_display_code(call(committed)))
    assert len(codes) > 1


def test_keying_the_shown_digits_verifies(committed):
    challenge = call(committed)
    result = ars_key_in(challenge_id=challenge.pk, digits=ars_display_code(challenge))
    assert (result.ok, result.status, result.reason) == (True, "verified", "verified")
    assert result.message == "전화 인증이 완료되었습니다."
    assert challenge_status(challenge_id=challenge.pk) == "verified"


def test_third_wrong_key_in_ends_the_call_and_fourth_is_refused(committed):
    challenge = call(committed)
    digits = ars_display_code(challenge)
    bad = other_digits(digits)

    first, second = (ars_key_in(challenge_id=challenge.pk, digits=bad) for _ in range(2))
    assert (first.reason, first.attempts_left) == ("wrong", 2)
    assert (second.reason, second.attempts_left) == ("wrong", 1)
    assert second.message == "입력한 숫자가 일치하지 않습니다. (남은 횟수 1회)"

    third = ars_key_in(challenge_id=challenge.pk, digits=bad)
    assert (third.ok, third.status, third.reason, third.attempts_left) == (
        False, "exhausted", "exhausted", 0,
    )
    assert "전화 인증을 다시 요청해 주세요" in third.message

    fourth = ars_key_in(challenge_id=challenge.pk, digits=digits)
    assert (fourth.ok, fourth.reason) == (False, "exhausted")
    challenge.refresh_from_db()
    assert (challenge.attempts, challenge.status) == (3, Challenge.Status.EXHAUSTED)


def test_call_valid_at_180_seconds(clock, committed):
    challenge = call(committed)
    clock.shift(180)
    assert challenge_status(challenge_id=challenge.pk) == "pending"
    assert ars_key_in(challenge_id=challenge.pk, digits=ars_display_code(challenge)).ok


def test_call_expired_at_181_seconds(clock, committed):
    challenge = call(committed)
    clock.shift(181)
    result = ars_key_in(challenge_id=challenge.pk, digits=ars_display_code(challenge))
    assert (result.ok, result.reason) == (False, "expired")
    assert result.message == "전화 인증 시간이 지났습니다. 전화 인증을 다시 요청해 주세요."


def test_hang_up_cancels_the_call(committed):
    challenge = call(committed)
    ars_hang_up(challenge_id=challenge.pk)
    assert challenge_status(challenge_id=challenge.pk) == "cancelled"
    result = ars_key_in(challenge_id=challenge.pk, digits=ars_display_code(challenge))
    assert (result.ok, result.reason) == (False, "cancelled")


def test_hang_up_after_verification_changes_nothing(committed):
    challenge = call(committed)
    ars_key_in(challenge_id=challenge.pk, digits=ars_display_code(challenge))
    ars_hang_up(challenge_id=challenge.pk)
    ars_hang_up(challenge_id="not-a-uuid")
    assert challenge_status(challenge_id=challenge.pk) == "verified"


def test_a_new_call_cancels_the_previous_one(committed):
    first = call(committed, flow_id="f1")
    second = call(committed, flow_id="f1")
    assert challenge_status(challenge_id=first.pk) == "cancelled"
    assert challenge_status(challenge_id=second.pk) == "pending"
    assert not ars_key_in(challenge_id=first.pk, digits=ars_display_code(first)).ok
    assert ars_key_in(challenge_id=second.pk, digits=ars_display_code(second)).ok


def test_an_sms_challenge_cannot_be_keyed_in(committed, outbox):
    from verification.services import sms_send

    sms = committed(sms_send, phone=PHONE, purpose="issue.sms")
    assert ars_key_in(challenge_id=sms.pk, digits="12").reason == "not_found"


def test_a_new_call_waits_for_the_recall_cooldown_and_the_cap(settings, customer):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from verification.services import SendThrottled, ars_call_start

    settings.ARS_RECALL_COOLDOWN = 30
    settings.ARS_MAX_CALLS = 3
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        ars_call_start(phone=customer.phone, purpose="t")
        clock.move_to(start + timedelta(seconds=29))
        with pytest.raises(SendThrottled) as caught:
            ars_call_start(phone=customer.phone, purpose="t")
        assert caught.value.reason == "cooldown" and caught.value.retry_after == 1
        assert "전화 인증은 1초 후에" in caught.value.message
        clock.move_to(start + timedelta(seconds=30))
        ars_call_start(phone=customer.phone, purpose="t")
        clock.move_to(start + timedelta(seconds=60))
        ars_call_start(phone=customer.phone, purpose="t")
        clock.move_to(start + timedelta(seconds=90))
        with pytest.raises(SendThrottled) as caught:
            ars_call_start(phone=customer.phone, purpose="t")
        assert caught.value.reason == "cap"
