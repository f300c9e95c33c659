"""Delivers into the database outbox that the simulated handset (/phone/) shows, encrypted."""

from uuid import UUID

from verification.backends.base import BaseBackend
from verification.models import HandsetMessage


class SimulatedBackend(BaseBackend):
    def send_sms(self, *, phone: str, text: str) -> None:
        message = HandsetMessage(phone=phone, kind=HandsetMessage.Kind.SMS)
        message.set_body(text)
        message.save()

    def send_sms_many(self, *, messages: list[tuple[str, str]]) -> None:
        rows = []
        for phone, text in messages:
            rows.append(HandsetMessage(phone=phone, kind=HandsetMessage.Kind.SMS))
            rows[-1].set_body(text)
        HandsetMessage.objects.bulk_create(rows, batch_size=500)

    def place_call(self, *, phone: str, challenge_id: UUID, prompt: str) -> None:
        message = HandsetMessage(
            phone=phone, kind=HandsetMessage.Kind.CALL, challenge_id=challenge_id
        )
        message.set_body(prompt)
        message.save()
