"""SMS codes: 6 digits, 180 s, 5 wrong entries, 60 s cooldown, 5 codes per 10 minutes per phone."""

import pytest
from django.core.exceptions import ValidationError

from tests.verification.conftest import PHONE, code_in, wrong_code
from verification import codes, services, signals
from verification.models import Challenge
from verification.services import SendThrottled, sms_send, sms_verify

pytestmark = pytest.mark.django_db


def send(committed, outbox, **kwargs):
    fields = {"phone": PHONE, "purpose": "issue.sms"} | kwargs
    challenge = committed(sms_send, **fields)
    return challenge, code_in(outbox[-1].body)


def test_send_delivers_a_six_digit_code_in_the_bank_style(committed, outbox, customer):
    challenge, code = send(committed, outbox, customer=customer, flow_id="f1")

    assert len(outbox) == 1
    assert outbox[0].kind == "sms"
    assert outbox[0].phone == PHONE
    assert outbox[0].body == (
        f"[KB국민은행] 본인 확인 인증번호 [{code}] (3분 이내 입력). 타인에게 절대 알려주지 마세요. "
        "본인이 요청하지 않았다면 입력하지 마세요. 요청하지 않았다면 신고: 1588-9999"
    )
    challenge.refresh_from_db()
    assert challenge.channel == Challenge.Channel.SMS
    assert challenge.status == Challenge.Status.PENDING
    assert challenge.customer == customer
    assert challenge.flow_id == "f1"
    assert (challenge.expires_at - challenge.created_at).total_seconds() == 180
    assert challenge.max_attempts == 5
    assert code not in challenge.code_hmac
    assert len(challenge.code_hmac) == 64


def test_message_states_the_validity_from_the_setting(committed, outbox, settings):
    settings.SMS_CODE_TTL = 300
    send(committed, outbox)
    assert "(5분 이내 입력)" in outbox[-1].body


def test_code_text_names_its_registered_purpose_and_warns(committed, outbox):
    from verification.purposes import purpose_register

    purpose_register("test.transfer", "이체 승인")
    send(committed, outbox, purpose="test.transfer")
    body = outbox[-1].body
    assert body.startswith("[KB국민은행] 이체 승인 인증번호 [")
    assert "타인에게 절대 알려주지 마세요" in body


def test_code_comes_from_secrets(committed, outbox, monkeypatch):
    monkeypatch.setattr(codes.secrets, "randbelow", lambda n: 42)
    _, code = send(committed, outbox)
    assert code == "000042"


def test_nothing_is_delivered_until_commit(django_capture_on_commit_callbacks, outbox):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sms_send(phone=PHONE, purpose="issue.sms")
    assert outbox == []
    assert len(callbacks) == 1


def test_phone_is_normalized_and_validated(committed, outbox):
    challenge, _ = send(committed, outbox, phone="010-1234-5678")
    assert challenge.phone == PHONE
    with pytest.raises(ValidationError):
        sms_send(phone="02-123-4567", purpose="issue.sms")


def test_right_code_verifies_once(committed, outbox):
    challenge, code = send(committed, outbox)

    result = sms_verify(challenge_id=challenge.pk, code=code)
    assert (result.ok, result.status, result.reason) == (True, "verified", "verified")
    assert result.message == "인증되었습니다."
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.VERIFIED
    assert challenge.verified_at is not None

    again = sms_verify(challenge_id=challenge.pk, code=code)
    assert (again.ok, again.status, again.reason) == (False, "verified", "cancelled")


def test_code_typed_with_full_width_digits_or_spaces_verifies(committed, outbox):
    challenge, code = send(committed, outbox)
    typed = " " + "".join(chr(0xFF10 + int(d)) for d in code[:3]) + " " + code[3:]
    assert sms_verify(challenge_id=str(challenge.pk), code=typed).ok


def test_valid_at_exactly_180_seconds(clock, committed, outbox):
    challenge, code = send(committed, outbox)
    clock.shift(180)
    assert sms_verify(challenge_id=challenge.pk, code=code).ok


