"""The certificates' audit trail: one append-only row per thing that happened, never a secret.

A failure a client can repeat endlessly is written once per window with a count, not once per
request (``repeated_failure_record``), so the trail cannot be flooded.

Each row written here (and by ``lifecycle``) is also one structured log line once it commits
(``event_logged``): the kind, ids, the actor and an outcome code, never the row's free text.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Customer
from accounts.throttle import Tally
from certcenter.clock import now
from certcenter.durations import duration_text
from certcenter.logs import event_log
from certificates.models import Certificate, CertificateEvent


def event_record(
    *,
    kind: str,
    actor: str,
    certificate: Certificate | None = None,
    customer: Customer | None = None,
    customer_id: int | None = None,
    staff_user=None,
    client_ip: str | None = None,
    reason: str = "",
    outcome: str = "",
    **log_fields,
) -> CertificateEvent:
    """Write one audit row (for ``customer``, or just their ``customer_id``); ``outcome`` is a short
    code for the log line, with ``log_fields`` (``reason`` is not logged)."""
    if customer is None and certificate is not None:
        customer = certificate.customer
    whose = {"customer": customer} if customer is not None else {"customer_id": customer_id}
    event = CertificateEvent.objects.create(
        kind=kind,
        actor=actor,
        certificate=certificate,
        staff_user=staff_user,
        client_ip=client_ip or None,
        reason=reason[:255],
        created_at=now(),
        **whose,
    )
    event_logged(event, outcome=outcome,
                 serial=certificate.serial if certificate is not None else None, **log_fields)
    return event


def event_logged(event: CertificateEvent, *, outcome: str = "", serial: str | None = None,
                 **fields) -> None:
    """One log line for an audit row, once the transaction commits (a rolled-back row logs nothing)."""
    line = {
        "certificate_id": event.certificate_id, "serial": serial,
        "customer_id": event.customer_id, "actor": event.actor,
        "staff_user_id": event.staff_user_id, "outcome": outcome or None, **fields,
    }
    transaction.on_commit(lambda: event_log(f"certificate.{event.kind}", **line))


def verification_failure_record(*, customer: Customer, reason: str, client_ip: str | None,
                                outcome: str = "") -> CertificateEvent:
    """A failed identity check of a known customer, for staff (the customer sees a neutral message)."""
    return event_record(
        kind=CertificateEvent.Kind.VERIFICATION_FAILED, actor=CertificateEvent.Actor.CUSTOMER,
        customer=customer, client_ip=client_ip, reason=reason, outcome=outcome,
    )


def repeated_failure_record(*, key: str, reason: str, window_seconds: int,
                            customer_id: int | None, client_ip: str | None, outcome: str = "",
                            ) -> CertificateEvent | None:
    """A failed identity check that a client can repeat without limit (an entry on a used-up code,
    a refused identification): one row per window, not one per request.

    The first of a run opens a window of ``window_seconds`` and is written; the repeats within it
    are only counted (under ``key``: what was refused, for whom); the first after the window is
    written again, with the count of the window before when it held more than one, e.g. "… (직전
    2025-06-01 10:00부터 10분간 35회)". A run that stops shows its count with the next one only;
    until then the first row stands for it. Returns the row written, or None.
    """
    # One transaction: a window is never opened without its row (nor its count lost).
    with transaction.atomic():
        repeat = Tally("audit-repeat", window_seconds).add(key)
        if not repeat.first:
            return None
        if repeat.earlier:
            since = timezone.localtime(repeat.earlier_start)
            reason = (f"{reason} (직전 {since:%Y-%m-%d %H:%M}부터 {duration_text(window_seconds)}간 "
                      f"{repeat.earlier}회)")
        return event_record(
            kind=CertificateEvent.Kind.VERIFICATION_FAILED, actor=CertificateEvent.Actor.CUSTOMER,
            customer_id=customer_id, client_ip=client_ip, reason=reason, outcome=outcome,
            repeats_before=repeat.earlier or None,
        )


IDENTIFY_MISMATCH = "본인 확인 실패: 아이디·주민등록번호 불일치"
IDENTIFY_UNKNOWN_ID = "본인 확인 실패: 등록되지 않은 아이디"
IDENTIFY_REFUSED_ID = "본인 확인 제한: 아이디별 실패 횟수 초과"
IDENTIFY_REFUSED_IP = "본인 확인 제한: IP별 실패 횟수 초과"


def _customer_id(user_id: str) -> int | None:
    # The primary key only: loading a whole row for an existing ID would take measurably longer
    # than finding none for an unknown one.
    return Customer.objects.filter(user_id=user_id.strip().lower()).values_list(
        "pk", flat=True).first()


def identification_failure_record(*, user_id: str, client_ip: str | None) -> CertificateEvent:
    """A failed identification: on the customer's trail if the ID exists, else on no one's.

    A row is written for an unknown ID too, through the same queries, so the time the answer takes
    does not tell whether the ID exists. (Each one is a counted failure, so the lookup throttle
    already bounds how many there can be.) The typed ID itself is not kept.
    """
    customer_id = _customer_id(user_id)
    known = customer_id is not None
    return event_record(
        kind=CertificateEvent.Kind.VERIFICATION_FAILED, actor=CertificateEvent.Actor.CUSTOMER,
        customer_id=customer_id, client_ip=client_ip,
        reason=IDENTIFY_MISMATCH if known else IDENTIFY_UNKNOWN_ID,
        outcome="identify_mismatch" if known else "identify_unknown_id",
    )


def identification_refusal_record(*, user_id: str, per_user: bool,
                                  client_ip: str | None) -> CertificateEvent | None:
    """A throttled identification, once per window (``repeated_failure_record``).

    Refused by the user ID's own limit: counted per ID, on that customer's trail if it exists.
    Refused by the client IP's limit alone: counted per IP, on no customer's trail — else an IP
    trying a new ID on every request would open a new window, and write a row, every time.
    Either way the same queries run for an existing and an unknown ID.
    """
    customer_id = _customer_id(user_id)
    if per_user:
        key, reason = f"identify:user:{user_id.strip().lower()}", IDENTIFY_REFUSED_ID
        outcome = "identify_throttled_user"
    else:
        key, reason, customer_id = f"identify:ip:{client_ip}", IDENTIFY_REFUSED_IP, None
        outcome = "identify_throttled_ip"
    return repeated_failure_record(
        key=key, reason=reason, window_seconds=settings.LOOKUP_FAILURE_WINDOW,
        customer_id=customer_id, client_ip=client_ip, outcome=outcome,
    )
