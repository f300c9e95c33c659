"""Limits that add up, in the wizard: the daily cap on wrong codes, the throttled details check of the
SMS step, and a flow's maximum age besides its idle timeout."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certificates.models import CertificateEvent
from certificates.wizard.flow import SESSION_KEY
from verification import services as verification

pytestmark = pytest.mark.django_db

WRONG_PHONE = "010-9999-5678"


def url(step):
    return reverse(f"certificates:{step}")


def non_field_codes(form):
    return [e.code for e in form.non_field_errors().as_data()]


def sms_sent(outbox):
    return [d for d in outbox if d.kind == "sms"]


@pytest.fixture
def no_cooldowns(settings):
    # Several flows of one customer, and several codes in one flow, follow one another here.
    settings.SMS_RESEND_COOLDOWN = 0
    settings.ARS_RECALL_COOLDOWN = 0


# -- The SMS step's details check is throttled like identification ----------------------------------

def test_five_mismatched_details_then_even_the_right_ones_are_refused(
    wizard, outbox, settings
):
    settings.LOOKUP_MAX_FAILURES, settings.LOOKUP_FAILURE_WINDOW = 5, 600
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.until("sms")
        for _ in range(5):
            response = wizard.send_code(phone=WRONG_PHONE)
            assert non_field_codes(response.context["identity_form"]) == ["mismatch"]
        response = wizard.send_code()  # the customer's own details
        assert response.status_code == 200
        assert non_field_codes(response.context["identity_form"]) == ["throttled"]
        assert "여러 번 일치하지 않아" in response.content.decode()
        assert "10분 뒤에 다시" in response.content.decode()
        assert not sms_sent(outbox)  # no code went out
        assert CertificateEvent.objects.filter(
            kind="verification_failed", reason__contains="제한").count() == 1

        # The window passes (the page is used meanwhile, so the flow does not idle out).
        clock.move_to(start + timedelta(seconds=300))
        assert wizard.get("sms").status_code == 200
        clock.move_to(start + timedelta(seconds=601))
        assert wizard.send_code()["Location"] == url("sms")
        assert len(sms_sent(outbox)) == 1


def test_the_details_check_is_throttled_per_customer_across_addresses(
    wizard_factory, customer, outbox, settings, no_cooldowns
):
    settings.LOOKUP_MAX_FAILURES = 5
    first = wizard_factory(client=Client(REMOTE_ADDR="203.0.113.1"))
    second = wizard_factory(client=Client(REMOTE_ADDR="203.0.113.2"))
    first.until("sms")
    second.until("sms")
    for _ in range(3):
        first.send_code(phone=WRONG_PHONE)
    for _ in range(2):
        second.send_code(birth_date="19900102")
    response = second.send_code()
    assert non_field_codes(response.context["identity_form"]) == ["throttled"]
    assert not sms_sent(outbox)


def test_the_details_check_is_throttled_per_address_across_customers(
    wizard_factory, customer_factory, outbox, settings
):
    settings.LOOKUP_MAX_FAILURES = 5
    one = customer_factory(resident_number="900101-1000001")
    other = customer_factory(resident_number="900101-1000002")
    first = wizard_factory(customer=one, client=Client(), rrn="900101-1000001")
    second = wizard_factory(customer=other, client=Client(), rrn="900101-1000002")
    first.until("sms")
    second.until("sms")
    for _ in range(5):
        first.send_code(name="홍길순")
    response = second.send_code()  # another customer, the same address
    assert non_field_codes(response.context["identity_form"]) == ["throttled"]
    assert not sms_sent(outbox)


def test_right_details_do_not_count_against_the_throttle(wizard, outbox, settings,
                                                         no_cooldowns):
    settings.LOOKUP_MAX_FAILURES = 2
    wizard.until("sms")
    for _ in range(4):
        assert wizard.send_code()["Location"] == url("sms")
    assert len(sms_sent(outbox)) == 4


# -- The daily cap on wrong codes, as the customer meets it -----------------------------------------

def test_after_the_daily_cap_the_sms_step_refuses_codes_and_new_codes(
    wizard, outbox, settings, no_cooldowns
):
    settings.VERIFICATION_DAILY_MAX_FAILURES = 3
    wizard.until("sms")
    wizard.send_code()
    code = wizard.last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    reasons = []
    for _ in range(3):
        response = wizard.verify_code(wrong)
        reasons.append(response.context["code_form"].errors.as_data()["code"][0].code)
    assert reasons == ["wrong", "wrong", "daily_cap"]
    assert "하루 한도를 넘어" in response.content.decode()

    response = wizard.verify_code(code)  # the right code, too late
    assert response.context["code_form"].errors.as_data()["code"][0].code == "daily_cap"

    response = wizard.send_code()  # ‘재전송’
    assert non_field_codes(response.context["identity_form"]) == ["daily_cap"]
    assert "내일 다시 시도" in response.content.decode()
    assert len(sms_sent(outbox)) == 1


def test_after_the_daily_cap_the_ars_step_says_why_and_places_no_call(
    wizard, outbox, settings, no_cooldowns
):
    settings.VERIFICATION_DAILY_MAX_FAILURES = 2
    wizard.until("ars")
    wizard.post("ars", {"action": "call"})
    page = wizard.get("ars")
    digits = page.context["display_code"]
    wrong = "11" if digits != "11" else "12"
    for _ in range(2):
        verification.ars_key_in(challenge_id=page.context["challenge"].pk, digits=wrong)

    response = wizard.post("ars", {"action": "check"})
    assert "하루 한도를 넘어" in response.content.decode()
    calls = len([d for d in outbox if d.kind == "call"])
    response = wizard.post("ars", {"action": "call"})  # ‘다시 요청’
    assert response.status_code == 200
    assert "하루 한도를 넘어" in response.content.decode()
    assert len([d for d in outbox if d.kind == "call"]) == calls


# -- A flow's maximum age ---------------------------------------------------------------------------

def keep_busy(wizard, clock, start, until_seconds, every=300):
    """Use the page every ``every`` seconds (well within the idle timeout) up to ``until_seconds``."""
    for at in range(every, until_seconds, every):
        clock.move_to(start + timedelta(seconds=at))
        assert wizard.get("ars").status_code == 200, at


def test_the_flow_lives_exactly_its_maximum_age(wizard, settings):
    settings.FLOW_IDLE_TIMEOUT, settings.FLOW_MAX_AGE = 600, 1800
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.until("ars")
        keep_busy(wizard, clock, start, 1800)
        clock.move_to(start + timedelta(seconds=1800))
        assert wizard.get("ars").status_code == 200


def test_one_second_past_its_maximum_age_the_busy_flow_ends(wizard, settings):
    settings.FLOW_IDLE_TIMEOUT, settings.FLOW_MAX_AGE = 600, 1800
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.until("ars")
        keep_busy(wizard, clock, start, 1800)
        clock.move_to(start + timedelta(seconds=1801))
        assert wizard.get("ars")["Location"] == url("timeout")
        assert SESSION_KEY not in wizard.client.session
        page = wizard.client.get(url("timeout")).content.decode()
        assert "입력 시간이 초과되었습니다" in page and "시작한 지 30분이 지나면" in page
        assert wizard.get("ars")["Location"] == url("terms")


def test_touching_the_flow_every_minute_does_not_keep_it_alive(wizard, settings):
    settings.FLOW_IDLE_TIMEOUT, settings.FLOW_MAX_AGE = 600, 1800
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.until("ars")
        for minute in range(1, 31):
            clock.move_to(start + timedelta(minutes=minute))
            assert wizard.get("ars").status_code == 200, minute
        clock.move_to(start + timedelta(minutes=30, seconds=1))
        assert wizard.get("ars")["Location"] == url("timeout")


def test_a_new_flow_starts_its_own_age(wizard, settings):
    settings.FLOW_IDLE_TIMEOUT, settings.FLOW_MAX_AGE = 600, 1800
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.until("ars")
        keep_busy(wizard, clock, start, 1800)
        clock.move_to(start + timedelta(seconds=1801))
        wizard.get("ars")  # ended
        wizard.until("ars")  # a new flow, begun at identification
        clock.move_to(start + timedelta(seconds=1801 + 600))  # 40 minutes after the first began
        assert wizard.get("ars").status_code == 200


def test_pages_count_down_to_whichever_end_comes_first(wizard, settings):
    settings.FLOW_IDLE_TIMEOUT, settings.FLOW_MAX_AGE = 600, 1800
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.until("ars")
        clock.move_to(start + timedelta(seconds=60))
        body = wizard.get("ars").content.decode()
        assert 'data-idle-remaining="600"' in body  # the idle timeout comes first
        assert "10분 동안 입력이 없거나 시작한 지 30분이 지나면" in body
        keep_busy(wizard, clock, start, 1500)
        clock.move_to(start + timedelta(seconds=1500))
        body = wizard.get("ars").content.decode()
        assert 'data-idle-remaining="300"' in body  # now the maximum age does


def test_a_flow_stored_before_flows_had_an_age_is_aged_from_its_next_request(wizard, settings):
    settings.FLOW_IDLE_TIMEOUT, settings.FLOW_MAX_AGE = 600, 1800
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        wizard.until("ars")
        session = wizard.client.session
        del session[SESSION_KEY]["created"]
        session.save()
        keep_busy(wizard, clock, start, 2100)  # first seen again at 300 s
        clock.move_to(start + timedelta(seconds=2100))
        assert wizard.get("ars").status_code == 200
        clock.move_to(start + timedelta(seconds=2101))
        assert wizard.get("ars")["Location"] == url("timeout")