def test_expired_at_181_seconds(clock, committed, outbox):
    challenge, code = send(committed, outbox)
    clock.shift(181)
    result = sms_verify(challenge_id=challenge.pk, code=code)
    assert (result.ok, result.status, result.reason) == (False, "expired", "expired")
    assert result.message == "인증 시간이 지났습니다. 인증번호를 다시 요청해 주세요."
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.EXPIRED
    assert challenge.attempts == 0


def test_fifth_wrong_entry_exhausts_and_sixth_is_refused(committed, outbox):
    challenge, code = send(committed, outbox)
    bad = wrong_code(code)

    results = [sms_verify(challenge_id=challenge.pk, code=bad) for _ in range(4)]
    assert [r.reason for r in results] == ["wrong"] * 4
    assert [r.attempts_left for r in results] == [4, 3, 2, 1]
    assert results[-1].message == "인증번호가 일치하지 않습니다. (남은 횟수 1회)"

    fifth = sms_verify(challenge_id=challenge.pk, code=bad)
    assert (fifth.ok, fifth.status, fifth.reason, fifth.attempts_left) == (
        False, "exhausted", "exhausted", 0,
    )
    assert fifth.message == "입력 횟수를 초과했습니다. 인증번호를 다시 요청해 주세요."

    # The sixth entry, even with the right code, is refused and not counted.
    sixth = sms_verify(challenge_id=challenge.pk, code=code)
    assert (sixth.ok, sixth.reason) == (False, "exhausted")
    challenge.refresh_from_db()
    assert challenge.attempts == 5
    assert challenge.status == Challenge.Status.EXHAUSTED


def test_right_code_on_the_last_try_still_verifies(committed, outbox):
    challenge, code = send(committed, outbox)
    for _ in range(4):
        sms_verify(challenge_id=challenge.pk, code=wrong_code(code))
    assert sms_verify(challenge_id=challenge.pk, code=code).ok


def test_attempt_limit_is_a_setting(committed, outbox, settings):
    settings.SMS_MAX_ATTEMPTS = 2
    challenge, code = send(committed, outbox)
    assert sms_verify(challenge_id=challenge.pk, code=wrong_code(code)).reason == "wrong"
    assert sms_verify(challenge_id=challenge.pk, code=wrong_code(code)).reason == "exhausted"


def test_a_new_code_cancels_the_previous_one(clock, committed, outbox):
    first, first_code = send(committed, outbox)
    clock.shift(60)
    second, second_code = send(committed, outbox)

    first.refresh_from_db()
    assert first.status == Challenge.Status.CANCELLED
    old = sms_verify(challenge_id=first.pk, code=first_code)
    assert (old.ok, old.status, old.reason) == (False, "cancelled", "cancelled")
    assert sms_verify(challenge_id=second.pk, code=second_code).ok


