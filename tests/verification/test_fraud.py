"""Fraud reports ("본인이 요청하지 않음"): from a ringing call or a code SMS, on the handset page and
in the services; the block it sets and its expiry on the one clock; the notice; staff in admin."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from accounts.models import Customer
from certcenter.clock import now as clock_now
from tests.conftest import staff_login
from tests.verification.conftest import NATIONAL, PHONE, SIMULATED, code_in
from verification.models import Challenge, FraudReport, HandsetMessage
from verification.selectors import (
    customer_fraud_block,
    customer_with_fraud_block,
    fraud_block_message,
    fraud_reports_open,
    handset_message_challenges,
)
from verification.services import (
    FraudReportNotFound,
    ars_call_start,
    ars_display_code,
    ars_key_in,
    challenge_status,
    fraud_report_call,
    fraud_report_sms,
    fraud_reports_clear,
    sms_send,
    sms_verify,
)

pytestmark = pytest.mark.django_db


def block_of(customer):
    """customer_fraud_block's answer, checked against the ORM's and the wizard's one-query form."""
    report = customer_fraud_block(customer)
    pk = getattr(customer, "pk", customer)
    if pk is not None:
        assert report == FraudReport.objects.filter(
            customer_id=pk, status=FraudReport.Status.OPEN, blocked_until__gt=clock_now(),
        ).order_by("-blocked_until", "-pk").first()
        together = customer_with_fraud_block(pk)
        assert together.blocking_report_id == (report.pk if report else None)
        # The customer itself as the ORM loads it, every field converted alike.
        loaded = Customer.objects.get(pk=pk)
        for field in Customer._meta.concrete_fields:
            assert getattr(together, field.attname) == getattr(loaded, field.attname), field.name
        assert not together._state.adding and together._state.db == loaded._state.db
    return report


@pytest.fixture(autouse=True)
def simulated(settings):
    """Calls ring on the simulated handset: "the ringing call" is the one it shows."""
    settings.SMS_BACKEND = SIMULATED
    settings.ARS_BACKEND = SIMULATED


def last_sms() -> str:
    return HandsetMessage.objects.filter(kind="sms").order_by("-id").first().body


@pytest.fixture
def call(committed, customer):
    return committed(ars_call_start, phone=PHONE, purpose="issue.ars", customer=customer,
                     flow_id="f1")


def sms_message(committed, customer, purpose="issue.sms"):
    """A code SMS on the simulated handset: (challenge, message)."""
    challenge = committed(sms_send, phone=PHONE, purpose=purpose, customer=customer)
    return challenge, HandsetMessage.objects.filter(kind="sms").order_by("-id").first()


# --- from a call ----------------------------------------------------------------------------------


def test_reporting_the_ringing_call(committed, clock, customer, call):
    report, created = committed(fraud_report_call, phone=PHONE, client_ip="198.51.100.7")

    assert created
    assert report.source == FraudReport.Source.CALL
    assert report.customer == customer
    assert report.challenge_id == call.pk
    assert report.phone == PHONE
    assert report.purpose == "issue.ars"
    assert report.client_ip == "198.51.100.7"
    assert report.status == FraudReport.Status.OPEN
    assert report.reported_at.isoformat() == "2025-03-04T01:00:00+00:00"
    assert report.blocked_until.isoformat() == "2025-03-05T01:00:00+00:00"
    # The call can no longer be answered: the right digits now are refused as reported.
    assert challenge_status(challenge_id=call.pk) == "reported"
    result = ars_key_in(challenge_id=call.pk, digits=ars_display_code(call))
    assert not result.ok
    assert result.reason == "reported"
    assert "본인이 요청하지 않은 인증 요청으로 신고되어" in result.message


