"""Channel faults of the simulated phone network, each from the network's side (the simulated
backend and the handset) and from the customer's (the wizard's pages): what a bank would show."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.certificates.conftest import Wizard
from verification import faults, selectors, services
from verification.backends.simulated import SimulatedBackend
from verification.models import Challenge, ChannelFault, HandsetMessage
from verification.outcomes import Outcome

pytestmark = pytest.mark.django_db

PHONE = "+821012345678"
OTHER = "+821098765432"
HANDSET = "/phone/01012345678/"
START = datetime(2025, 3, 4, 1, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def network(controls, simulated_phone, settings):
    settings.SMS_CODE_TTL = 180
    settings.SMS_RESEND_COOLDOWN = 60
    settings.ARS_CALL_TTL = 180
    settings.ARS_RECALL_COOLDOWN = 30
    settings.PIN_SCRYPT_N = 2**10


@pytest.fixture
def frozen():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Call a verification service and deliver what it queued, as a commit would."""

    def call(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return call


def inbox(phone=PHONE) -> list[str]:
    return [message.body for message in selectors.handset_inbox(phone=phone)]


def code_of(body: str) -> str:
    return re.search(r"\[(\d{6})\]", body).group(1)


# --- setting faults ------------------------------------------------------------------------------


def test_one_fault_per_phone_and_channel_the_phone_s_own_first():
    faults.fault_set(kind="sms_lost")
    faults.fault_set(kind="sms_delayed", phone="010-1234-5678", seconds=30)
    faults.fault_set(kind="sms_duplicated", phone="010-1234-5678")  # replaces the delay
    faults.fault_set(kind="ars_busy", phone="010-1234-5678")
    assert faults.fault_for(phone=PHONE, channel="sms").kind == "sms_duplicated"
    assert faults.fault_for(phone=OTHER, channel="sms").kind == "sms_lost"
    assert faults.fault_for(phone=PHONE, channel="ars").kind == "ars_busy"
    assert faults.fault_for(phone=OTHER, channel="ars") is None
    assert ChannelFault.objects.count() == 3


def test_defaults_and_limits_of_the_seconds():
    assert faults.fault_set(kind="sms_delayed").seconds == 60
    assert faults.fault_set(kind="ars_dropped").seconds == 5
    assert faults.fault_set(kind="sms_lost", seconds=99).seconds == 0  # takes no time
    with pytest.raises(ValidationError):
        faults.fault_set(kind="sms_delayed", seconds=3601)
    with pytest.raises(ValidationError):
        faults.fault_set(kind="sms_lost", phone="02-123-4567")


def test_off_no_fault_applies_and_none_can_be_set(settings, send):
    ChannelFault.objects.create(channel="sms", phone="", kind="sms_lost")
    settings.SIMULATOR_CONTROLS_ENABLED = False
    assert faults.fault_for(phone=PHONE, channel="sms") is None
    send(services.sms_send, phone=PHONE, purpose="demo")
    assert len(inbox()) == 1
    with pytest.raises(ValidationError) as caught:
        faults.fault_set(kind="sms_lost")
    assert caught.value.code == "controls_off"


# --- SMS -----------------------------------------------------------------------------------------


def test_sms_delayed_arrives_late_on_the_handset(frozen, send, client):
    faults.fault_set(kind="sms_delayed", phone=PHONE, seconds=90)
    send(services.sms_send, phone=PHONE, purpose="demo")
    version = selectors.handset_version(phone=PHONE)
    assert inbox() == []
    assert "받은 문자가 없습니다." in client.get(HANDSET).content.decode()
    frozen.shift(89)
    assert inbox() == []
    frozen.shift(1)
    assert len(inbox()) == 1
    assert selectors.handset_version(phone=PHONE) != version  # the handset page reloads itself


def test_sms_delayed_past_the_code_s_validity_the_customer_is_told_it_expired(frozen, send):
    faults.fault_set(kind="sms_delayed", phone=PHONE, seconds=200)
    challenge = send(services.sms_send, phone=PHONE, purpose="demo")
    frozen.shift(200)
    result = services.sms_verify(challenge_id=challenge.pk, code=code_of(inbox()[0]))
    assert (result.ok, result.reason) == (False, Outcome.EXPIRED)
    assert result.message == "인증 시간이 지났습니다. 인증번호를 다시 요청해 주세요."


def test_sms_lost_never_arrives_and_a_new_code_waits_for_the_cooldown(frozen, send):
    faults.fault_set(kind="sms_lost", phone=PHONE)
    send(services.sms_send, phone=PHONE, purpose="demo")
    frozen.shift(3600)
    assert inbox() == []
    assert HandsetMessage.objects.count() == 0


def test_sms_duplicated_arrives_twice_and_the_code_works_once(send):
    faults.fault_set(kind="sms_duplicated", phone=PHONE)
    challenge = send(services.sms_send, phone=PHONE, purpose="demo")
    first, second = inbox()
    assert first == second
    assert services.sms_verify(challenge_id=challenge.pk, code=code_of(first)).ok
    again = services.sms_verify(challenge_id=challenge.pk, code=code_of(second))
    assert again.reason == Outcome.CANCELLED  # single use


def test_sms_reordered_the_newer_code_comes_first_and_the_older_on_top(frozen, send):
    faults.fault_set(kind="sms_reordered", phone=PHONE)
    old = send(services.sms_send, phone=PHONE, purpose="demo")
    assert inbox() == []  # held back
    frozen.shift(60)  # the resend cooldown
    new = send(services.sms_send, phone=PHONE, purpose="demo")
    assert len(inbox()) == 1  # the new code, at once
    frozen.shift(1)
    top, below = inbox()  # newest first: the old code arrived after the new one
    assert code_of(below) != code_of(top)
    refused = services.sms_verify(challenge_id=new.pk, code=code_of(top))
    assert not refused.ok
    assert services.sms_verify(challenge_id=new.pk, code=code_of(below)).ok
    assert Challenge.objects.get(pk=old.pk).status == Challenge.Status.CANCELLED


def test_sms_reordered_alone_is_released_after_its_seconds(frozen, send):
    faults.fault_set(kind="sms_reordered", phone=PHONE, seconds=120)
    send(services.sms_send, phone=PHONE, purpose="demo")
    frozen.shift(119)
    assert inbox() == []
    frozen.shift(1)
    assert len(inbox()) == 1


def test_a_global_fault_applies_to_batch_notices_too():
    faults.fault_set(kind="sms_duplicated")
    faults.fault_set(kind="sms_lost", phone=OTHER)
    SimulatedBackend().send_sms_many(messages=[(PHONE, "notice A"), (OTHER, "notice B")])
    assert inbox(PHONE) == ["notice A", "notice A"]
    assert inbox(OTHER) == []


# --- ARS -----------------------------------------------------------------------------------------


def test_ars_busy_the_call_never_rings_and_the_page_says_so(frozen, send):
    faults.fault_set(kind="ars_busy", phone=PHONE)
    call = send(services.ars_call_start, phone=PHONE, purpose="demo")
    assert selectors.handset_ringing_call(phone=PHONE) is None
    assert not HandsetMessage.objects.filter(kind="call").exists()
    assert services.challenge_status(challenge_id=call.pk) == Outcome.BUSY
    assert Challenge.objects.get(pk=call.pk).status == Challenge.Status.CANCELLED
    # 다시 요청 waits for the cooldown, as after any call.
    with pytest.raises(services.SendThrottled) as caught:
        send(services.ars_call_start, phone=PHONE, purpose="demo")
    assert caught.value.reason == Outcome.COOLDOWN
    frozen.shift(30)
    faults.fault_clear(phone=PHONE)
    send(services.ars_call_start, phone=PHONE, purpose="demo")
    assert selectors.handset_ringing_call(phone=PHONE) is not None


def test_ars_no_answer_cannot_be_answered_and_ends_after_ringing(frozen, send, client):
    faults.fault_set(kind="ars_no_answer", phone=PHONE, seconds=20)
    call = send(services.ars_call_start, phone=PHONE, purpose="demo")
    assert selectors.handset_ringing_call(phone=PHONE) is None  # nobody can pick it up
    assert services.challenge_status(challenge_id=call.pk) == Outcome.PENDING  # still ringing
    frozen.shift(20)
    assert services.challenge_status(challenge_id=call.pk) == Outcome.NO_ANSWER
    assert "응답 없음" in client.get(HANDSET).content.decode()  # the call log: a missed call


def test_ars_no_answer_digits_posted_for_it_anyway_are_refused(frozen, send, client):
    faults.fault_set(kind="ars_no_answer", phone=PHONE, seconds=20)
    call = send(services.ars_call_start, phone=PHONE, purpose="demo")
    result = services.ars_key_in(challenge_id=call.pk, digits=services.ars_display_code(call))
    assert (result.ok, result.reason) == (False, Outcome.NO_ANSWER)
    assert client.post(f"{HANDSET}calls/{call.pk}/key/", {"digits": services.ars_display_code(call)},
                       follow=True).status_code == 200
    assert Challenge.objects.get(pk=call.pk).status == Challenge.Status.CANCELLED


def test_ars_dropped_rings_then_drops_and_late_digits_never_arrive(frozen, send, client):
    faults.fault_set(kind="ars_dropped", phone=PHONE, seconds=5)
    call = send(services.ars_call_start, phone=PHONE, purpose="demo")
    assert selectors.handset_ringing_call(phone=PHONE).challenge_id == call.pk
    frozen.shift(5)
    assert selectors.handset_ringing_call(phone=PHONE) is None
    result = services.ars_key_in(challenge_id=call.pk, digits=services.ars_display_code(call))
    assert (result.ok, result.reason) == (False, Outcome.DROPPED)
    assert result.message == "통화가 끊어졌습니다. 입력한 숫자는 전달되지 않았습니다."
    assert services.challenge_status(challenge_id=call.pk) == Outcome.DROPPED
    assert "통화 끊김" in client.get(HANDSET).content.decode()


def test_ars_dropped_digits_keyed_before_the_drop_still_count(frozen, send):
    faults.fault_set(kind="ars_dropped", phone=PHONE, seconds=5)
    call = send(services.ars_call_start, phone=PHONE, purpose="demo")
    frozen.shift(4)
    assert services.ars_key_in(challenge_id=call.pk, digits=services.ars_display_code(call)).ok


# --- what the customer sees in the wizard ---------------------------------------------------------


@pytest.fixture
def walk(client, customer, django_capture_on_commit_callbacks):
    return Wizard(client, django_capture_on_commit_callbacks, customer)


def ars_page(walk, frozen=None):
    walk.until("ars")
    walk.post("ars", {"action": "call"})
    return walk.get("ars")


@pytest.mark.parametrize(("kind", "wait", "message"), [
    ("ars_busy", 0, "고객님의 휴대폰이 통화 중이어서 ARS 전화를 연결하지 못했습니다."),
    ("ars_no_answer", 20, "ARS 전화를 받지 않아 통화가 종료되었습니다."),
    ("ars_dropped", 5, "ARS 통화가 중간에 끊어졌습니다. ‘다시 요청’을 눌러 전화를 다시 받아 주세요."),
])
def test_the_ars_page_says_how_the_call_ended(walk, frozen, kind, wait, message):
    faults.fault_set(kind=kind)
    page = ars_page(walk)
    frozen.shift(wait)
    page = walk.get("ars")
    assert message in page.content.decode()
    challenge = page.context["challenge"]
    status = walk.client.get(reverse("verification:challenge_status", args=[challenge.pk])).json()
    assert status == {"status": kind.removeprefix("ars_"), "message": page.context["status_message"]}
    # 확인 gives the same reason; 다시 요청 counts down the cooldown (30 s).
    assert message in walk.post("ars", {"action": "check"}).content.decode()
    assert page.context["recall_in"] == 30 - wait
    refused = walk.post("ars", {"action": "call"})
    assert "전화 인증은" in refused.content.decode() and "초 후에 다시 요청할 수 있습니다." in (
        refused.content.decode())


def test_after_the_fault_is_cleared_a_new_call_gets_through(walk, frozen):
    faults.fault_set(kind="ars_busy")
    ars_page(walk)
    frozen.shift(30)
    faults.fault_clear()
    walk.post("ars", {"action": "call"})
    page = walk.get("ars")
    services.ars_key_in(challenge_id=page.context["challenge"].pk, digits=page.context["display_code"])
    assert walk.post("ars", {"action": "check"}).status_code == 302  # on to the next step


def sms_step(walk):
    walk.until("sms")
    return walk.send_code()


def test_sms_lost_the_page_says_sent_the_code_times_out_and_a_new_one_works(walk, frozen):
    faults.fault_set(kind="sms_lost")
    assert sms_step(walk).status_code == 302
    page = walk.get("sms")
    assert "인증번호를 보냈습니다." in page.content.decode()
    assert inbox() == []
    frozen.shift(30)
    refused = walk.send_code()  # 재전송 too soon
    assert "인증번호는 30초 후에 다시 요청할 수 있습니다." in refused.content.decode()
    frozen.shift(151)  # 3:01 after the first code
    expired = walk.post("sms", {"action": "verify", **walk.identity(), "code": "123456"})
    assert "인증 시간이 지났습니다. 인증번호를 다시 요청해 주세요." in expired.content.decode()
    faults.fault_clear()
    walk.send_code()
    assert walk.post("sms", {"action": "verify", **walk.identity(),
                             "code": code_of(inbox()[0])}).status_code == 302


def test_sms_delayed_the_code_typed_once_it_arrives_still_works(walk, frozen):
    faults.fault_set(kind="sms_delayed", seconds=45)
    sms_step(walk)
    assert inbox() == []
    frozen.shift(45)
    assert walk.post("sms", {"action": "verify", **walk.identity(),
                             "code": code_of(inbox()[0])}).status_code == 302


def test_sms_duplicated_either_copy_verifies_once(walk):
    faults.fault_set(kind="sms_duplicated")
    sms_step(walk)
    assert len(inbox()) == 2
    assert walk.post("sms", {"action": "verify", **walk.identity(),
                             "code": code_of(inbox()[1])}).status_code == 302


def test_sms_reordered_the_older_code_on_top_is_refused_with_a_clear_message(walk, frozen):
    faults.fault_set(kind="sms_reordered")
    sms_step(walk)
    frozen.shift(60)
    walk.send_code()
    frozen.shift(1)
    top, below = inbox()
    refused = walk.post("sms", {"action": "verify", **walk.identity(), "code": code_of(top)})
    assert "인증번호가 일치하지 않습니다." in refused.content.decode()
    assert walk.post("sms", {"action": "verify", **walk.identity(),
                             "code": code_of(below)}).status_code == 302


# --- faults from the handset ---------------------------------------------------------------------


def test_the_handset_sets_and_clears_its_own_faults(client, django_capture_on_commit_callbacks):
    from simulator.models import SimulatorAction

    page = client.get(HANDSET).content.decode()
    assert "모의 통신 장애 (시험용)" in page and "장애 없음" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(HANDSET + "faults/", {"kind": "sms_delayed", "seconds": "30"},
                               follow=True)
    assert "이 휴대폰에 장애를 설정했습니다: SMS 지연 도착" in response.content.decode()
    fault = ChannelFault.objects.get()
    assert (fault.phone, fault.kind, fault.seconds) == (PHONE, "sms_delayed", 30)
    assert SimulatorAction.objects.get().detail == "SMS 지연 도착 (30초) → 010-1234-****"
    response = client.post(HANDSET + "faults/", {"kind": "nope"}, follow=True)
    assert "장애 종류를 목록에서 고르세요." in response.content.decode()
    client.post(HANDSET + "faults/clear/")
    assert not ChannelFault.objects.exists()


def test_the_handset_shows_no_fault_controls_and_refuses_them_when_off(client, settings):
    settings.SIMULATOR_CONTROLS_ENABLED = False
    assert "모의 통신 장애" not in client.get(HANDSET).content.decode()
    assert client.post(HANDSET + "faults/", {"kind": "sms_lost"}).status_code == 404
    assert client.post(HANDSET + "faults/clear/").status_code == 404
    assert not ChannelFault.objects.exists()


def test_with_the_handset_off_its_fault_urls_are_404_too(client, settings):
    settings.SIMULATED_PHONE_ENABLED = False
    assert client.post(HANDSET + "faults/", {"kind": "sms_lost"}).status_code == 404


def test_the_fault_window_is_what_a_clock_shift_cannot_skip(frozen, send):
    """A delayed SMS arrives by the simulator's clock too: moving it forward delivers it."""
    from certcenter import clock

    faults.fault_set(kind="sms_delayed", phone=PHONE, seconds=600)
    send(services.sms_send, phone=PHONE, purpose="demo")
    assert inbox() == []  # held back by the fault
    clock.offset_publish(timedelta(days=1))
    assert len(inbox()) == 1
