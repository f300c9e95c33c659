"""The interface every delivery backend implements (the shape of django.core.mail's backends)."""

from uuid import UUID


class BaseBackend:
    """Delivers a text message or places an automated (ARS) call.

    Called after the transaction that created the challenge committed; a backend raising is logged
    and the customer can ask for a new code once the cooldown has passed.
    """

    def __init__(self, **kwargs):
        pass

    def send_sms(self, *, phone: str, text: str) -> None:
        raise NotImplementedError("subclasses of BaseBackend must provide send_sms()")

    def send_sms_many(self, *, messages: list[tuple[str, str]]) -> None:
        """(phone, text) pairs; backends that can send in bulk override this."""
        for phone, text in messages:
            self.send_sms(phone=phone, text=text)

    def place_call(self, *, phone: str, challenge_id: UUID, prompt: str) -> None:
        raise NotImplementedError("subclasses of BaseBackend must provide place_call()")
