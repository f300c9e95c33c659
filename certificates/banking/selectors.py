"""Reads of the 모의 인터넷뱅킹: no writes here."""

from certificates.models import Certificate


def signing_certificate(*, customer_id: int) -> Certificate | None:
    """The customer's current certificate (the one they sign with), with its key record: the
    PIN pad shows its wrong-PIN count."""
    return (Certificate.objects.current().filter(customer_id=customer_id)
            .select_related("sealed_key").first())
