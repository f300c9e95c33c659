"""효력정지 / 효력회복: transitions, the CRL, admin, 인증서 관리 and every refusal of a held certificate."""

import html
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
import time_machine
from cryptography import x509
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certificates import lifecycle, renewal
from certificates.admin import RevokeForm
from certificates.ca import load_issuing_ca
from certificates.manage.hold import RESUME_SESSION_KEY
from certificates.models import Certificate, CertificateEvent
from certificates.selectors import certificate_use_problem
from certificates.services import (
    CertificateNotUsable,
    CertificateSuspended,
    certificate_unlock_key,
)
from certificates.signing import certificate_sign, error_messages
from tests.certificates.conftest import cloud_connect
from tests.certificates.test_signing import refused, sign, verify
from tests.conftest import PIN, staff_login
from verification import services as verification
from verification.backends import locmem
from verification.models import Challenge

# The CRL view serves what was published and never signs: start from init_ca's first CRL.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("published_crl")]

Status = Certificate.Status
Actor = CertificateEvent.Actor
MANAGE = reverse("certificates:manage")
SUSPEND_PAGE = reverse("certificates:manage_suspend")
RESUME_PAGE = reverse("certificates:manage_resume")


@pytest.fixture(autouse=True)
def fast(settings, outbox):
    settings.PIN_SCRYPT_N = 2**10
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page(response) -> str:
    return html.unescape(response.content.decode())


def crl_entries(client=None) -> dict[int, x509.RevokedCertificate]:
    response = (client or Client()).get(reverse("certificates:crl"))
    assert response.status_code == 200
    crl = x509.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(load_issuing_ca().cert.public_key())
    return {entry.serial_number: entry for entry in crl}


def crl_reason(entry) -> x509.ReasonFlags:
    return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason


def notices():
    return [d.body for d in locmem.outbox if d.kind == "sms"]


def suspend(certificate, committed, **kwargs):
    with committed():
        return lifecycle.certificate_suspend(certificate=certificate,
                                             actor=kwargs.pop("actor", Actor.CUSTOMER), **kwargs)


def resume(certificate, committed, **kwargs):
    with committed():
        return lifecycle.certificate_resume(certificate=certificate,
                                            actor=kwargs.pop("actor", Actor.CUSTOMER), **kwargs)


# -- The transitions -------------------------------------------------------------------------------

def test_suspend_puts_the_certificate_on_hold_with_an_event_and_a_notice(certificate, committed):
    suspend(certificate, committed, client_ip="203.0.113.9", note="분실 신고")
    certificate.refresh_from_db()
    assert certificate.status == Status.SUSPENDED
    assert certificate.revocation_reason == Certificate.RevocationReason.CERTIFICATE_HOLD
    assert certificate.revoked_at is not None
    event = CertificateEvent.objects.get(certificate=certificate, kind="suspended")
    assert (event.actor, event.client_ip, event.reason) == ("customer", "203.0.113.9",
                                                            "효력정지 분실 신고")
    assert event.get_kind_display() == "효력정지"
    assert len(notices()) == 1
    assert "금융인증서 효력이 정지되었습니다" in notices()[0] and "본인이 아닌 경우" in notices()[0]


def test_resume_makes_it_active_again_and_clears_the_hold(certificate, committed):
    suspend(certificate, committed)
    resume(certificate, committed, note="본인 확인")
    certificate.refresh_from_db()
    assert certificate.status == Status.ACTIVE
    assert (certificate.revocation_reason, certificate.revoked_at) == ("", None)
    event = CertificateEvent.objects.get(certificate=certificate, kind="resumed")
    assert event.reason == "효력회복 본인 확인" and event.get_kind_display() == "효력회복"
    assert "효력이 회복되었습니다" in notices()[-1] and "본인이 아닌 경우" in notices()[-1]


@pytest.mark.parametrize("status", [Status.LOCKED, Status.REISSUE_REQUIRED, Status.REVOKED,
                                    Status.RENEWED, Status.EXPIRED, Status.SUSPENDED])
