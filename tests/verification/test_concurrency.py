"""Concurrent wrong guesses and concurrent sends, on PostgreSQL (SQLite serializes all writers)."""

import threading

import pytest

from tests.conftest import run_threads_together
from tests.verification.conftest import PHONE, code_in, wrong_code
from verification.models import Challenge, DailyFailureCount
from verification.services import (
    SendThrottled,
    ars_call_start,
    ars_display_code,
    ars_key_in,
    sms_send,
    sms_verify,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

THREADS = 10


def run_together(function, count=THREADS):
    return run_threads_together(function, count)


def test_concurrent_wrong_sms_guesses_never_share_a_try(outbox):
    challenge = sms_send(phone=PHONE, purpose="issue.sms")
    bad = wrong_code(code_in(outbox[-1].body))

    results = run_together(lambda: sms_verify(challenge_id=challenge.pk, code=bad))

    assert not [r for r in results if isinstance(r, Exception)], results
    # Each of the first four wrong guesses saw a different count; the fifth exhausted the code.
    assert sorted(r.attempts_left for r in results if r.reason == "wrong") == [1, 2, 3, 4]
    assert sum(r.reason == "exhausted" for r in results) == THREADS - 4
    challenge.refresh_from_db()
    assert (challenge.attempts, challenge.status) == (5, Challenge.Status.EXHAUSTED)


def test_concurrent_ars_key_ins_never_share_a_try():
    challenge = ars_call_start(phone=PHONE, purpose="issue.ars")
    digits = ars_display_code(challenge)
    bad = "11" if digits != "11" else "12"

    results = run_together(lambda: ars_key_in(challenge_id=challenge.pk, digits=bad))

    assert sorted(r.attempts_left for r in results if r.reason == "wrong") == [1, 2]
    challenge.refresh_from_db()
    assert (challenge.attempts, challenge.status) == (3, Challenge.Status.EXHAUSTED)


def test_concurrent_sends_to_one_phone_send_one_code(outbox):
    results = run_together(lambda: sms_send(phone=PHONE, purpose="issue.sms"))

    sent = [r for r in results if isinstance(r, Challenge)]
    refused = [r for r in results if isinstance(r, SendThrottled)]
    assert len(sent) == 1, results
    assert len(refused) == THREADS - 1
    assert {r.reason for r in refused} == {"cooldown"}
    assert Challenge.objects.filter(phone=PHONE).count() == 1
    assert len(outbox) == 1


def test_concurrent_wrong_entries_on_many_codes_never_pass_the_daily_cap(outbox, customer, settings):
    """Ten wrong codes at once, each on its own challenge of one customer: three are compared."""
    settings.VERIFICATION_DAILY_MAX_FAILURES = 3
    challenges, bad_codes = [], []
    for n in range(THREADS):  # distinct phones, so no send limit stands in the way
        challenges.append(sms_send(phone=f"+8210555500{n:02d}", purpose="issue.sms",
                                   customer=customer))
        bad_codes.append(wrong_code(code_in(outbox[-1].body)))
    turns = iter(range(THREADS))
    lock = threading.Lock()

    def enter():
        with lock:
            n = next(turns)
        return sms_verify(challenge_id=challenges[n].pk, code=bad_codes[n])

    results = run_together(enter)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.reason for r in results) == ["daily_cap"] * (THREADS - 2) + ["wrong"] * 2
    assert DailyFailureCount.objects.get(customer=customer).failures == 3
    # Only three of the ten guesses were compared at all.
    assert sum(Challenge.objects.filter(customer=customer).values_list("attempts", flat=True)) == 3