def test_a_new_code_leaves_other_purposes_and_flows_alone(clock, committed, outbox):
    other_purpose, _ = send(committed, outbox, purpose="other")
    clock.shift(60)
    other_flow, _ = send(committed, outbox, flow_id="flow-b")
    clock.shift(60)
    send(committed, outbox, flow_id="flow-a")
    statuses = set(
        Challenge.objects.filter(pk__in=[other_purpose.pk, other_flow.pk]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {Challenge.Status.PENDING}


def test_another_flows_challenge_is_not_found(committed, outbox):
    challenge, code = send(committed, outbox, flow_id="flow-a")
    result = sms_verify(challenge_id=challenge.pk, code=code, flow_id="flow-b")
    assert (result.ok, result.status, result.reason) == (False, "unknown", "not_found")
    assert sms_verify(challenge_id=challenge.pk, code=code, flow_id="flow-a").ok


@pytest.mark.parametrize(
    "challenge_id", ["not-a-uuid", None, "00000000-0000-4000-8000-000000000000"]
)
def test_unknown_challenge_is_not_found(challenge_id):
    result = sms_verify(challenge_id=challenge_id, code="123456")
    assert (result.ok, result.reason, result.status) == (False, "not_found", "unknown")
    assert "다시 요청" in result.message


def test_an_ars_challenge_cannot_be_verified_as_sms(committed):
    call = committed(services.ars_call_start, phone=PHONE, purpose="issue.ars")
    code = services.ars_display_code(call)
    assert sms_verify(challenge_id=call.pk, code=code).reason == "not_found"


def test_resend_refused_at_59_seconds_allowed_at_60(clock, committed, outbox):
    send(committed, outbox)
    clock.shift(59)
    with pytest.raises(SendThrottled) as refused:
        sms_send(phone=PHONE, purpose="issue.sms")
    assert refused.value.reason == "cooldown"
    assert refused.value.retry_after == 1
    assert refused.value.message == "인증번호는 1초 후에 다시 요청할 수 있습니다."
    assert len(outbox) == 1

    clock.shift(1)
    send(committed, outbox)
    assert len(outbox) == 2


def test_cooldown_is_per_phone_not_per_purpose(clock, committed, outbox, customer_factory):
    send(committed, outbox, purpose="issue.sms")
    with pytest.raises(SendThrottled):
        sms_send(phone=PHONE, purpose="reissue.sms")
    # Another phone is not affected.
    send(committed, outbox, phone="010-2222-3333")


def test_at_most_five_codes_per_ten_minutes(clock, committed, outbox):
    for _ in range(5):
        send(committed, outbox)
        clock.shift(60)
    # 5 codes at t=0,60,..,240; now t=300: the cooldown has passed, the cap has not.
    with pytest.raises(SendThrottled) as refused:
        sms_send(phone=PHONE, purpose="issue.sms")
    assert refused.value.reason == "cap"
    assert refused.value.retry_after == 300  # the first code leaves the window at t=600
    assert refused.value.message == (
        "인증번호 요청 횟수를 초과했습니다. 5분 후에 다시 요청해 주세요."
    )

    clock.shift(299)
    with pytest.raises(SendThrottled) as still:
        sms_send(phone=PHONE, purpose="issue.sms")
    assert (still.value.reason, still.value.retry_after) == ("cap", 1)

    clock.shift(1)
    send(committed, outbox)
    assert len(outbox) == 6


def test_send_cap_is_a_setting(clock, committed, outbox, settings):
    settings.SMS_MAX_SENDS = 2
    settings.SMS_RESEND_COOLDOWN = 0
    settings.ARS_RECALL_COOLDOWN = 0
    send(committed, outbox)
    send(committed, outbox)
    with pytest.raises(SendThrottled) as refused:
        sms_send(phone=PHONE, purpose="issue.sms")
    assert refused.value.reason == "cap"


def test_no_cap_still_keeps_the_cooldown(clock, committed, outbox, settings):
    settings.SMS_MAX_SENDS = 0  # no cap
    settings.SMS_SEND_WINDOW = 30  # shorter than the cooldown: the newest send still counts
    for _ in range(7):
        send(committed, outbox)
        with pytest.raises(SendThrottled) as refused:
            sms_send(phone=PHONE, purpose="issue.sms")
        assert refused.value.reason == "cooldown"
        assert refused.value.retry_after == 60
        clock.shift(60)
    assert len(outbox) == 7


def test_signals_report_failures_and_success(committed, outbox, clock):
    seen = []

    def on_failed(sender, challenge, reason, **kwargs):
        seen.append(("failed", challenge.pk, reason))

    def on_verified(sender, challenge, **kwargs):
        seen.append(("verified", challenge.pk))

    signals.challenge_failed.connect(on_failed)
    signals.challenge_verified.connect(on_verified)
    try:
        challenge, code = send(committed, outbox)
        sms_verify(challenge_id=challenge.pk, code=wrong_code(code))
        sms_verify(challenge_id=challenge.pk, code=code)
        clock.shift(60)
        other, other_code = send(committed, outbox)
        for _ in range(5):
            sms_verify(challenge_id=other.pk, code=wrong_code(other_code))
        clock.shift(60)
        late, late_code = send(committed, outbox)
        clock.shift(181)
        sms_verify(challenge_id=late.pk, code=late_code)
        sms_verify(challenge_id="00000000-0000-4000-8000-000000000000", code="123456")
    finally:
        signals.challenge_failed.disconnect(on_failed)
        signals.challenge_verified.disconnect(on_verified)

    assert seen == [
        ("failed", challenge.pk, "wrong"),
        ("verified", challenge.pk),
        *[("failed", other.pk, "wrong")] * 4,
        ("failed", other.pk, "exhausted"),
        ("failed", late.pk, "expired"),
    ]
