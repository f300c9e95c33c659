"""Every wizard step with the test client: the happy path, every refusal, guards and timeouts."""

import re
from datetime import timedelta

import pytest
import time_machine
from cryptography import x509
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certificates import pki
from certificates.display import format_serial
from certificates.models import Certificate, CertificateEvent
from certificates.wizard.flow import FINISHED_KEY, SESSION_KEY, TOUCH_RESOLUTION
from tests.conftest import PIN
from verification.models import Challenge

pytestmark = pytest.mark.django_db


def url(step):
    return reverse(f"certificates:{step}")


def errors(response):
    return response.content.decode()


@pytest.fixture
def no_sms_cooldown(settings):
    """Issue then reissue within a minute: the per-phone SMS cooldown is not under test there."""
    settings.SMS_RESEND_COOLDOWN = 0
    settings.ARS_RECALL_COOLDOWN = 0


# -- The whole path -------------------------------------------------------------------------------

def test_issue_walks_every_step_in_the_seed_order(wizard, customer):
    seen = []
    for step in ["terms", "identify", "ars", "extra", "sms", "pin"]:
        page = wizard.get(step)
        assert page.status_code == 200, step
        # From the page itself (the first pages are served from a per-process copy, unrendered).
        count = re.search(r'id="step-count">\d+ / \d+ ([^<]+)</p>', page.content.decode())
        seen.append(count.group(1))
        assert getattr(wizard, step)()["Location"] != url(step)
    assert seen == ["약관 동의", "본인 확인", "ARS 인증", "추가 본인 확인", "KB국민인증서 인증",
                    "비밀번호 설정"]


def test_issue_ends_with_a_certificate_that_binds_the_customer(wizard, customer):
    response = wizard.issue()
    assert response["Location"] == url("done")
    done = wizard.client.get(url("done"))
    body = done.content.decode()
    certificate = Certificate.objects.get(customer=customer)
    assert certificate.status == Certificate.Status.ACTIVE
    assert "발급 완료" in body and certificate.subject in body.replace("&#x27;", "'")
    assert certificate.not_after - certificate.not_before == timedelta(days=365)

    parsed = pki.load_certificate(bytes(certificate.der))
    assert parsed.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value.startswith(
        "홍길동()004"
    )
    assert pki.identity_binding(parsed)[0] == "홍길동"
    # The VID recomputed from the number on record and the stored R matches the certificate.
    from base64 import b64decode

    from accounts import crypto
    from certificates.models import VID_PURPOSE

    random_r = b64decode(crypto.decrypt(certificate.sealed_key.vid_random_encrypted,
                                        purpose=VID_PURPOSE))
    der = bytes(certificate.der)
    vid = pki.compute_vid(rrn="9001011234568", random_r=random_r)
    assert pki.binding_matches(cert_der=der, real_name="홍길동", vid=vid)
    other = pki.compute_vid(rrn="9001011234567", random_r=random_r)
    assert not pki.binding_matches(cert_der=der, real_name="홍길동", vid=other)
    # The flow is cleared at the end; the issued event is on the audit trail.
    assert SESSION_KEY not in wizard.client.session
    assert CertificateEvent.objects.filter(certificate=certificate, kind="issued").exists()


def test_downloads_are_the_issued_certificate(wizard, customer):
    wizard.issue()
    certificate = Certificate.objects.get(customer=customer)
    pem = wizard.client.get(reverse("certificates:download", args=["pem"]))
    der = wizard.client.get(reverse("certificates:download", args=["der"]))
    assert pem["Content-Type"] == "application/x-pem-file"
    assert der["Content-Type"] == "application/pkix-cert"
    assert "attachment" in der["Content-Disposition"]
    assert x509.load_pem_x509_certificate(pem.content).serial_number == certificate.serial_int
    assert der.content == bytes(certificate.der)


def test_downloads_belong_to_the_session_that_issued(wizard, client_factory=None):
    wizard.issue()
    from django.test import Client

    stranger = Client()
    assert stranger.get(reverse("certificates:download", args=["pem"])).status_code == 404
    assert stranger.get(url("done"))["Location"] == url("terms")