def test_only_an_active_certificate_is_suspended(certificate, status):
    Certificate.objects.filter(pk=certificate.pk).update(status=status)
    with pytest.raises(lifecycle.TransitionRefused):
        lifecycle.certificate_suspend(certificate=certificate, actor=Actor.STAFF)
    certificate.refresh_from_db()
    assert certificate.status == status
    assert not CertificateEvent.objects.filter(kind="suspended").exists()


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.LOCKED, Status.REVOKED])
def test_only_a_suspended_certificate_is_resumed(certificate, status):
    Certificate.objects.filter(pk=certificate.pk).update(status=status)
    with pytest.raises(lifecycle.TransitionRefused):
        lifecycle.certificate_resume(certificate=certificate, actor=Actor.STAFF)
    assert not CertificateEvent.objects.filter(kind="resumed").exists()


def test_a_suspended_certificate_past_its_expiry_is_not_resumed(certificate, committed):
    suspend(certificate, committed)
    certificate.refresh_from_db()
    with time_machine.travel(certificate.not_after + timedelta(seconds=1)), \
            pytest.raises(lifecycle.TransitionRefused):
        lifecycle.certificate_resume(certificate=certificate, actor=Actor.STAFF)
    with time_machine.travel(certificate.not_after):  # the last second still counts
        lifecycle.certificate_resume(certificate=certificate, actor=Actor.STAFF)
    certificate.refresh_from_db()
    assert certificate.status == Status.ACTIVE


def test_a_suspended_certificate_is_the_customers_current_one(certificate, certificate_factory,
                                                               committed, customer):
    suspend(certificate, committed)
    assert Certificate.objects.current().get(customer=customer) == certificate
    # So the database refuses a second current certificate beside it.
    certificate.refresh_from_db()
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(
            customer=customer, sealed_key=certificate.sealed_key, serial="abc123",
            subject="x", key_type="rsa-2048", not_before=timezone.now(),
            not_after=timezone.now() + timedelta(days=1), status=Status.ACTIVE,
        )


def test_a_suspended_certificate_can_still_be_revoked_with_a_final_reason(certificate,
                                                                           committed):
    suspend(certificate, committed)
    with committed():
        lifecycle.certificate_revoke(certificate=certificate, reason="key_compromise",
                                     actor=Actor.STAFF)
    certificate.refresh_from_db()
    assert (certificate.status, certificate.revocation_reason) == (Status.REVOKED,
                                                                   "key_compromise")
    entry = crl_entries()[certificate.serial_int]
    assert crl_reason(entry) == x509.ReasonFlags.key_compromise


# -- The CRL ---------------------------------------------------------------------------------------

def test_the_crl_lists_a_suspended_certificate_as_certificate_hold_until_resumed(
    certificate, committed
):
    assert certificate.serial_int not in crl_entries()
    suspend(certificate, committed)
    certificate.refresh_from_db()
    entry = crl_entries()[certificate.serial_int]
    assert crl_reason(entry) == x509.ReasonFlags.certificate_hold
    assert entry.revocation_date_utc == certificate.revoked_at.replace(microsecond=0)
    resume(certificate, committed)
    assert certificate.serial_int not in crl_entries()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_reads_certificate_hold_on_the_crl(certificate, committed, tmp_path):
    def openssl_text():
        path = tmp_path / "crl.der"
        path.write_bytes(Client().get(reverse("certificates:crl")).content)
        return subprocess.run(["openssl", "crl", "-inform", "DER", "-in", str(path), "-noout",
                               "-text"], capture_output=True, text=True, check=True).stdout

    serial = f"{certificate.serial_int:X}"
    suspend(certificate, committed)
    text = openssl_text()
    listed = re.search(rf"Serial Number: 0*{serial}\s+Revocation Date:[^\n]*\n(.*?)(?:Serial|Signature)",
                       text, re.S)
    assert listed and "Certificate Hold" in listed.group(1)
    resume(certificate, committed)
    assert serial not in openssl_text().upper().replace(":", "")


# -- Refusals while suspended ----------------------------------------------------------------------