def test_the_notice_goes_to_the_phone_by_sms(committed, clock, customer, call):
    committed(fraud_report_call, phone=PHONE)
    notice = HandsetMessage.objects.filter(kind="sms").get()
    assert notice.phone == PHONE
    assert notice.body == (
        "[KB국민은행] 본인이 요청하지 않은 본인 확인 요청을 신고하셨습니다. 안전을 위해 24시간 동안 "
        "금융인증서 발급·재발급이 제한됩니다. 문의: 고객센터 1588-9999"
    )


def test_the_notice_names_the_purpose_and_the_hours(committed, settings, customer):
    from verification.purposes import purpose_register

    purpose_register("test.fraud", "금융인증서 발급")
    settings.FRAUD_BLOCK_HOURS = 48
    committed(ars_call_start, phone=PHONE, purpose="test.fraud", customer=customer)
    committed(fraud_report_call, phone=PHONE)
    assert "본인이 요청하지 않은 금융인증서 발급 요청을 신고하셨습니다" in last_sms()
    assert "48시간 동안" in last_sms()


def test_a_report_ends_everything_pending_for_the_phone_and_the_customer(
    committed, customer, call
):
    code = committed(sms_send, phone=PHONE, purpose="issue.sms", customer=customer, flow_id="f1")
    committed(fraud_report_call, phone=PHONE, challenge_id=call.pk)
    assert challenge_status(challenge_id=call.pk) == "reported"
    assert challenge_status(challenge_id=code.pk) == "cancelled"


def test_reporting_the_same_call_twice_answers_with_the_first_report(committed, call):
    first, created = committed(fraud_report_call, phone=PHONE, challenge_id=call.pk)
    again, created_again = committed(fraud_report_call, phone=PHONE, challenge_id=call.pk)
    assert created and not created_again
    assert again == first
    assert FraudReport.objects.count() == 1


def test_no_ringing_call_nothing_to_report(committed, clock, call):
    with pytest.raises(FraudReportNotFound):
        fraud_report_call(phone="+821023456789")  # another phone
    clock.shift(181)  # the call expired
    with pytest.raises(FraudReportNotFound):
        fraud_report_call(phone=PHONE)
    with pytest.raises(FraudReportNotFound):
        fraud_report_call(phone=PHONE, challenge_id=call.pk)
    assert not FraudReport.objects.exists()


def test_a_call_already_answered_cannot_be_reported(committed, call):
    ars_key_in(challenge_id=call.pk, digits=ars_display_code(call))
    with pytest.raises(FraudReportNotFound):
        fraud_report_call(phone=PHONE, challenge_id=call.pk)


def test_a_call_without_a_customer_blocks_the_customer_with_that_phone(committed, customer):
    committed(ars_call_start, phone=PHONE, purpose="issue.ars")
    report, _created = committed(fraud_report_call, phone=PHONE)
    assert report.customer == customer


def test_the_report_keeps_no_secret(committed, call):
    report, _created = committed(fraud_report_call, phone=PHONE)
    row = FraudReport.objects.values().get()
    assert not any("code" in name or "hmac" in name for name in row)
    assert call.code_hmac not in " ".join(str(value) for value in row.values())
    assert row["id"] == report.pk


# --- from an SMS ----------------------------------------------------------------------------------


def test_every_code_sms_says_how_to_report(committed):
    committed(sms_send, phone=PHONE, purpose="issue.sms")
    assert "요청하지 않았다면 신고: 1588-9999" in last_sms()


def test_reporting_a_code_sms(committed, simulated, customer):
    challenge, message = sms_message(committed, customer)
    code = code_in(message.body)

    report, created = committed(fraud_report_sms, phone=PHONE, message_id=message.pk,
                                client_ip="198.51.100.7")

    assert created
    assert report.source == FraudReport.Source.SMS
    assert report.challenge_id == challenge.pk
    assert report.message_id == message.pk
    assert report.customer == customer
    assert report.purpose == "issue.sms"
    # The code it carried can no longer be used.
    assert challenge_status(challenge_id=challenge.pk) == "reported"
    assert sms_verify(challenge_id=challenge.pk, code=code).reason == "reported"
    # The notice arrived on the same handset.
    assert "신고하셨습니다" in last_sms()


