"""A customer's wrong codes add up over the day, across SMS and ARS: a new code does not reset them."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.verification.conftest import PHONE, code_in, wrong_code
from verification import signals
from verification.models import Challenge, DailyFailureCount
from verification.services import (
    SendThrottled,
    ars_call_start,
    ars_display_code,
    ars_key_in,
    daily_failures_clear,
    sms_send,
    sms_verify,
)

pytestmark = pytest.mark.django_db

CAP = 10  # the documented default
# START is 10:00 in Seoul; the Seoul day ends at 15:00 UTC.
SEOUL_MIDNIGHT = datetime(2025, 3, 4, 15, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def limits(settings):
    settings.VERIFICATION_DAILY_MAX_FAILURES = CAP
    # Codes follow one another here; the per-phone send limits are tested on their own.
    settings.SMS_RESEND_COOLDOWN = 0
    settings.SMS_MAX_SENDS = 0


def send(committed, outbox, customer):
    challenge = committed(sms_send, phone=PHONE, purpose="issue.sms", customer=customer)
    return challenge, code_in(outbox[-1].body)


def call(committed, customer):
    challenge = committed(ars_call_start, phone=PHONE, purpose="issue.ars", customer=customer)
    return challenge, ars_display_code(challenge)


def other_digits(digits):
    return f"{(int(digits) - 10 + 1) % 90 + 10:02d}"


def enter_wrong(committed, outbox, customer, count):
    """``count`` wrong entries, each code used until it is exhausted, then a new one; the results."""
    results = []
    while len(results) < count:
        challenge, code = send(committed, outbox, customer)
        for _ in range(min(challenge.max_attempts, count - len(results))):
            results.append(sms_verify(challenge_id=challenge.pk, code=wrong_code(code)))
    return results


def test_one_below_the_cap_the_right_code_still_verifies(clock, committed, outbox, customer):
    results = enter_wrong(committed, outbox, customer, CAP - 1)
    assert [r.reason for r in results] == ["wrong"] * 4 + ["exhausted"] + ["wrong"] * 4
    challenge, code = send(committed, outbox, customer)  # a third code: sending is still allowed
    assert sms_verify(challenge_id=challenge.pk, code=code).ok


def test_at_the_cap_even_the_right_code_is_refused(clock, committed, outbox, customer):
    # A code of another purpose, still pending while two new codes get five wrong entries each.
    earlier = committed(sms_send, phone=PHONE, purpose="cloud.sms", customer=customer)
    earlier_code = code_in(outbox[-1].body)
    results = enter_wrong(committed, outbox, customer, CAP)
    assert [r.reason for r in results] == (
        ["wrong"] * 4 + ["exhausted"] + ["wrong"] * 4 + ["daily_cap"]
    )
    assert results[-1].message == (
        "오늘 인증번호를 잘못 입력한 횟수가 하루 한도를 넘어 본인 인증을 진행할 수 없습니다. "
        "내일 다시 시도하시거나 고객센터로 문의해 주세요."
    )
    result = sms_verify(challenge_id=earlier.pk, code=earlier_code)
    assert (result.ok, result.reason, result.status) == (False, "daily_cap", "exhausted")
    assert DailyFailureCount.objects.get(customer=customer).failures == CAP


def test_the_cap_refuses_a_pending_code_and_every_new_send(clock, committed, outbox, customer):
    pending, code = call(committed, customer)  # an ARS call still ringing
    enter_wrong(committed, outbox, customer, CAP)

    result = ars_key_in(challenge_id=pending.pk, digits=code)  # the right digits
    assert (result.ok, result.reason) == (False, "daily_cap")
    pending.refresh_from_db()
    assert (pending.status, pending.attempts) == (Challenge.Status.EXHAUSTED, 0)

    sent_before = len(outbox)
    with pytest.raises(SendThrottled) as refused_sms:
        sms_send(phone=PHONE, purpose="issue.sms", customer=customer)
    with pytest.raises(SendThrottled) as refused_call:
        ars_call_start(phone=PHONE, purpose="issue.ars", customer=customer)
    assert refused_sms.value.reason == refused_call.value.reason == "daily_cap"
    assert "내일 다시" in refused_sms.value.message and "내일 다시" in refused_call.value.message
    # Retry after: from 10:00 to midnight in Seoul.
    assert refused_sms.value.retry_after == 14 * 3600
    assert len(outbox) == sent_before


def test_wrong_entries_on_sms_and_ars_add_up(clock, committed, outbox, customer):
    for _ in range(3):  # three calls, each ended by three wrong key-ins: 9
        challenge, digits = call(committed, customer)
        for _ in range(3):
            ars_key_in(challenge_id=challenge.pk, digits=other_digits(digits))
    challenge, code = send(committed, outbox, customer)
    assert sms_verify(challenge_id=challenge.pk, code=wrong_code(code)).reason == "daily_cap"
    result = sms_verify(challenge_id=challenge.pk, code=code)
    assert (result.ok, result.status, result.reason) == (False, "exhausted", "daily_cap")
    assert DailyFailureCount.objects.get(customer=customer).failures == CAP


def test_the_cap_is_per_customer(clock, committed, outbox, customer, customer_factory):
    enter_wrong(committed, outbox, customer, CAP)
    other = customer_factory()
    challenge = committed(sms_send, phone=other.phone, purpose="issue.sms", customer=other)
    assert sms_verify(challenge_id=challenge.pk, code=code_in(outbox[-1].body)).ok


def test_a_code_sent_without_a_customer_is_not_counted(clock, committed, outbox):
    challenge = committed(sms_send, phone=PHONE, purpose="issue.sms")
    sms_verify(challenge_id=challenge.pk, code=wrong_code(code_in(outbox[-1].body)))
    assert not DailyFailureCount.objects.exists()


def test_refused_until_the_last_second_of_the_day_allowed_at_midnight(
    clock, committed, outbox, customer
):
    enter_wrong(committed, outbox, customer, CAP)

    clock.move_to(SEOUL_MIDNIGHT - timedelta(seconds=1))  # 23:59:59 in Seoul
    with pytest.raises(SendThrottled) as refused:
        sms_send(phone=PHONE, purpose="issue.sms", customer=customer)
    assert (refused.value.reason, refused.value.retry_after) == ("daily_cap", 1)

    clock.move_to(SEOUL_MIDNIGHT)  # 00:00:00, the next day in Seoul (still 3 March in UTC)
    challenge, code = send(committed, outbox, customer)
    assert sms_verify(challenge_id=challenge.pk, code=wrong_code(code)).reason == "wrong"
    assert sms_verify(challenge_id=challenge.pk, code=code).ok
    tally = DailyFailureCount.objects.get(customer=customer)
    assert (tally.day.isoformat(), tally.failures) == ("2025-03-05", 1)


def test_the_count_runs_on_the_seoul_day_not_the_utc_day(committed, outbox, customer):
    # 08:59 and 09:01 in Seoul are the same day there, but 23:59 and 00:01 UTC on two days.
    with time_machine.travel(datetime(2025, 3, 3, 23, 59, tzinfo=UTC), tick=False) as clock:
        enter_wrong(committed, outbox, customer, CAP - 1)
        clock.move_to(datetime(2025, 3, 4, 0, 1, tzinfo=UTC))
        challenge, code = send(committed, outbox, customer)
        assert sms_verify(challenge_id=challenge.pk, code=wrong_code(code)).reason == "daily_cap"


def test_staff_clearing_lets_the_customer_verify_again(clock, committed, outbox, customer):
    enter_wrong(committed, outbox, customer, CAP)
    assert daily_failures_clear(customer_ids=[customer.pk]) == 1
    challenge, code = send(committed, outbox, customer)
    assert sms_verify(challenge_id=challenge.pk, code=code).ok


def test_the_cap_is_a_setting(clock, committed, outbox, customer, settings):
    settings.VERIFICATION_DAILY_MAX_FAILURES = 2
    assert [r.reason for r in enter_wrong(committed, outbox, customer, 2)] == ["wrong", "daily_cap"]


def test_a_refusal_for_the_day_is_reported_for_the_audit_trail(clock, committed, outbox, customer):
    reported = []

    def receiver(sender, reason, **kwargs):
        reported.append(reason)

    signals.challenge_failed.connect(receiver)
    try:
        enter_wrong(committed, outbox, customer, CAP)
    finally:
        signals.challenge_failed.disconnect(receiver)
    assert reported[-1] == "daily_cap"
