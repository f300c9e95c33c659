"""Outcomes are one enum equal to the old strings, with one table of Korean messages."""

import json

import pytest
from django.template import Context, Template

from tests.verification.conftest import PHONE
from verification.models import Challenge
from verification.outcomes import (
    ARS,
    ARS_PAGE,
    AUDIT_LABELS,
    MESSAGES,
    SMS,
    Outcome,
    outcome_message,
)
from verification.selectors import send_throttle
from verification.services import (
    SendThrottled,
    VerificationResult,
    ars_call_start,
    challenge_status,
    sms_send,
    sms_verify,
)


def test_outcomes_equal_the_strings_they_replace():
    assert Outcome.VERIFIED == "verified"
    assert Outcome.PENDING in {"pending", "verified"}
    assert {"cooldown": 1}[Outcome.COOLDOWN] == 1
    assert f"{Outcome.NOT_FOUND}" == str(Outcome.NOT_FOUND) == "not_found"
    assert json.dumps({"status": Outcome.UNKNOWN}) == '{"status": "unknown"}'


def test_templates_comparing_with_the_old_strings_still_match():
    template = Template('{% if status == "pending" %}waiting{% endif %} {{ status }}')
    assert template.render(Context({"status": Outcome.PENDING})) == "waiting pending"


def test_every_challenge_status_is_an_outcome():
    assert {Outcome(value) for value in Challenge.Status.values} == {
        Outcome.PENDING, Outcome.VERIFIED, Outcome.EXPIRED, Outcome.EXHAUSTED, Outcome.CANCELLED,
        Outcome.REPORTED,
    }


@pytest.mark.parametrize(
    ("audience", "outcome"),
    [(audience, outcome) for audience, table in MESSAGES.items() for outcome in table],
)
def test_every_message_renders_in_korean_with_its_numbers_filled(audience, outcome):
    text = outcome_message(outcome, audience=audience, attempts_left=2, seconds=61)
    assert "%" not in text
    assert any("\uac00" <= ch <= "\ud7a3" for ch in text)


@pytest.mark.parametrize(
    ("outcome", "audience", "kwargs", "expected"),
    [
        (Outcome.WRONG, SMS, {"attempts_left": 4}, "인증번호가 일치하지 않습니다. (남은 횟수 4회)"),
        (Outcome.WRONG, ARS, {"attempts_left": 1}, "입력한 숫자가 일치하지 않습니다. (남은 횟수 1회)"),
        (Outcome.COOLDOWN, SMS, {"seconds": 42}, "인증번호는 42초 후에 다시 요청할 수 있습니다."),
        (Outcome.COOLDOWN, ARS, {"seconds": 5}, "전화 인증은 5초 후에 다시 요청할 수 있습니다."),
        # Minutes round up: 61 s left is "2분", exactly 60 s is "1분".
        (Outcome.CAP, SMS, {"seconds": 61},
         "인증번호 요청 횟수를 초과했습니다. 2분 후에 다시 요청해 주세요."),
        (Outcome.CAP, ARS, {"seconds": 60},
         "전화 인증 요청 횟수를 초과했습니다. 1분 후에 다시 요청해 주세요."),
        ("expired", SMS, {}, "인증 시간이 지났습니다. 인증번호를 다시 요청해 주세요."),
    ],
)
def test_messages_with_parameters(outcome, audience, kwargs, expected):
    assert outcome_message(outcome, audience=audience, **kwargs) == expected


def test_the_wizard_ars_page_has_its_own_wording_for_every_status_it_shows():
    assert set(MESSAGES[ARS_PAGE]) == {
        Outcome.PENDING, Outcome.EXPIRED, Outcome.EXHAUSTED, Outcome.CANCELLED, Outcome.UNKNOWN,
        Outcome.DAILY_CAP, Outcome.REPORTED,
    }
    assert outcome_message("unknown", audience=ARS_PAGE) == "전화 인증을 먼저 요청해 주세요."
    # The page names its own button; the handset speaks to the caller.
    assert "‘다시 요청’" in outcome_message(Outcome.EXPIRED, audience=ARS_PAGE)
    assert "‘다시 요청’" not in outcome_message(Outcome.EXPIRED, audience=ARS)
    # A verified call moves the page on; there is nothing to say.
    with pytest.raises(KeyError):
        outcome_message(Outcome.VERIFIED, audience=ARS_PAGE)


def test_unknown_outcome_string_is_refused():
    with pytest.raises(ValueError):
        outcome_message("bogus", audience=SMS)


def test_audit_labels_cover_every_failure_a_signal_reports():
    assert set(AUDIT_LABELS) == {
        Outcome.WRONG, Outcome.EXPIRED, Outcome.EXHAUSTED, Outcome.CANCELLED, Outcome.DAILY_CAP,
        Outcome.REPORTED,
    }
    assert AUDIT_LABELS["wrong"] == "번호 불일치"


def test_send_throttled_carries_an_outcome():
    throttled = SendThrottled("cooldown", 30, channel=ARS)
    assert throttled.reason is Outcome.COOLDOWN
    assert throttled.message == str(throttled) == "전화 인증은 30초 후에 다시 요청할 수 있습니다."
    with pytest.raises(ValueError):
        SendThrottled("later", 30)


def test_verification_result_message_comes_from_the_table():
    result = VerificationResult(False, Outcome.PENDING, Outcome.WRONG, 3, SMS)
    assert result.message == "인증번호가 일치하지 않습니다. (남은 횟수 3회)"


@pytest.mark.django_db
def test_services_answer_with_outcomes(committed, outbox, clock):
    challenge = committed(sms_send, phone=PHONE, purpose="issue.sms")
    assert challenge_status(challenge_id=challenge.pk) is Outcome.PENDING
    assert challenge_status(challenge_id="garbage") is Outcome.UNKNOWN

    result = sms_verify(challenge_id=challenge.pk, code="x")
    assert (type(result.status), type(result.reason)) == (Outcome, Outcome)
    assert result.reason is Outcome.WRONG
    missing = sms_verify(challenge_id="00000000-0000-4000-8000-000000000000", code="1")
    assert (missing.status, missing.reason) == (Outcome.UNKNOWN, Outcome.NOT_FOUND)

    wait = send_throttle(phone=PHONE, channel=Challenge.Channel.SMS)
    assert wait is not None and wait[0] is Outcome.COOLDOWN
    with pytest.raises(SendThrottled) as raised:
        sms_send(phone=PHONE, purpose="issue.sms")
    assert raised.value.reason is Outcome.COOLDOWN


@pytest.mark.django_db
def test_send_cap_is_an_outcome(committed, clock, settings):
    settings.ARS_MAX_CALLS = 1
    committed(ars_call_start, phone=PHONE, purpose="issue.ars")
    wait = send_throttle(phone=PHONE, channel=Challenge.Channel.ARS)
    assert wait is not None and wait[0] is Outcome.CAP