def test_reissue_revokes_the_old_certificate_and_lists_it_on_the_crl(
    wizard_factory, customer, no_sms_cooldown
):
    from django.test import Client

    wizard_factory().issue()
    first = Certificate.objects.get(customer=customer)

    second = wizard_factory(client=Client())
    second.until("reissue")
    page = second.get("reissue")
    body = page.content.decode()
    assert page.context["step_title"] == "재발급 사유 선택"
    assert "홍*동" in body and "홍길동()" not in body  # the subject is masked
    assert format_serial(first.serial) in body  # as on the 발급 완료 page: 77:C0:26:…
    for label in ["분실", "비밀번호 분실/잠김", "해킹 등 보안 문제", "개인정보 변경", "유효기간 만료"]:
        assert label in body
    second.reissue("lost")
    second.ars()
    second.extra()
    second.sms()
    assert second.pin("246802")["Location"] == url("done")

    first.refresh_from_db()
    new = Certificate.objects.get(customer=customer, status="active")
    assert first.status == Certificate.Status.REVOKED
    assert first.revocation_reason == "key_compromise"
    assert first.replaced_by == new
    done = second.client.get(url("done")).content.decode()
    assert "재발급이 완료되었습니다" in done and format_serial(first.serial) in done
    assert "8 / 8 발급 완료" in done
    crl = x509.load_der_x509_crl(second.client.get(reverse("certificates:crl")).content)
    entry = crl.get_revoked_certificate_by_serial_number(first.serial_int)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.key_compromise
    )
    assert crl.get_revoked_certificate_by_serial_number(new.serial_int) is None
    kinds = set(CertificateEvent.objects.values_list("kind", flat=True))
    assert {"issued", "reissued", "revoked"} <= kinds


@pytest.mark.parametrize(
    ("reason", "revocation"),
    [("pin", "superseded"), ("compromised", "key_compromise"),
     ("details_changed", "affiliation_changed"), ("expired", "superseded")],
)
def test_each_reissue_reason_maps_to_an_rfc5280_reason(wizard_factory, customer, reason,
                                                       revocation, no_sms_cooldown):
    from django.test import Client

    wizard_factory().issue()
    wizard_factory(client=Client()).issue(reason=reason, pin="246802")
    old = Certificate.objects.get(customer=customer, status="revoked")
    assert old.revocation_reason == revocation


def test_reissue_refuses_the_previous_pin(wizard_factory, customer, no_sms_cooldown):
    from django.test import Client

    wizard_factory().issue()
    again = wizard_factory(client=Client())
    again.until("pin")
    response = again.pin(PIN)
    assert response.status_code == 200
    assert response.context["form"].errors["pin"].as_data()[0].code == "same_as_previous"
    assert Certificate.objects.filter(customer=customer).count() == 1


def test_the_previous_pin_answer_is_given_at_most_twice_per_flow(wizard_factory, customer,
                                                                   no_sms_cooldown):
    """"Same as the old PIN" confirms a guess for free: the second such answer ends the flow."""
    from django.test import Client

    wizard_factory().issue()
    again = wizard_factory(client=Client())
    again.until("pin")
    assert again.pin(PIN).status_code == 200
    assert again.pin("111111").status_code == 200  # other refusals do not count
    assert again.pin("482915", confirm="482916").status_code == 200
    ended = again.pin(PIN)
    assert ended["Location"] == url("terms")
    assert SESSION_KEY not in again.client.session
    assert again.get("pin")["Location"] == url("terms")
    assert customer.certificate_events.filter(reason__contains="이전 비밀번호와 같은").count() == 1
    assert Certificate.objects.filter(customer=customer).count() == 1


# -- Guards: no skipping ahead, no replay, side effects only on POST --------------------------------

@pytest.mark.parametrize("step", ["identify", "reissue", "ars", "extra", "sms", "pin"])
def test_without_a_flow_every_step_redirects_to_the_terms(client, step):
    response = client.get(url(step))
    assert response.status_code == 302 and response["Location"] == url("terms")
    assert client.post(url(step), {})["Location"] == url("terms")


@pytest.mark.parametrize("step", ["terms", "identify", "reissue", "extra", "sms", "pin"])
def test_any_other_step_redirects_to_the_current_one(wizard, step):
    wizard.until("ars")
    assert wizard.get(step)["Location"] == url("ars")


@pytest.mark.parametrize("step", ["reissue", "ars", "extra", "sms", "pin"])
def test_the_terms_pass_opens_identification_only(wizard, step):
    wizard.terms()
    assert wizard.get("identify").status_code == 200
    assert wizard.client.get(url(step) + "?" + wizard.terms_pass_url.split("?")[1])["Location"] \
        == url("terms")