def test_an_sms_is_matched_to_its_own_challenge_by_the_code(committed, simulated, customer, clock):
    first, first_message = sms_message(committed, customer, purpose="issue.sms")
    clock.shift(61)
    second, second_message = sms_message(committed, customer, purpose="cloud.connect")
    inbox = [(m, m.body) for m in (second_message, first_message)]
    found = handset_message_challenges(phone=PHONE, messages=inbox)
    assert found[first_message.pk] == first
    assert found[second_message.pk] == second
    report, _created = committed(fraud_report_sms, phone=PHONE, message_id=first_message.pk)
    assert report.challenge == first
    assert report.purpose == "issue.sms"


def test_reporting_the_same_sms_twice(committed, simulated, customer):
    _challenge, message = sms_message(committed, customer)
    first, _ = committed(fraud_report_sms, phone=PHONE, message_id=message.pk)
    again, created = committed(fraud_report_sms, phone=PHONE, message_id=message.pk)
    assert again == first and not created


@pytest.mark.parametrize("message_id", ["abc", "999999", None])
def test_reporting_a_message_that_is_not_there(committed, simulated, message_id):
    with pytest.raises(FraudReportNotFound):
        fraud_report_sms(phone=PHONE, message_id=message_id)


def test_a_message_of_another_phone_cannot_be_reported(committed, simulated, customer):
    _challenge, message = sms_message(committed, customer)
    with pytest.raises(FraudReportNotFound):
        fraud_report_sms(phone="+821023456789", message_id=message.pk)


# --- the block and its expiry ---------------------------------------------------------------------


def test_the_block_lasts_fraud_block_hours_on_the_one_clock(committed, clock, customer, call):
    assert block_of(customer) is None
    report, _created = committed(fraud_report_call, phone=PHONE)
    assert block_of(customer) == report
    assert block_of(customer.pk) == report  # a pk will do
    clock.shift(24 * 3600)  # exactly the end: the block has run out
    assert block_of(customer) is None
    clock.shift(-1)
    assert block_of(customer) == report
    # The report stays open for staff after the block ran out.
    clock.shift(3600)
    assert list(fraud_reports_open()) == [report]


def test_the_block_hours_come_from_the_setting(committed, settings, clock, customer, call):
    settings.FRAUD_BLOCK_HOURS = 1
    report, _created = committed(fraud_report_call, phone=PHONE)
    assert report.blocked_until.isoformat() == "2025-03-04T02:00:00+00:00"


def test_the_block_applies_to_that_customer_only(committed, customer, customer_factory, call):
    other = customer_factory()
    committed(fraud_report_call, phone=PHONE)
    assert block_of(other) is None
    assert block_of(None) is None


def test_clearing_lifts_the_block(committed, customer, call, admin_user):
    report, _created = committed(fraud_report_call, phone=PHONE)
    assert fraud_reports_clear(report_ids=[report.pk], cleared_by=admin_user) == 1
    assert block_of(customer) is None
    assert list(fraud_reports_open()) == []
    report.refresh_from_db()
    assert report.status == FraudReport.Status.CLEARED
    assert report.cleared_by == admin_user
    assert report.cleared_at is not None
    # Clearing again changes nothing.
    assert fraud_reports_clear(report_ids=[report.pk], cleared_by=admin_user) == 0


def test_the_block_message_names_the_time_and_the_call_center(committed, clock, call):
    report, _created = committed(fraud_report_call, phone=PHONE)
    assert fraud_block_message(report) == (
        "본인이 요청하지 않은 인증 요청이 신고되어 2025-03-05 10:00까지 금융인증서 발급·재발급이 "
        "제한됩니다. 본인이 직접 요청한 경우 KB국민은행 고객센터(1588-9999)로 연락해 주세요."
    )


# --- on the handset page --------------------------------------------------------------------------


