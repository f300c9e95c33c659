"""Delivery backends chosen by dotted path: locmem, console, simulated (and the base contract)."""

import io
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from tests.verification.conftest import PHONE, SIMULATED, code_in
from verification import services
from verification.backends import get_ars_backend, get_backend, get_sms_backend
from verification.backends.base import BaseBackend
from verification.backends.console import ConsoleBackend
from verification.backends.locmem import LocmemBackend
from verification.backends.simulated import SimulatedBackend
from verification.models import HandsetMessage
from verification.services import ars_call_start, sms_notify, sms_send, sms_verify

pytestmark = pytest.mark.django_db

CONSOLE = "verification.backends.console.ConsoleBackend"


def test_backends_are_chosen_by_the_settings_at_call_time(settings):
    assert isinstance(get_sms_backend(), LocmemBackend)
    settings.SMS_BACKEND = CONSOLE
    settings.ARS_BACKEND = SIMULATED
    assert isinstance(get_sms_backend(), ConsoleBackend)
    assert isinstance(get_ars_backend(), SimulatedBackend)
    with pytest.raises(ImportError):
        get_backend("verification.backends.nowhere.Backend")


def test_base_backend_must_be_subclassed():
    with pytest.raises(NotImplementedError):
        BaseBackend().send_sms(phone=PHONE, text="x")
    with pytest.raises(NotImplementedError):
        BaseBackend().place_call(phone=PHONE, challenge_id=uuid.uuid4(), prompt="x")


def test_locmem_keeps_sms_and_calls_in_order(committed, outbox):
    committed(sms_send, phone=PHONE, purpose="issue.sms")
    call = committed(ars_call_start, phone=PHONE, purpose="issue.ars")
    assert [d.kind for d in outbox] == ["sms", "call"]
    assert outbox[1].challenge_id == call.pk


def test_nothing_is_delivered_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks, outbox
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        sms_send(phone=PHONE, purpose="issue.sms")
        transaction.set_rollback(True)
    assert outbox == []


def test_console_writes_to_stdout(committed, settings, capsys):
    settings.SMS_BACKEND = CONSOLE
    settings.ARS_BACKEND = CONSOLE
    committed(sms_send, phone=PHONE, purpose="issue.sms")
    call = committed(ars_call_start, phone=PHONE, purpose="issue.ars")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[SMS → 010-1234-5678] [KB국민은행] 본인 확인 인증번호 [")
    code_in(lines[0])
    assert lines[1].startswith(f"[ARS 전화 → 010-1234-5678] ({call.pk}) ")
    assert "화면에 표시된 숫자 두 자리를 입력하세요" in lines[1]
    assert "다른 사람이 알려준 숫자는 절대 입력하지 마세요" in lines[1]


def test_console_takes_a_stream():
    stream = io.StringIO()
    ConsoleBackend(stream=stream).send_sms(phone=PHONE, text="hello")
    assert stream.getvalue() == "[SMS → 010-1234-5678] hello\n"


def test_simulated_stores_encrypted_messages_for_the_handset(committed, settings):
    settings.SMS_BACKEND = SIMULATED
    settings.ARS_BACKEND = SIMULATED
    challenge = committed(sms_send, phone=PHONE, purpose="issue.sms")
    call = committed(ars_call_start, phone=PHONE, purpose="issue.ars")

    sms = HandsetMessage.objects.get(kind=HandsetMessage.Kind.SMS)
    code = code_in(sms.body)
    assert sms.phone == PHONE and sms.challenge is None
    assert code not in sms.body_encrypted
    assert sms.body_encrypted.startswith("v1:")
    assert sms_verify(challenge_id=challenge.pk, code=code).ok

    ringing = HandsetMessage.objects.get(kind=HandsetMessage.Kind.CALL)
    assert ringing.challenge_id == call.pk
    assert "화면에 표시된 숫자 두 자리를 입력하세요" in ringing.body


def test_a_failing_backend_is_logged_and_the_challenge_kept(committed, settings, caplog):
    settings.SMS_BACKEND = "tests.verification.test_backends.BrokenBackend"
    challenge = committed(sms_send, phone=PHONE, purpose="issue.sms")
    assert challenge.pk is not None
    assert "gateway down" in caplog.text


def test_sms_notify_sends_plain_text_on_commit(committed, outbox):
    committed(sms_notify, phone="010-1234-5678", text="[KB국민은행] 안내")
    assert [(d.kind, d.phone, d.body) for d in outbox] == [("sms", PHONE, "[KB국민은행] 안내")]


class BrokenBackend(BaseBackend):
    def send_sms(self, *, phone, text):
        raise ConnectionError("gateway down")


def test_sms_notify_many_in_one_delivery(committed, outbox, settings):
    queued = committed(
        services.sms_notify_many,
        messages=[("010-1234-5678", "하나"), ("not a phone", "둘"), ("+821022223333", "셋")],
    )
    assert queued == 2
    assert [(d.phone, d.body) for d in outbox] == [(PHONE, "하나"), ("+821022223333", "셋")]

    settings.SMS_BACKEND = SIMULATED
    committed(services.sms_notify_many, messages=[(PHONE, "넷"), (PHONE, "다섯")])
    assert sorted(m.body for m in HandsetMessage.objects.all()) == ["넷", "다섯"]
    assert committed(services.sms_notify_many, messages=[]) == 0


def test_sms_notify_refuses_a_bad_phone():
    with pytest.raises(ValidationError):
        services.sms_notify(phone="02-123-4567", text="x")