def test_signing_with_a_suspended_certificate_is_refused(certificate, committed):
    suspend(certificate, committed)
    with pytest.raises(CertificateSuspended):
        certificate_unlock_key(certificate=certificate, pin=PIN)
    with pytest.raises(CertificateNotUsable):  # what callers that do not tell them apart catch
        certificate_sign(certificate=certificate, pin=PIN, content=b"x")


def test_a_signature_made_before_the_suspension_is_refused_as_suspended(certificate, customer,
                                                                         committed):
    signed = sign(certificate)
    suspend(certificate, committed)
    refusal = refused("suspended", signed, customer, certificate=certificate)
    assert refusal.message == "효력이 정지된 인증서입니다. 인증서 관리에서 효력회복 후 이용해 주세요."
    assert str(error_messages["suspended"]).startswith("효력이 정지된 인증서입니다.")


def test_after_resumption_it_signs_and_verifies_again(certificate, customer, committed):
    suspend(certificate, committed)
    resume(certificate, committed)
    assert verify(sign(certificate), customer) == certificate


def test_the_use_problem_of_a_suspended_certificate(certificate, committed):
    suspend(certificate, committed)
    certificate.refresh_from_db()
    assert certificate_use_problem(certificate) == "suspended"


def test_renewal_neither_renews_nor_wrongly_expires_a_suspended_certificate(certificate,
                                                                             committed):
    suspend(certificate, committed)
    certificate.refresh_from_db()
    inside_window = certificate.not_after - timedelta(days=5)
    with time_machine.travel(inside_window):
        report = renewal.certificates_renew()
    assert (report.renewed, report.expired) == (0, 0)
    certificate.refresh_from_db()
    assert certificate.status == Status.SUSPENDED and certificate.replaced_by_id is None
    # Past its validity it becomes expired like any current certificate (and leaves the CRL).
    with time_machine.travel(certificate.not_after + timedelta(seconds=1)):
        report = renewal.certificates_renew()
    certificate.refresh_from_db()
    assert report.expired == 1 and certificate.status == Status.EXPIRED


def test_reissue_revokes_a_suspended_certificate(wizard, certificate, committed, customer):
    suspend(certificate, committed)
    response = wizard.issue(reason="lost", pin="258036")
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == Status.REVOKED
    assert certificate.revocation_reason == "key_compromise"
    new = Certificate.objects.get(customer=customer, status=Status.ACTIVE)
    assert certificate.replaced_by == new
    assert crl_reason(crl_entries()[certificate.serial_int]) == x509.ReasonFlags.key_compromise


def test_the_reissue_page_suggests_lost_for_a_suspended_certificate(wizard, certificate,
                                                                      committed):
    suspend(certificate, committed)
    wizard.until("reissue")
    form = wizard.get("reissue").context["form"]
    assert form["reason"].value() == "lost"


# -- Admin -----------------------------------------------------------------------------------------

@pytest.fixture
def officer():
    return staff_login("officer", "인증서 관리자")


@pytest.fixture
def reviewer():
    return staff_login("reviewer", "인증서 검토자")


def admin_url(name, certificate):
    return reverse(f"admin:certificates_certificate_{name}", args=[certificate.pk])


def test_an_officer_suspends_and_resumes_from_the_detail_page(officer, certificate, committed):
    client, user = officer
    detail = page(client.get(admin_url("change", certificate)))
    assert admin_url("suspend", certificate) in detail
    assert admin_url("resume", certificate) not in detail

    form = client.get(admin_url("suspend", certificate))
    assert form.status_code == 200 and certificate.serial in page(form)
    with committed():
        done = client.post(admin_url("suspend", certificate),
                           {"reason": "customer_request", "note": "전화 분실 신고"})
    assert done.status_code == 302 and done["Location"] == admin_url("change", certificate)
    certificate.refresh_from_db()
    assert certificate.status == Status.SUSPENDED
    event = CertificateEvent.objects.get(certificate=certificate, kind="suspended")
    assert (event.actor, event.staff_user) == ("staff", user)
    assert event.reason == "효력정지 고객 요청 (분실·도난): 전화 분실 신고"
    assert crl_reason(crl_entries()[certificate.serial_int]) == x509.ReasonFlags.certificate_hold

    detail = page(client.get(admin_url("change", certificate)))
    assert "효력정지" in detail and admin_url("resume", certificate) in detail
    with committed():
        client.post(admin_url("resume", certificate), {"reason": "cleared", "note": "이상 없음"})
    certificate.refresh_from_db()
    assert certificate.status == Status.ACTIVE
    assert CertificateEvent.objects.get(certificate=certificate, kind="resumed").reason == (
        "효력회복 조사 결과 이상 없음: 이상 없음")
    assert certificate.serial_int not in crl_entries()