def phone_url():
    return reverse("verification:handset_phone", kwargs={"phone": PHONE})


def test_a_ringing_call_warns_and_offers_the_report(client, simulated, call):
    html = client.get(phone_url()).content.decode()
    assert ("[KB국민은행] 본인이 요청하지 않은 경우 화면의 숫자를 입력하지 마시고 9번만 눌러 "
            "‘입력’하거나") in html
    assert "본인이 요청하지 않음 (9)" in html
    action = reverse("verification:handset_call_fraud",
                     kwargs={"phone": PHONE, "challenge_id": call.pk})
    assert f'action="{action}"' in html


def test_the_report_button_on_the_page(client, simulated, django_capture_on_commit_callbacks,
                                       customer, call):
    url = reverse("verification:handset_call_fraud",
                  kwargs={"phone": PHONE, "challenge_id": call.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 302
    assert response["Location"] == f"/phone/{NATIONAL}/"
    page = client.get(response["Location"]).content.decode()
    assert "본인이 요청하지 않은 요청으로 신고했습니다." in page
    assert "전화 수신 중" not in page
    assert "신고하셨습니다" in page  # the notice in the inbox
    report = FraudReport.objects.get()
    assert report.client_ip == "203.0.113.5"
    assert report.customer == customer


def test_keying_nine_reports_the_call(client, simulated, customer, call):
    url = reverse("verification:handset_key_in", kwargs={"phone": PHONE, "challenge_id": call.pk})
    response = client.post(url, {"digits": "9"})
    assert response.status_code == 302
    assert challenge_status(challenge_id=call.pk) == "reported"
    assert FraudReport.objects.get().source == "call"


def test_reporting_a_call_that_ended_meanwhile(client, simulated, call):
    ars_key_in(challenge_id=call.pk, digits=ars_display_code(call))
    url = reverse("verification:handset_call_fraud",
                  kwargs={"phone": PHONE, "challenge_id": call.pk})
    page = client.post(url, follow=True).content.decode()
    assert "이미 종료된 통화입니다." in page
    assert not FraudReport.objects.exists()


def test_a_call_of_another_phone_cannot_be_reported_from_this_one(client, simulated, call):
    url = reverse("verification:handset_call_fraud",
                  kwargs={"phone": "+821023456789", "challenge_id": call.pk})
    assert client.post(url).status_code == 404
    assert not FraudReport.objects.exists()


def test_a_code_sms_offers_report_and_then_says_reported(client, simulated, committed, customer):
    _challenge, message = sms_message(committed, customer)
    committed(sms_send, phone="010-2345-6789",
              purpose="issue.sms")
    html = client.get(phone_url()).content.decode()
    url = reverse("verification:handset_sms_fraud",
                  kwargs={"phone": PHONE, "message_id": message.pk})
    assert f'action="{url}"' in html
    assert ">신고</button>" in html

    response = client.post(url)
    assert response.status_code == 302
    html = client.get(phone_url()).content.decode()
    assert f'action="{url}"' not in html
    assert "신고함" in html
    assert FraudReport.objects.get().message_id == message.pk


def test_a_plain_notice_offers_no_report(client, simulated, committed):
    from verification.services import sms_notify

    committed(sms_notify, phone=PHONE, text="[KB국민은행] 금융인증서가 발급되었습니다.")
    html = client.get(phone_url()).content.decode()
    assert ">신고</button>" not in html


def test_an_sms_of_another_phone_is_a_404_here(client, simulated, committed, customer):
    _challenge, message = sms_message(committed, customer)
    url = reverse("verification:handset_sms_fraud",
                  kwargs={"phone": "+821023456789", "message_id": message.pk})
    assert client.post(url).status_code == 404


def test_report_urls_are_post_only_and_404_when_the_handset_is_off(client, settings, simulated,
                                                                   committed, customer, call):
    _challenge, message = sms_message(committed, customer)
    urls = [
        reverse("verification:handset_call_fraud", kwargs={"phone": PHONE, "challenge_id": call.pk}),
        reverse("verification:handset_sms_fraud", kwargs={"phone": PHONE, "message_id": message.pk}),
    ]
    for url in urls:
        assert client.get(url).status_code == 405
    settings.SIMULATED_PHONE_ENABLED = False
    for url in urls:
        assert client.post(url).status_code == 404
    assert not FraudReport.objects.exists()


def test_the_report_button_needs_the_csrf_token(simulated, call):
    strict = Client(enforce_csrf_checks=True)
    url = reverse("verification:handset_call_fraud",
                  kwargs={"phone": PHONE, "challenge_id": call.pk})
    assert strict.post(url).status_code == 403
    assert not FraudReport.objects.exists()


# --- staff in admin -------------------------------------------------------------------------------


def staff(username, group):
    return staff_login(username, group)


@pytest.fixture
def reports(committed, customer, customer_factory, clock):
    committed(ars_call_start, phone=PHONE, purpose="issue.ars", customer=customer)
    first, _ = committed(fraud_report_call, phone=PHONE)
    other = customer_factory()
    committed(ars_call_start, phone=other.phone, purpose="issue.ars", customer=other)
    second, _ = committed(fraud_report_call, phone=other.phone)
    return first, second


CHANGELIST = "/admin/verification/fraudreport/"


def test_staff_list_and_filter_reports(reports, admin_client):
    first, second = reports
    fraud_reports_clear(report_ids=[second.pk], cleared_by=None)
    listing = admin_client.get(CHANGELIST)
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [second, first]
    body = listing.content.decode()
    assert "010-1234-****" in body and PHONE not in body
    assert "본인 확인 (issue.ars)" in body  # an unregistered purpose: the default label
    opened = admin_client.get(CHANGELIST, {"status__exact": "open"})
    assert list(opened.context["cl"].result_list) == [first]
    cleared = admin_client.get(CHANGELIST, {"status__exact": "cleared"})
    assert list(cleared.context["cl"].result_list) == [second]
    detail = admin_client.get(f"{CHANGELIST}{first.pk}/change/")
    assert detail.status_code == 200


def test_both_roles_see_reports(reports):
    for username, group in [("officer", "인증서 관리자"), ("reviewer", "인증서 검토자")]:
        client, _user = staff(username, group)
        assert client.get(CHANGELIST).status_code == 200, group


def test_an_officer_clears_a_report_and_it_is_audited(reports, customer):
    first, second = reports
    client, officer = staff("officer", "인증서 관리자")
    listing = client.get(CHANGELIST)
    assert "clear_selected" in listing.content.decode()
    response = client.post(CHANGELIST, {"action": "clear_selected", "_selected_action": [first.pk]})
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "cleared" and first.cleared_by == officer
    assert second.status == "open"
    assert customer_fraud_block(customer) is None
    entry = LogEntry.objects.get(object_id=str(first.pk))
    assert entry.user == officer
    assert entry.change_message == "본인 요청 아님 신고 해제"


def test_a_reviewer_cannot_clear(reports, customer):
    first, _second = reports
    client, _reviewer = staff("reviewer", "인증서 검토자")
    assert "clear_selected" not in client.get(CHANGELIST).content.decode()
    response = client.post(CHANGELIST, {"action": "clear_selected", "_selected_action": [first.pk]})
    assert response.status_code == 403
    first.refresh_from_db()
    assert first.status == "open"
    assert customer_fraud_block(customer) == first
    assert not LogEntry.objects.exists()


def test_staff_cannot_add_edit_or_delete_reports(reports, admin_client):
    first, _second = reports
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}{first.pk}/delete/").status_code == 403


def test_the_challenge_admin_shows_the_reported_status(reports, admin_client):
    page = admin_client.get("/admin/verification/challenge/", {"status__exact": "reported"})
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == 2
    assert Challenge.objects.filter(status="reported").count() == 2
