"""Customer writes, the identification lookup (아이디 + 주민등록번호 → customer) and the details check."""

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


def _fail_both(by_ip: Throttle, ip: str, by_subject: Throttle, subject: str) -> None:
    """Count a failure on the client IP and on the subject (user ID, customer): both or neither.

    A failure the IP's limit took but the subject's refused (or the other way round) must not be
    left half counted; one that finds a limit already reached by concurrent ones is not counted and
    is answered as throttled (LookupThrottled).
    """
    with transaction.atomic():
        ip_counted = by_ip.fail(ip)
        both_counted = ip_counted and by_subject.fail(subject)
        if not both_counted:
            transaction.set_rollback(True)
    if not both_counted:
        raise LookupThrottled(per_user=ip_counted)


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
    ip_allows, user_failures = by_ip.allows(client_ip), by_user.failures(user_id)
    user_allows = user_failures < by_user.limit
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
        logger.debug("customer lookup failed")  # the event line is the audit trail's
        _fail_both(by_ip, client_ip, by_user, user_id)
        raise CustomerNotFound
    if user_failures:  # a success clears the ID's count; with none counted there is no write
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


class DetailsMismatch(Exception):
    """The typed name, birth date or phone is not the customer's own (which one is not said)."""


def details_throttles() -> tuple[Throttle, Throttle]:
    # Limits as for identification: the same kind of guessing (a phone's last four digits, once
    # the page has shown the rest), in scopes of its own so one check does not spend the other's.
    limit, window = settings.LOOKUP_MAX_FAILURES, settings.LOOKUP_FAILURE_WINDOW
    return Throttle("details-ip", limit, window), Throttle("details-customer", limit, window)


def customer_details_check(
    *, customer: Customer, name: str, birth_date: date, phone: str, client_ip: str
) -> None:
    """The details typed for an extra identity check (이름, 생년월일, 휴대폰 번호) must be the customer's.

    Raises DetailsMismatch, or LookupThrottled once ``LOOKUP_MAX_FAILURES`` mismatches were counted
    for the client IP or for the customer within ``LOOKUP_FAILURE_WINDOW`` seconds (then even the
    right details are refused, so the check cannot be used to try the 10^4 phones a masked number
    leaves).
    """
    by_ip, by_customer = details_throttles()
    key = str(customer.pk)
    ip_allows, customer_failures = by_ip.allows(client_ip), by_customer.failures(key)
    customer_allows = customer_failures < by_customer.limit
    if not (ip_allows and customer_allows):
        raise LookupThrottled(per_user=not customer_allows)
    if (name, birth_date, phone) != (customer.name, customer.birth_date, customer.phone):
        _fail_both(by_ip, client_ip, by_customer, key)
        raise DetailsMismatch
    if customer_failures:  # as in customer_lookup: nothing counted, nothing to clear
        by_customer.reset(key)