def test_the_admin_list_shows_and_filters_suspended(officer, certificate, committed):
    suspend(certificate, committed)
    client, _ = officer
    listing = client.get(reverse("admin:certificates_certificate_changelist"),
                         {"status__exact": "suspended"})
    assert [c.pk for c in listing.context["cl"].result_list] == [certificate.pk]
    assert "효력정지" in page(listing)


def test_the_admin_hold_form_needs_a_reason_and_a_note(officer, certificate):
    client, _ = officer
    response = client.post(admin_url("suspend", certificate), {"reason": "customer_request"})
    assert response.status_code == 200 and response.context["form"].errors["note"]
    response = client.post(admin_url("suspend", certificate), {"note": "x", "reason": "bogus"})
    assert response.context["form"].errors["reason"]
    certificate.refresh_from_db()
    assert certificate.status == Status.ACTIVE


def test_the_admin_refuses_to_resume_an_active_or_suspend_a_suspended_certificate(
    officer, certificate, committed
):
    client, _ = officer
    assert "효력정지 상태의 인증서만" in page(client.get(admin_url("resume", certificate)))
    response = client.post(admin_url("resume", certificate), {"reason": "cleared", "note": "x"})
    assert response.status_code == 302
    assert not CertificateEvent.objects.filter(kind="resumed").exists()
    suspend(certificate, committed)
    assert "정상 상태의 인증서만" in page(client.get(admin_url("suspend", certificate)))


@pytest.mark.parametrize("name", ["suspend", "resume"])
def test_a_reviewer_may_not_suspend_or_resume(reviewer, certificate, name):
    client, _ = reviewer
    assert client.get(admin_url(name, certificate)).status_code == 403
    response = client.post(admin_url(name, certificate), {"reason": "other", "note": "x"})
    assert response.status_code == 403
    assert admin_url("suspend", certificate) not in page(client.get(admin_url("change",
                                                                              certificate)))
    certificate.refresh_from_db()
    assert certificate.status == Status.ACTIVE


def test_certificate_hold_is_not_offered_as_a_revocation_reason(officer, certificate):
    choices = [value for value, _ in RevokeForm().fields["reason"].choices]
    assert "certificate_hold" not in choices and "key_compromise" in choices
    client, _ = officer
    response = client.post(admin_url("revoke", certificate),
                           {"reason": "certificate_hold", "note": "x", "confirm": "on"})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    certificate.refresh_from_db()
    assert certificate.status == Status.ACTIVE


# -- 인증서 관리 ----------------------------------------------------------------------------------------

@pytest.fixture
def browser(client, customer):
    return cloud_connect(client, customer)


@pytest.fixture
def post(browser, committed):
    def send(url, data):
        with committed():
            return browser.post(url, data)

    return send


