"""The certificates' audit trail: one append-only row per thing that happened, never a secret."""

from accounts.models import Customer
from certcenter.clock import now
from certificates.models import Certificate, CertificateEvent


def event_record(
    *,
    kind: str,
    actor: str,
    certificate: Certificate | None = None,
    customer: Customer | None = None,
    staff_user=None,
    client_ip: str | None = None,
    reason: str = "",
) -> CertificateEvent:
    if customer is None and certificate is not None:
        customer = certificate.customer
    return CertificateEvent.objects.create(
        kind=kind,
        actor=actor,
        certificate=certificate,
        customer=customer,
        staff_user=staff_user,
        client_ip=client_ip or None,
        reason=reason[:255],
        created_at=now(),
    )


def verification_failure_record(*, customer: Customer, reason: str,
                                client_ip: str | None) -> CertificateEvent:
    """A failed identity check of a known customer, for staff (the customer sees a neutral message)."""
    return event_record(
        kind=CertificateEvent.Kind.VERIFICATION_FAILED, actor=CertificateEvent.Actor.CUSTOMER,
        customer=customer, client_ip=client_ip, reason=reason,
    )


def identification_failure_record(*, user_id: str, reason: str, client_ip: str | None) -> None:
    """A failed or throttled identification: recorded on the customer's trail if the ID exists."""
    customer = Customer.objects.filter(user_id=user_id.strip().lower()).first()
    if customer is not None:
        verification_failure_record(customer=customer, reason=reason, client_ip=client_ip)
