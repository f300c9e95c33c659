"""Keeps deliveries in memory, in ``outbox``, for tests to read (like django.core.mail.outbox)."""

from dataclasses import dataclass
from uuid import UUID

from verification.backends.base import BaseBackend


@dataclass(frozen=True)
class Delivery:
    kind: str  # "sms" or "call"
    phone: str
    body: str
    challenge_id: UUID | None = None


outbox: list[Delivery] = []


def clear_outbox() -> None:
    # Emptied in place: tests hold a reference to this very list.
    outbox.clear()


class LocmemBackend(BaseBackend):
    def send_sms(self, *, phone: str, text: str) -> None:
        outbox.append(Delivery(kind="sms", phone=phone, body=text))

    def place_call(self, *, phone: str, challenge_id: UUID, prompt: str) -> None:
        outbox.append(Delivery(kind="call", phone=phone, body=prompt, challenge_id=challenge_id))
