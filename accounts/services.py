"""Customer writes and the identification lookup (아이디 + 주민등록번호 → customer)."""

import logging
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from accounts.models import Customer, resident_number_hash
from accounts.rrn import parse_resident_number
from accounts.throttle import Throttle

logger = logging.getLogger(__name__)


class CustomerNotFound(Exception):
    """One outcome for an unknown ID, a wrong number and a customer without internet banking."""


class LookupThrottled(Exception):
    """Too many failed lookups from this client or for this user ID; try again later.

    ``per_user``: the user ID's own limit was reached (not only the client IP's), so the refusal
    belongs on that ID's audit trail.
    """

    def __init__(self, *, per_user: bool = False):
        self.per_user = per_user
        super().__init__(per_user)


def lookup_throttles() -> tuple[Throttle, Throttle]:
    limit, window = settings.LOOKUP_MAX_FAILURES, settings.LOOKUP_FAILURE_WINDOW
    return Throttle("lookup-ip", limit, window), Throttle("lookup-user", limit, window)


@sensitive_variables("resident_number", "digits")
def customer_lookup(*, user_id: str, resident_number: str, client_ip: str) -> Customer:
    """Identify a customer by internet-banking ID and resident number.

    Raises CustomerNotFound without saying which part was wrong, or LookupThrottled once
    ``LOOKUP_MAX_FAILURES`` failures were counted for the client IP or the user ID within
    ``LOOKUP_FAILURE_WINDOW`` seconds. Only failures count: lookups still running take no slot, so
    a correct one is not refused because others are in flight; a failure that finds the limit
    already reached by concurrent ones is not counted and is answered as throttled. An existing ID
    and an unknown one go through the same queries and writes.
    """
    user_id = (user_id or "").strip().lower()
    by_ip, by_user = lookup_throttles()
    # Both read every time, so a refusal costs the same whichever limit (or both) refused it.
    ip_allows, user_allows = by_ip.allows(client_ip), by_user.allows(user_id)
    if not (ip_allows and user_allows):
        raise LookupThrottled(per_user=not user_allows)
    try:
        digits = parse_resident_number(resident_number).digits
    except ValidationError:
        digits = None
    customer = None
    if digits:
        customer = Customer.objects.filter(
            user_id=user_id,
            resident_number_hash=resident_number_hash(digits),
            internet_banking_enrolled=True,
        ).first()
    if customer is None:
        logger.info("customer lookup failed", extra={"client_ip": client_ip})
        with transaction.atomic():
            # Both counters or neither: a failure the IP's limit took but the ID's refused
            # (or the other way round) must not be left half counted.
            ip_counted = by_ip.fail(client_ip)
            user_counted = ip_counted and by_user.fail(user_id)
            if not user_counted:
                transaction.set_rollback(True)
        if not user_counted:
            raise LookupThrottled(per_user=ip_counted)
        raise CustomerNotFound
    by_user.reset(user_id)
    return customer


@sensitive_variables("resident_number")
@transaction.atomic
def customer_create(
    *,
    user_id: str,
    name: str,
    resident_number: str,
    phone: str,
    email: str = "",
    birth_date: date | None = None,
    kind: str = Customer.Kind.PERSONAL,
    internet_banking_enrolled: bool = True,
) -> Customer:
    customer = Customer(
        user_id=user_id,
        name=name,
        phone=phone,
        email=email,
        birth_date=birth_date,
        kind=kind,
        internet_banking_enrolled=internet_banking_enrolled,
    )
    customer.set_resident_number(resident_number)
    customer.full_clean()
    customer.save()
    return customer


def customer_set_marketing_consent(*, customer: Customer, consent: bool) -> None:
    """Record the optional marketing consent as given on the latest terms page."""
    from certcenter.clock import now

    if (customer.marketing_consent_at is not None) == consent:
        return  # unchanged: keep the date it was first given, and save a write
    customer.marketing_consent_at = now() if consent else None
    Customer.objects.filter(pk=customer.pk).update(marketing_consent_at=customer.marketing_consent_at)


@sensitive_variables("resident_number")
@transaction.atomic
def customer_update(*, customer: Customer, resident_number: str | None = None, **fields) -> Customer:
    """Change a customer's details (a new resident number is re-encrypted and re-hashed)."""
    for name, value in fields.items():
        setattr(customer, name, value)
    if resident_number:
        customer.birth_date = None if "birth_date" not in fields else customer.birth_date
        customer.set_resident_number(resident_number)
    customer.full_clean()
    customer.save()
    return customer
