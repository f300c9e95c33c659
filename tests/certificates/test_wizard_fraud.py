"""The wizard and a fraud report ("본인이 요청하지 않음" on the handset): the flow in progress ends
with a message, and identification is refused while the block lasts (issue and reissue alike)."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from certificates.wizard.flow import SESSION_KEY
from verification.models import FraudReport
from verification.services import ars_call_start, fraud_report_call, fraud_reports_clear

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 4, 1, 0, 0, tzinfo=UTC)  # 10:00 in Seoul


@pytest.fixture(autouse=True)
def bank(settings):
    settings.BANK_NAME = "KB국민은행"
    settings.BANK_CALL_CENTER = "1588-9999"
    settings.FRAUD_BLOCK_HOURS = 24
    settings.ARS_RECALL_COOLDOWN = 0
    settings.SMS_RESEND_COOLDOWN = 0


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def report_for(customer, django_capture_on_commit_callbacks) -> FraudReport:
    """A report made on another call to the customer's phone (another flow, or none)."""
    with django_capture_on_commit_callbacks(execute=True):
        call = ars_call_start(phone=customer.phone, purpose="issue.ars", customer=customer)
        report, _created = fraud_report_call(phone=customer.phone, challenge_id=call.pk)
    return report


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


BLOCKED = (
    "본인이 요청하지 않은 인증 요청이 신고되어 2025-03-05 10:00까지 금융인증서 발급·재발급이 "
    "제한됩니다. 본인이 직접 요청한 경우 KB국민은행 고객센터(1588-9999)로 연락해 주세요."
)


def test_a_report_while_the_wizard_waits_on_the_call_ends_the_flow(
    wizard, customer, clock, django_capture_on_commit_callbacks
):
    wizard.until("ars")
    wizard.post("ars", {"action": "call"})
    page = wizard.get("ars")
    challenge = page.context["challenge"]
    status_url = reverse("verification:challenge_status", args=[challenge.pk])
    assert wizard.client.get(status_url).json() == {"status": "pending"}

    with django_capture_on_commit_callbacks(execute=True):
        fraud_report_call(phone=customer.phone, challenge_id=challenge.pk)

    # The page's poll sees it, and its script then posts ‘확인’ as it does for a verified call.
    assert wizard.client.get(status_url).json() == {"status": "reported"}
    response = wizard.post("ars", {"action": "check"})
    assert response.status_code == 302
    assert response["Location"] == reverse("certificates:terms")
    assert SESSION_KEY not in wizard.client.session
    page = wizard.client.get(response["Location"])
    body = page.content.decode()
    assert "본인이 요청하지 않은 인증 요청으로 신고되어 금융인증서 발급 절차를 종료했습니다." in body
    assert "KB국민은행 고객센터(1588-9999)" in body
    # Every other step now starts from the beginning.
    assert wizard.get("ars")["Location"] == reverse("certificates:terms")


def test_a_report_ends_a_flow_past_the_call_on_its_next_request(
    wizard, customer, clock, django_capture_on_commit_callbacks
):
    wizard.until("sms")
    report_for(customer, django_capture_on_commit_callbacks)
    response = wizard.get("sms")
    assert response["Location"] == reverse("certificates:terms")
    assert flashed(response) == [
        "본인이 요청하지 않은 인증 요청으로 신고되어 금융인증서 발급 절차를 종료했습니다. 안전을 위해 "
        "2025-03-05 10:00까지 발급·재발급이 제한됩니다. 본인이 직접 요청한 경우 KB국민은행 "
        "고객센터(1588-9999)로 연락해 주세요."
    ]
    assert SESSION_KEY not in wizard.client.session


def test_the_pin_step_cannot_issue_once_reported(
    wizard, customer, clock, django_capture_on_commit_callbacks
):
    wizard.until("pin")
    report_for(customer, django_capture_on_commit_callbacks)
    response = wizard.pin()
    assert response["Location"] == reverse("certificates:terms")
    assert not customer.certificates.exists()


def test_identification_is_refused_while_blocked(
    wizard, customer, clock, django_capture_on_commit_callbacks
):
    report_for(customer, django_capture_on_commit_callbacks)
    wizard.terms()
    response = wizard.identify()
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("__all__", "fraud_blocked")
    assert form.non_field_errors() == [BLOCKED]
    assert "1588-9999" in response.content.decode()
    assert SESSION_KEY not in wizard.client.session


def test_reissue_is_refused_too(
    wizard_factory, customer, certificate, clock, django_capture_on_commit_callbacks
):
    report_for(customer, django_capture_on_commit_callbacks)
    wizard = wizard_factory()
    wizard.terms()
    response = wizard.identify()
    assert response.context["form"].has_error("__all__", "fraud_blocked")


def test_the_block_runs_out_after_fraud_block_hours(
    wizard, customer, clock, django_capture_on_commit_callbacks
):
    report_for(customer, django_capture_on_commit_callbacks)
    clock.shift(24 * 3600 - 1)
    wizard.terms()
    assert wizard.identify().context["form"].has_error("__all__", "fraud_blocked")
    clock.shift(1)
    wizard.terms()
    response = wizard.identify()
    assert response.status_code == 302
    assert response["Location"] == reverse("certificates:ars")


def test_staff_clearing_the_report_lets_the_customer_in_again(
    wizard, customer, clock, django_capture_on_commit_callbacks
):
    report = report_for(customer, django_capture_on_commit_callbacks)
    fraud_reports_clear(report_ids=[report.pk], cleared_by=None)
    wizard.terms()
    assert wizard.identify().status_code == 302


def test_another_customers_report_changes_nothing(
    wizard, customer, customer_factory, clock, django_capture_on_commit_callbacks
):
    report_for(customer_factory(), django_capture_on_commit_callbacks)
    assert wizard.issue()["Location"] == reverse("certificates:done")