def test_a_forged_terms_pass_is_refused(client):
    response = client.get(url("identify") + "?terms=eyJtYXJrZXRpbmciOnRydWV9:forged")
    assert response["Location"] == url("terms")


def test_terms_and_failed_identification_store_nothing_on_the_server(client, wizard, settings):
    """Anonymous posts must not fill the session table (100 posts → 100 rows before)."""
    from django.contrib.sessions.models import Session

    for _ in range(50):
        client.cookies.clear()
        assert wizard.terms()["Location"].startswith(url("identify") + "?terms=")
    for _ in range(settings.LOOKUP_MAX_FAILURES - 1):
        assert wizard.identify(user_id="nobody").status_code == 200
    assert Session.objects.count() == 0
    assert wizard.identify().status_code == 302  # identification begins the flow
    assert Session.objects.count() == 1


def test_a_finished_step_cannot_be_replayed(wizard):
    wizard.until("extra")
    assert wizard.post("ars", {"action": "call"})["Location"] == url("extra")
    assert wizard.post("identify", {"user_id": "x"})["Location"] == url("extra")


def test_the_last_step_cannot_be_replayed_after_issuance(wizard, customer):
    wizard.issue()
    response = wizard.pin()
    assert response["Location"] == url("terms")
    assert Certificate.objects.filter(customer=customer).count() == 1


def test_get_never_places_a_call_or_sends_a_code(wizard, outbox):
    wizard.until("ars")
    for _ in range(3):
        wizard.get("ars")
    assert Challenge.objects.count() == 0
    wizard.ars()
    wizard.extra()
    wizard.get("sms")
    wizard.get("sms")
    assert Challenge.objects.filter(channel="sms").count() == 0
    assert [d.kind for d in outbox] == ["call"]


def test_double_submit_of_the_pin_issues_exactly_one_certificate(wizard, customer):
    wizard.until("pin")
    flow = dict(wizard.client.session[SESSION_KEY])
    first = wizard.pin()
    # A second submit that read the session before the first one finished carries the same flow.
    session = wizard.client.session
    session[SESSION_KEY] = flow
    session.save()
    second = wizard.pin()
    assert first["Location"] == second["Location"] == url("done")
    assert Certificate.objects.filter(customer=customer).count() == 1
    assert wizard.client.session[FINISHED_KEY]["certificate"] == Certificate.objects.get().pk


def test_identification_cycles_the_session_key_and_keeps_no_secret(wizard):
    wizard.terms()
    before = wizard.client.session.session_key
    wizard.identify()
    session = wizard.client.session
    assert session.session_key != before
    stored = str(dict(session.items()))
    assert "1234568" not in stored and "9001011234568" not in stored


# -- Idle timeout ---------------------------------------------------------------------------------