def test_a_customer_suspends_without_the_pin_after_confirming(browser, post, certificate):
    body = page(browser.get(SUSPEND_PAGE))
    assert "비밀번호 없이" in body and 'name="pin"' not in body
    refused_ = post(SUSPEND_PAGE, {})
    assert refused_.status_code == 200 and refused_.context["form"].errors["confirm"]
    certificate.refresh_from_db()
    assert certificate.status == Status.ACTIVE

    response = post(SUSPEND_PAGE, {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == MANAGE
    certificate.refresh_from_db()
    assert certificate.status == Status.SUSPENDED
    event = CertificateEvent.objects.get(certificate=certificate, kind="suspended")
    assert event.actor == "customer" and "인증서 관리" in event.reason
    assert crl_reason(crl_entries()[certificate.serial_int]) == x509.ReasonFlags.certificate_hold


def test_a_get_of_the_suspend_page_changes_nothing(browser, certificate):
    browser.get(SUSPEND_PAGE)
    certificate.refresh_from_db()
    assert certificate.status == Status.ACTIVE


def test_the_overview_shows_a_suspended_certificate(browser, certificate, committed):
    suspend(certificate, committed)
    body = page(browser.get(MANAGE))
    assert "효력정지" in body and "효력이 정지된 인증서입니다" in body
    assert RESUME_PAGE in body and SUSPEND_PAGE not in body.replace(
        f'href="{SUSPEND_PAGE}">효력정지·회복', "")


def test_the_suspend_page_refuses_a_suspended_or_locked_certificate(browser, post, certificate,
                                                                     committed):
    suspend(certificate, committed)
    body = page(browser.get(SUSPEND_PAGE))
    assert "효력이 정지된 인증서입니다" in body and RESUME_PAGE in body
    post(SUSPEND_PAGE, {"confirm": "on"})
    assert CertificateEvent.objects.filter(kind="suspended").count() == 1


def test_the_suspend_page_without_a_certificate_offers_issuance(browser, customer):
    assert "현재 사용 중인 금융인증서가 없습니다" in page(browser.get(SUSPEND_PAGE))


def test_the_resume_page_refuses_an_active_certificate(browser, post, certificate):
    assert "효력정지 상태가 아닙니다" in page(browser.get(RESUME_PAGE))
    post(RESUME_PAGE, {"action": "call"})
    assert not Challenge.objects.exists()


@pytest.mark.parametrize("url", [reverse("certificates:manage_pin"),
                                 reverse("certificates:manage_revoke")])
def test_pin_change_and_revocation_refuse_a_suspended_certificate(browser, post, certificate,
                                                                   committed, url):
    suspend(certificate, committed)
    body = page(browser.get(url))
    assert "효력이 정지된 인증서입니다" in body and "비밀번호 변경, 해지를 할 수 없습니다" in body
    body = page(post(url, {"pin": PIN, "new_pin": "258036", "new_pin_confirm": "258036",
                           "confirm": "on"}))
    assert "효력이 정지된 인증서입니다" in body
    certificate.refresh_from_db()
    assert certificate.status == Status.SUSPENDED


def ars_answer(browser):
    """Answer the ringing ARS call on the handset with the number the page shows."""
    shown = browser.get(RESUME_PAGE).context
    verification.ars_key_in(challenge_id=shown["challenge"].pk, digits=shown["display_code"])


def last_code():
    sms = [d for d in locmem.outbox if d.kind == "sms"]
    return re.search(r"\[(\d{6})\]", sms[-1].body).group(1)


def test_a_customer_resumes_after_ars_and_sms(browser, post, certificate, committed):

    suspend(certificate, committed)
    assert "ARS 인증 요청" in page(browser.get(RESUME_PAGE))
    assert not Challenge.objects.exists()  # a GET places no call

    assert post(RESUME_PAGE, {"action": "call"}).status_code == 302
    ars = Challenge.objects.get(channel="ars")
    assert ars.purpose == "manage.resume.ars"
    ars_answer(browser)
    assert post(RESUME_PAGE, {"action": "check"}).status_code == 302
    assert browser.session[RESUME_SESSION_KEY]["ars_ok"]

    post(RESUME_PAGE, {"action": "send"})
    sms = Challenge.objects.get(channel="sms")
    assert sms.purpose == "manage.resume.sms"
    assert "효력회복" in [d for d in locmem.outbox if d.kind == "sms"][-1].body
    response = post(RESUME_PAGE, {"action": "verify", "code": last_code()})
    assert response.status_code == 302 and response["Location"] == MANAGE
    certificate.refresh_from_db()
    assert certificate.status == Status.ACTIVE
    event = CertificateEvent.objects.get(certificate=certificate, kind="resumed")
    assert event.actor == "customer"
    assert RESUME_SESSION_KEY not in browser.session
    assert certificate.serial_int not in crl_entries()
    assert certificate_unlock_key(certificate=certificate, pin=PIN) is not None  # usable again


def test_resume_refuses_the_sms_step_before_the_ars_call_is_answered(browser, post, certificate,
                                                                      committed):
    suspend(certificate, committed)
    post(RESUME_PAGE, {"action": "call"})
    response = post(RESUME_PAGE, {"action": "check"})  # not answered yet
    assert response.status_code == 200 and response.context["error"]
    assert not browser.session[RESUME_SESSION_KEY]["ars_ok"]
    post(RESUME_PAGE, {"action": "send"})
    post(RESUME_PAGE, {"action": "verify", "code": "123456"})
    assert not Challenge.objects.filter(channel="sms").exists()
    certificate.refresh_from_db()
    assert certificate.status == Status.SUSPENDED


def test_resume_refuses_a_wrong_sms_code(browser, post, certificate, committed):
    suspend(certificate, committed)
    post(RESUME_PAGE, {"action": "call"})
    ars_answer(browser)
    post(RESUME_PAGE, {"action": "check"})
    post(RESUME_PAGE, {"action": "send"})
    wrong = "000000" if last_code() != "000000" else "111111"
    response = post(RESUME_PAGE, {"action": "verify", "code": wrong})
    assert response.status_code == 200 and response.context["code_form"].errors["code"]
    certificate.refresh_from_db()
    assert certificate.status == Status.SUSPENDED


def test_resume_refuses_an_ars_answer_of_another_flow(browser, post, certificate, committed,
                                                      customer):
    """An ARS challenge verified for something else (another purpose or flow) proves nothing."""
    suspend(certificate, committed)
    other = verification.ars_call_start(phone=customer.phone, purpose="issuance.ars",
                                        flow_id="someone-else", customer=customer)
    verification.ars_key_in(challenge_id=other.pk, digits=verification.ars_display_code(other))
    session = browser.session
    session[RESUME_SESSION_KEY] = {"id": "mine", "certificate": certificate.pk, "ars": str(other.pk)}
    session.save()
    post(RESUME_PAGE, {"action": "check"})
    assert not browser.session[RESUME_SESSION_KEY].get("ars_ok")


def test_a_resume_state_for_another_certificate_starts_over(browser, post, certificate,
                                                            committed):
    suspend(certificate, committed)
    session = browser.session
    session[RESUME_SESSION_KEY] = {"id": "old", "certificate": certificate.pk + 1000,
                                   "ars_ok": True, "sms": None}
    session.save()
    post(RESUME_PAGE, {"action": "send"})
    assert not Challenge.objects.exists()


def test_the_banking_login_shows_the_problem_page_for_a_suspended_certificate(browser, certificate,
                                                                              committed):
    suspend(certificate, committed)
    body = page(browser.get(reverse("certificates:bank_login")))
    assert "효력이 정지된 인증서입니다" in body and RESUME_PAGE in body


def test_the_resume_page_polls_the_call_like_the_wizard(browser, post, certificate, committed):
    suspend(certificate, committed)
    post(RESUME_PAGE, {"action": "call"})
    shown = browser.get(RESUME_PAGE)
    body = page(shown)
    assert 'id="ars-form"' in body and "js/wizard.js" in body
    status = browser.get(shown.context["status_url"])  # this session placed the call
    assert status.status_code == 200 and status.json()["status"] == "pending"


def test_resume_stops_when_the_call_is_reported_as_not_requested(browser, post, certificate,
                                                                 committed):
    from verification.services import fraud_report_call

    suspend(certificate, committed)
    post(RESUME_PAGE, {"action": "call"})
    ars = Challenge.objects.get(channel="ars")
    with committed():
        fraud_report_call(phone=ars.phone, challenge_id=ars.pk)
    response = post(RESUME_PAGE, {"action": "check"})
    assert response.status_code == 200
    assert "본인이 요청하지 않은 인증 요청으로 신고되어 진행을 중단했습니다" in response.context["error"]
    assert not browser.session[RESUME_SESSION_KEY]["ars_ok"]
    certificate.refresh_from_db()
    assert certificate.status == Status.SUSPENDED
