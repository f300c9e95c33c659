"""Delivers into the database outbox that the simulated handset (/phone/) shows, encrypted.

This is the simulated phone network, so channel faults set by testers (``verification.faults``)
apply here: a message's ``created_at`` is when it reaches the handset (later when delayed; the
handset shows only what has arrived), and a faulty call is marked with how the network ends it.
"""

from uuid import UUID

from certcenter.clock import now
from certcenter.db import insert_many
from verification import faults
from verification.backends.base import BaseBackend
from verification.models import Challenge, HandsetMessage, encrypt_body


class SimulatedBackend(BaseBackend):
    def send_sms(self, *, phone: str, text: str) -> None:
        fault = faults.fault_for(phone=phone, channel=Challenge.Channel.SMS)
        for arrival in faults.sms_arrivals(fault=fault, phone=phone, at=now()):
            message = HandsetMessage(phone=phone, kind=HandsetMessage.Kind.SMS, created_at=arrival)
            message.set_body(text)
            message.save()

    def send_sms_many(self, *, messages: list[tuple[str, str]]) -> None:
        # Batch jobs (renewal) send thousands: rows straight in, no model instances.
        at = now()
        by_phone = faults.sms_faults_by_phone()
        if by_phone:
            rows = [
                (phone, HandsetMessage.Kind.SMS, encrypt_body(text), arrival)
                for phone, text in messages
                for arrival in faults.sms_arrivals(
                    fault=by_phone.get(phone) or by_phone.get(""), phone=phone, at=at
                )
            ]
        else:
            rows = ((phone, HandsetMessage.Kind.SMS, encrypt_body(text), at) for phone, text in messages)
        insert_many(HandsetMessage, ("phone", "kind", "body_encrypted", "created_at"), rows)

    def place_call(self, *, phone: str, challenge_id: UUID, prompt: str) -> None:
        at = now()
        fault = faults.fault_for(phone=phone, channel=Challenge.Channel.ARS)
        if not faults.call_fault_apply(fault=fault, challenge_id=challenge_id, at=at):
            return  # busy: the call never reaches the handset
        message = HandsetMessage(
            phone=phone, kind=HandsetMessage.Kind.CALL, challenge_id=challenge_id, created_at=at
        )
        message.set_body(prompt)
        message.save()