def test_the_flow_survives_exactly_the_idle_timeout(wizard, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.terms()
        clock.move_to(start + timedelta(seconds=settings.FLOW_IDLE_TIMEOUT))
        assert wizard.get("identify").status_code == 200


def test_one_second_past_the_idle_timeout_starts_over(wizard, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.terms()
        clock.move_to(start + timedelta(seconds=settings.FLOW_IDLE_TIMEOUT + 1))
        response = wizard.get("identify")
        assert response["Location"] == url("timeout")
        page = wizard.client.get(url("timeout"))
        assert "입력 시간이 초과되었습니다" in page.content.decode()
        assert SESSION_KEY not in wizard.client.session
        # The expired agreement keeps saying so; the terms page starts over.
        assert wizard.get("identify")["Location"] == url("timeout")
        assert wizard.get("terms").status_code == 200


@pytest.mark.parametrize(("extra_seconds", "expected"), [(0, 200), (1, "timeout")])
def test_a_flow_survives_exactly_the_idle_timeout_and_no_more(wizard, settings, extra_seconds,
                                                              expected):
    wizard.until("ars")
    # The last touch (the POST that led here) is TOUCH_RESOLUTION old: this page touches again.
    start = timezone.now() + timedelta(seconds=TOUCH_RESOLUTION)
    with time_machine.travel(start, tick=False) as clock:
        wizard.get("ars")  # touched now
        clock.move_to(start + timedelta(seconds=settings.FLOW_IDLE_TIMEOUT + extra_seconds))
        response = wizard.get("ars")
        if expected == 200:
            assert response.status_code == 200
        else:
            assert response["Location"] == url("timeout")
            assert SESSION_KEY not in wizard.client.session


def test_a_page_right_after_the_last_touch_writes_nothing(wizard, settings):
    """Post/Redirect/Get: the page after a POST comes within TOUCH_RESOLUTION of the POST's touch
    and needs no session write; the flow then idles out at most that much early."""
    wizard.until("ars")
    touched = wizard.client.session[SESSION_KEY]["touched"]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with CaptureQueriesContext(connection) as queries:
            assert wizard.get("ars").status_code == 200
        assert not [q for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]
        assert wizard.client.session[SESSION_KEY]["touched"] == touched
        # Past the resolution a page touches (and writes) again.
        clock.move_to(start + timedelta(seconds=TOUCH_RESOLUTION))
        assert wizard.get("ars").status_code == 200
        assert wizard.client.session[SESSION_KEY]["touched"] > touched
        # A POST always touches.
        posted = wizard.client.session[SESSION_KEY]["touched"]
        clock.move_to(start + timedelta(seconds=TOUCH_RESOLUTION + 1))
        wizard.client.post(url("ars"), {"action": "nothing-known"})
        assert wizard.client.session[SESSION_KEY]["touched"] > posted


def test_cancel_clears_the_flow(wizard):
    wizard.until("ars")
    response = wizard.client.post(url("cancel"))
    assert response["Location"] == reverse("personal")
    assert SESSION_KEY not in wizard.client.session


# -- Refusals, each on the same page, keeping what was typed ----------------------------------------

def test_terms_must_be_accepted(wizard):
    response = wizard.post("terms", {"terms_service": "on", "terms_marketing": "on"})
    assert response.status_code == 200
    assert "필수 약관에 모두 동의해 주세요." in errors(response)
    assert response.context["form"].non_field_errors().as_data()[0].code == "required_terms"
    assert response.context["form"]["terms_service"].value() is True  # kept


def test_terms_each_required_item_without_agree_all(wizard):
    response = wizard.terms(terms_service="on", terms_privacy="on", terms_unique_id="on")
    assert response["Location"].startswith(url("identify") + "?terms=")


@pytest.mark.parametrize(
    ("user_id", "rrn"),
    [("nobody", "900101-1234568"), ("hong", "900101-1234567"), ("hong", "901301-1234568")],
)
def test_identify_refuses_with_one_message_and_keeps_the_typed_id(wizard, user_id, rrn):
    wizard.terms()
    response = wizard.identify(user_id=user_id, rrn=rrn)
    assert response.status_code == 200
    form = response.context["form"]
    assert [e.code for e in form.non_field_errors().as_data()] == ["not_found"]
    body = errors(response)
    assert f'value="{user_id}"' in body and f'value="{rrn[:6]}"' in body
    assert rrn[7:] not in body  # the secret half is never echoed


def test_a_failed_identification_of_a_known_id_is_on_the_audit_trail(wizard, customer):
    wizard.terms()
    wizard.identify(rrn="900101-1234567")
    event = CertificateEvent.objects.get(kind="verification_failed")
    assert event.customer == customer and event.client_ip == "127.0.0.1"
    assert "1234567" not in event.reason and "1234568" not in event.reason
    wizard.identify(user_id="nobody")
    # An unknown ID is written too (on no customer's trail), so it costs what a known one does.
    unknown = CertificateEvent.objects.exclude(pk=event.pk).get()
    assert unknown.customer is None and unknown.client_ip == "127.0.0.1"


def test_identify_refuses_a_customer_without_internet_banking(wizard_factory, customer_factory):
    person = customer_factory(internet_banking_enrolled=False)
    wizard = wizard_factory(customer=person, rrn=person.resident_number[:6] + "-"
                            + person.resident_number[6:])
    wizard.terms()
    response = wizard.identify()
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["not_found"]


def test_identify_refuses_a_corporate_customer(wizard_factory, customer_factory):
    company = customer_factory(kind="corporate")
    number = company.resident_number
    wizard = wizard_factory(customer=company, rrn=f"{number[:6]}-{number[6:]}")
    wizard.terms()
    response = wizard.identify()
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["corporate"]


def test_identify_is_throttled_after_five_failures(wizard):
    wizard.terms()
    for _ in range(5):
        wizard.identify(rrn="900101-1234567")
    response = wizard.identify()  # even the right details are refused now
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["throttled"]
    assert "10분 뒤에 다시" in errors(response)


@pytest.mark.parametrize(("front", "back", "field"), [("9001", "1234568", "rrn_front"),
                                                     ("900101", "12345", "rrn_back"),
                                                     ("abcdef", "1234568", "rrn_front")])
def test_identify_points_at_the_malformed_half(wizard, front, back, field):
    wizard.terms()
    response = wizard.post("identify", {"user_id": "hong", "rrn_front": front, "rrn_back": back})
    assert response.status_code == 200
    assert field in response.context["form"].errors


def test_ars_check_before_the_customer_answers(wizard):
    wizard.until("ars")
    wizard.post("ars", {"action": "call"})
    response = wizard.post("ars", {"action": "check"})
    assert response.status_code == 200
    assert "아직 전화 인증이 완료되지 않았습니다" in errors(response)
    assert response.context["display_code"].isdigit()


def test_ars_expired_call_can_be_requested_again(wizard, settings):
    wizard.until("ars")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.post("ars", {"action": "call"})
        clock.move_to(start + timedelta(seconds=settings.ARS_CALL_TTL + 1))
        response = wizard.post("ars", {"action": "check"})
        assert "전화 인증 시간이 지났습니다" in errors(response)
        wizard.post("ars", {"action": "call"})
        page = wizard.get("ars")
        assert page.context["challenge_status"] == "pending"
        assert Challenge.objects.filter(channel="ars").count() == 2


def test_extra_requires_confirming_the_contact_details(wizard, customer):
    wizard.until("extra")
    page = wizard.get("extra")
    body = errors(page)
    assert "h***@example.com" in body and "010-1234-****" in body
    assert "hong@example.com" not in body and "010-1234-5678" not in body
    assert "KB국민인증서 인증" in body
    response = wizard.post("extra", {"method": "bank_certificate"})
    assert response.status_code == 200
    assert "confirm_contact" in response.context["form"].errors


@pytest.mark.parametrize(
    "overrides",
    [{"name": "홍길순"}, {"birth_date": "19900102"}, {"phone": "010-9999-5678"}],
)
def test_sms_code_is_not_sent_when_the_details_do_not_match(wizard, outbox, overrides):
    wizard.until("sms")
    response = wizard.send_code(**overrides)
    assert response.status_code == 200
    assert [e.code for e in response.context["identity_form"].non_field_errors().as_data()] == [
        "mismatch"
    ]
    assert not [d for d in outbox if d.kind == "sms"]
    typed = response.context["identity_form"]
    for name, value in overrides.items():
        assert typed[name].value() == value  # kept
    assert CertificateEvent.objects.filter(kind="verification_failed").count() == 1


def test_sms_malformed_birth_date_and_phone(wizard):
    wizard.until("sms")
    response = wizard.send_code(birth_date="1990-13-01", phone="010-123-4567")
    form = response.context["identity_form"]
    assert form.errors.as_data()["birth_date"][0].code == "birth_date"
    assert form.errors.as_data()["phone"][0].code == "invalid"


def test_sms_wrong_code_then_right_code(wizard):
    wizard.until("sms")
    wizard.send_code()
    code = wizard.last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = wizard.verify_code(wrong)
    assert response.status_code == 200
    assert "인증번호가 일치하지 않습니다" in errors(response)
    assert "남은 횟수 4회" in errors(response)
    assert response.context["identity_form"]["name"].value() == "홍길동"  # kept
    assert wizard.verify_code(code)["Location"] == url("pin")


def test_sms_code_expires_after_three_minutes(wizard, settings):
    wizard.until("sms")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.send_code()
        clock.move_to(start + timedelta(seconds=settings.SMS_CODE_TTL + 1))
        response = wizard.verify_code()
        assert "인증 시간이 지났습니다" in errors(response)
        clock.move_to(start + timedelta(seconds=settings.SMS_CODE_TTL + 2))
        wizard.send_code()  # a new code is allowed (past the 60 s cooldown)
        assert wizard.verify_code()["Location"] == url("pin")


def test_sms_resend_respects_the_cooldown(wizard):
    wizard.until("sms")
    wizard.send_code()
    response = wizard.send_code()
    assert response.status_code == 200
    assert [e.code for e in response.context["identity_form"].non_field_errors().as_data()] == [
        "cooldown"
    ]


def test_sms_verify_before_sending(wizard):
    wizard.until("sms")
    response = wizard.post("sms", {"action": "verify", **wizard.identity(), "code": "123456"})
    assert response.status_code == 200
    assert "인증번호 요청" in errors(response)
    # What the customer typed stays on the page (one form holds both actions).
    identity = response.context["identity_form"]
    assert identity["name"].value() == "홍길동"
    assert identity["birth_date"].value() == "19900101"
    assert identity["phone"].value() == "010-1234-5678"


def test_sms_page_is_one_form_whose_default_button_checks_a_sent_code(wizard):
    wizard.until("sms")
    before = wizard.get("sms").content.decode()
    assert before.count("<form") == 2  # the step's form and the wizard's 취소
    assert 'value="verify" class="default-action"' not in before  # Enter asks for a code first
    wizard.send_code()
    after = wizard.get("sms").content.decode()
    first_button = re.search(r"<button[^>]*>", after.split('<form method="post" novalidate')[1])
    assert 'value="verify"' in first_button.group(0)


@pytest.mark.parametrize(
    ("pin", "code"),
    [("12345", "format"), ("12a456", "format"), ("777777", "repeated"), ("345678", "sequential"),
     ("890123", "sequential"), ("543210", "sequential"), ("454545", "pattern"),
     ("369258", "keypad"), ("900101", "birth_date"), ("101990", "birth_date")],
)
def test_pin_rules_each_with_its_own_message(wizard, customer, pin, code):
    wizard.until("pin")
    response = wizard.pin(pin)
    assert response.status_code == 200
    assert response.context["form"].errors.as_data()["pin"][0].code == code
    assert pin not in errors(response).replace(f"({pin}", "")  # the PIN is not echoed back
    assert not Certificate.objects.exists()


def test_pin_with_the_phone_middle_block_is_refused(wizard_factory, customer_factory):
    # 홍길동's own phone blocks (1234, 5678) are runs, refused before the phone rule is reached.
    person = customer_factory(resident_number="900101-1975312", phone="010-9724-3816")
    wizard = wizard_factory(customer=person, rrn="900101-1975312")
    wizard.until("pin")
    response = wizard.pin("972400")
    assert response.status_code == 200
    assert response.context["form"].errors.as_data()["pin"][0].code == "phone"
    assert "972400" not in errors(response)
    assert not Certificate.objects.exists()


def test_pin_confirmation_must_match(wizard):
    wizard.until("pin")
    response = wizard.pin(PIN, confirm="135791")
    assert response.context["form"].errors.as_data()["pin_confirm"][0].code == "mismatch"
    assert not Certificate.objects.exists()


def test_every_page_names_its_step(wizard):
    wizard.terms()
    page = wizard.get("identify")
    body = errors(page)
    assert "2 / 7 본인 확인" in body
    assert "<title>본인 확인" in body
    assert 'inputmode="numeric"' in body and 'type="password"' in body


def test_sms_page_offers_one_time_code_autocomplete(wizard):
    wizard.until("sms")
    assert 'autocomplete="one-time-code"' in errors(wizard.get("sms"))


def test_a_signing_failure_is_a_message_and_the_customer_can_retry(wizard, customer, monkeypatch):
    from certificates import pki as pki_module

    wizard.until("pin")

    def unavailable(builder, *, issuer_key):
        raise RuntimeError("CA offline")

    monkeypatch.setattr(pki_module.EndEntityProfile, "sign", staticmethod(unavailable))
    response = wizard.pin()
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == [
        "unavailable"
    ]
    monkeypatch.undo()
    assert wizard.pin()["Location"] == url("done")
    assert Certificate.objects.get(customer=customer, status="active")
    assert Certificate.objects.filter(customer=customer, status="failed").count() == 1


def test_after_the_timeout_page_starting_over_works(wizard, settings):
    """The page's script sends an idle customer straight to /timeout/; 처음부터 다시 then works."""
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.until("ars")
        clock.move_to(start + timedelta(seconds=settings.FLOW_IDLE_TIMEOUT + 1))
        assert wizard.client.get(url("timeout")).status_code == 200
        assert wizard.get("terms").status_code == 200
        assert SESSION_KEY not in wizard.client.session


def test_a_get_of_the_timeout_page_does_not_end_a_live_flow(wizard):
    """A link from another site must not reset a customer's wizard: state changes only on POST."""
    wizard.until("ars")
    assert wizard.client.get(url("timeout")).status_code == 200
    assert wizard.get("ars").status_code == 200
    assert wizard.client.session[SESSION_KEY]["customer"]


def test_countdowns_are_rendered_as_time_left(wizard, settings):
    wizard.until("sms")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.send_code()
        clock.move_to(start + timedelta(seconds=40))
        page = wizard.get("sms")
        body = page.content.decode()
        assert 'data-remaining="140"' in body and ">2:20<" in body  # works without JavaScript
        assert 'data-resend-in="20"' in body


def test_the_finished_certificate_is_not_left_for_the_next_person(wizard, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.issue()
        clock.move_to(start + timedelta(seconds=settings.FLOW_IDLE_TIMEOUT + 1))
        assert wizard.client.get(reverse("certificates:download", args=["pem"])).status_code == 404
        assert wizard.client.get(url("done"))["Location"] == url("terms")


def test_ars_recall_respects_the_cooldown(wizard, settings):
    settings.ARS_RECALL_COOLDOWN = 30
    wizard.until("ars")
    wizard.post("ars", {"action": "call"})
    response = wizard.post("ars", {"action": "call"})
    assert response.status_code == 200
    assert "전화 인증은" in errors(response) and "초 후에 다시 요청할 수 있습니다" in errors(response)
    assert Challenge.objects.filter(channel="ars").count() == 1


def test_each_identity_step_cycles_the_session_key(wizard):
    wizard.until("ars")
    before_ars = wizard.client.session.session_key
    wizard.ars()
    after_ars = wizard.client.session.session_key
    wizard.extra()
    wizard.sms()
    assert len({before_ars, after_ars, wizard.client.session.session_key}) == 3
    # An old session id (planted or observed before a step) holds no flow any more.
    from django.conf import settings
    from django.test import Client

    for old in (before_ars, after_ars):
        stranger = Client()
        stranger.cookies[settings.SESSION_COOKIE_NAME] = old
        assert stranger.get(url("pin"))["Location"] == url("terms")
    assert wizard.get("pin").status_code == 200  # the customer's own goes on


def test_reissue_when_staff_revoked_the_certificate_meanwhile(
    wizard_factory, customer, no_sms_cooldown
):
    from django.test import Client

    from certificates.lifecycle import certificate_revoke

    wizard_factory().issue()
    first = Certificate.objects.get(customer=customer)
    again = wizard_factory(client=Client())
    again.until("reissue")
    certificate_revoke(certificate=first, reason="key_compromise", actor="staff")
    page = again.get("reissue")
    assert page.context["current"] is None
    assert "이미 폐기되었습니다" in errors(page)
    again.reissue("lost")
    again.ars()
    again.extra()
    again.sms()
    assert again.pin("246802")["Location"] == url("done")
    assert Certificate.objects.get(customer=customer, status="active").pk != first.pk


@pytest.mark.parametrize("agreed", [True, False])
def test_the_optional_marketing_consent_is_recorded_with_the_certificate(wizard, customer, agreed):
    terms = {"terms_service": "on", "terms_privacy": "on", "terms_unique_id": "on"}
    if agreed:
        terms["terms_marketing"] = "on"
    wizard.terms(**terms)
    wizard.identify()
    wizard.ars()
    wizard.extra()
    wizard.sms()
    wizard.pin()
    customer.refresh_from_db()
    assert (customer.marketing_consent_at is not None) is agreed


def test_without_javascript_the_ars_page_asks_for_the_button(wizard, settings):
    settings.ARS_RECALL_COOLDOWN = 30
    wizard.until("ars")
    with time_machine.travel(timezone.now(), tick=False):
        wizard.post("ars", {"action": "call"})
        body = errors(wizard.get("ars"))
    assert "입력한 뒤 ‘확인’을 눌러 주세요" in body  # the script replaces it with "자동으로…"
    assert 'data-resend-in="30"' in body  # 다시 요청 waits for the recall cooldown


def test_the_done_page_names_the_customers_reason_not_the_rfc_code(
    wizard_factory, customer, no_sms_cooldown
):
    from django.test import Client

    wizard_factory().issue()
    again = wizard_factory(client=Client())
    again.issue(reason="lost", pin="246802")
    body = again.client.get(url("done")).content.decode()
    assert "‘분실’ 사유로 폐기되었으며" in body and "키 손상" not in body


def test_full_width_pin_digits_are_accepted(wizard, customer):
    wizard.until("pin")
    assert wizard.pin("１３５７９０")["Location"] == url("done")


def test_a_refused_corporate_customer_is_pointed_to_the_corporate_page(
    wizard_factory, customer_factory
):
    company = customer_factory(kind="corporate")
    number = company.resident_number
    wizard = wizard_factory(customer=company, rrn=f"{number[:6]}-{number[6:]}")
    wizard.terms()
    assert reverse("corporate") in errors(wizard.identify())


def test_identify_page_states_the_throttle_from_settings(wizard, settings):
    settings.LOOKUP_MAX_FAILURES = 3
    settings.LOOKUP_FAILURE_WINDOW = 1800
    wizard.terms()
    page = wizard.get("identify").content.decode()
    assert "3회 잘못 입력하면 30분 동안 이용이 제한됩니다" in page


def csrf_field(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def test_the_first_pages_are_shared_but_each_visitor_gets_their_own_csrf_token(db, settings):
    """The terms page (and identification with a terms pass) is rendered once and served to
    every visitor with that visitor's own token, which their POST then needs."""
    from django.test import Client

    from certcenter.pagecache import CSRF_PLACEHOLDER

    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    pages = [first.get(url("terms")), second.get(url("terms")), first.get(url("terms"))]
    tokens = [csrf_field(page) for page in pages]
    assert len(set(tokens)) == 3  # masked afresh each time, as {% csrf_token %} does
    assert all(CSRF_PLACEHOLDER not in page.content.decode() for page in pages)
    assert pages[0].content.replace(tokens[0].encode(), b"") == pages[1].content.replace(
        tokens[1].encode(), b"")
    assert "no-cache" in pages[0]["Cache-Control"]  # never_cache still applies
    # The token works for its visitor: the agreement goes through.
    response = second.post(url("terms"), {"agree_all": "on", "csrfmiddlewaretoken": tokens[1]})
    assert response.status_code == 302
    identify = second.get(response["Location"])
    assert identify.status_code == 200
    assert second.post(response["Location"], {"user_id": "nobody", "rrn_front": "900101",
                                              "rrn_back": "1234568",
                                              "csrfmiddlewaretoken": csrf_field(identify)},
                       ).status_code == 200  # checked (and refused), not a CSRF failure
    assert first.post(url("terms"), {"agree_all": "on"}).status_code == 403  # no token: refused


def test_a_shared_page_follows_the_settings_it_shows(db, settings, client):
    settings.BANK_NAME = "모의저축은행"
    assert "모의저축은행" in client.get(url("terms")).content.decode()
    settings.BANK_NAME = "다른은행"
    page = client.get(url("terms")).content.decode()
    assert "다른은행" in page and "모의저축은행" not in page


@pytest.mark.parametrize("change", [
    {"BANK_NAME": "다른은행"}, {"PIN_MAX_FAILURES": 3}, {"CERTIFICATE_VALIDITY_DAYS": 730},
    {"FLOW_IDLE_TIMEOUT": 300}, {"LOOKUP_MAX_FAILURES": 3}, {"SIMULATED_PHONE_ENABLED": True},
])
def test_the_shared_pages_are_what_a_fresh_rendering_gives(db, client, settings, change):
    """Served from the per-process copy or rendered afresh, the first pages read the same, under
    each setting they show (cleared when a setting changes: certcenter.pagecache)."""
    from certcenter.pagecache import shared_pages_clear

    def pages():
        terms = client.get(url("terms"))
        agreed = client.post(url("terms"), {"agree_all": "on"})["Location"]
        identify = client.get(agreed)
        return [page.content.decode().replace(csrf_field(page), "") for page in (terms, identify)]

    for name, value in change.items():
        setattr(settings, name, value)
    pages()  # rendered under the new setting and kept
    served = pages()  # served from the copies
    shared_pages_clear()
    from django.core.cache import caches

    caches["template_fragments"].clear()
    assert pages() == served


def test_a_shared_page_shows_the_simulated_clock_once_it_is_moved(db, client, settings):
    from datetime import timedelta as days

    from certcenter import clock

    settings.SIMULATOR_CONTROLS_ENABLED = True
    assert "시뮬레이터 시간" not in client.get(url("terms")).content.decode()
    clock.offset_publish(days(days=30))
    assert "시뮬레이터 시간" in client.get(url("terms")).content.decode()
    clock.offset_publish(clock.ZERO)
    assert "시뮬레이터 시간" not in client.get(url("terms")).content.decode()
