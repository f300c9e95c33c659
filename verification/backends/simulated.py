"""Delivers into the database outbox that the simulated handset (/phone/) shows, encrypted."""

from uuid import UUID

from certcenter.clock import now
from certcenter.db import insert_many
from verification.backends.base import BaseBackend
from verification.models import HandsetMessage, encrypt_body


class SimulatedBackend(BaseBackend):
    def send_sms(self, *, phone: str, text: str) -> None:
        message = HandsetMessage(phone=phone, kind=HandsetMessage.Kind.SMS)
        message.set_body(text)
        message.save()

    def send_sms_many(self, *, messages: list[tuple[str, str]]) -> None:
        # Batch jobs (renewal) send thousands: rows straight in, no model instances.
        at = now()
        insert_many(
            HandsetMessage,
            ("phone", "kind", "body_encrypted", "created_at"),
            ((phone, HandsetMessage.Kind.SMS, encrypt_body(text), at) for phone, text in messages),
        )

    def place_call(self, *, phone: str, challenge_id: UUID, prompt: str) -> None:
        message = HandsetMessage(
            phone=phone, kind=HandsetMessage.Kind.CALL, challenge_id=challenge_id
        )
        message.set_body(prompt)
        message.save()
