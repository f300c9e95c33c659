"""Concurrent fraud reports of one call or one SMS, on PostgreSQL: one report, one notice."""

import pytest

from tests.conftest import run_threads_together
from tests.verification.conftest import PHONE, SIMULATED
from verification.models import FraudReport, HandsetMessage
from verification.services import ars_call_start, fraud_report_call, fraud_report_sms, sms_notify

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

THREADS = 8


@pytest.fixture(autouse=True)
def simulated(settings):
    settings.SMS_BACKEND = SIMULATED
    settings.ARS_BACKEND = SIMULATED


def notices() -> int:
    return sum("신고하셨습니다" in m.body for m in HandsetMessage.objects.filter(kind="sms"))


def test_one_call_reported_at_once_from_many_places(customer):
    call = ars_call_start(phone=PHONE, purpose="issue.ars", customer=customer)

    results = run_threads_together(
        lambda: fraud_report_call(phone=PHONE, challenge_id=call.pk), THREADS
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert FraudReport.objects.count() == 1
    assert sum(created for _report, created in results) == 1
    assert {report.pk for report, _created in results} == {FraudReport.objects.get().pk}
    assert notices() == 1


def test_one_sms_without_a_challenge_reported_at_once(customer):
    # A message carrying the hint but no live code: nothing to lock but the constraint.
    sms_notify(phone=PHONE, text="[KB국민은행] 인증번호 [000000]. 요청하지 않았다면 신고: 1588-9999")
    message = HandsetMessage.objects.get()

    results = run_threads_together(
        lambda: fraud_report_sms(phone=PHONE, message_id=message.pk), THREADS
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert FraudReport.objects.count() == 1
    assert sum(created for _report, created in results) == 1
