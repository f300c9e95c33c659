"""Every change of a certificate's status, and nothing else changes one.

Each transition is declared once (the states it may start from, the state it ends in, the audit
event it writes, whether the CRL must be re-signed) and applied by one function here: the rows move
only if they are still in a starting state (a guarded ``UPDATE``, so a concurrent change is refused,
not overwritten), the audit trail gets its rows in the same transaction (and, once it commits,
one structured log line each: ``certcenter.logs``), ``pre_transition`` /
``post_transition`` are sent around the change, and what follows (a new CRL, the customer's notice)
is queued for after the commit. The shape is django-ca's ``Certificate.revoke()`` with its signals.

Batch callers (the renewal job) pass primary keys and get one ``UPDATE`` and one multi-row insert of
events per transition, whatever the batch size.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from accounts.models import Customer
from certcenter.clock import now as clock_now
from certcenter.db import insert_many
from certcenter.logs import event_log
from certificates import notices
from certificates.models import Certificate, CertificateEvent
from certificates.signals import post_transition, pre_transition
from verification.services import sms_notify_many

Status = Certificate.Status
Kind = CertificateEvent.Kind
Actor = CertificateEvent.Actor


class TransitionRefused(Exception):
    """A certificate was not in a state the transition may start from (it changed meanwhile)."""


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    event: str
    republishes_crl: bool = False

    def allows(self, status: str) -> bool:
        return status in self.sources


_CURRENT = frozenset(Certificate.CURRENT_STATUSES)

ACTIVATE = Transition("activate", frozenset({Status.PENDING}), Status.ACTIVE, Kind.ISSUED)
FAIL = Transition("fail", frozenset({Status.PENDING}), Status.FAILED, Kind.ISSUE_FAILED)
# A renewed certificate's key still signs until it expires, so it can be revoked too.
REVOKE = Transition("revoke", _CURRENT | {Status.RENEWED}, Status.REVOKED, Kind.REVOKED,
                    republishes_crl=True)
RENEW = Transition("renew", frozenset({Status.ACTIVE}), Status.RENEWED, Kind.RENEWED)
REQUIRE_REISSUE = Transition("require_reissue", frozenset({Status.ACTIVE}),
                             Status.REISSUE_REQUIRED, Kind.RENEWAL_SKIPPED)
EXPIRE = Transition("expire", _CURRENT, Status.EXPIRED, Kind.EXPIRED)
LOCK = Transition("lock", frozenset({Status.ACTIVE}), Status.LOCKED, Kind.LOCKED)
# 효력정지 puts the certificate on the CRL as certificateHold; 효력회복 takes it off again.
SUSPEND = Transition("suspend", frozenset({Status.ACTIVE}), Status.SUSPENDED, Kind.SUSPENDED,
                     republishes_crl=True)
RESUME = Transition("resume", frozenset({Status.SUSPENDED}), Status.ACTIVE, Kind.RESUMED,
                    republishes_crl=True)

TRANSITIONS = (ACTIVATE, FAIL, REVOKE, RENEW, REQUIRE_REISSUE, EXPIRE, LOCK, SUSPEND, RESUME)
# The renewal job's transitions are counted in its run's one log line (``renewal.run``), not a
# line per certificate; every other transition logs one line per certificate.
_LOGGED_PER_RUN = frozenset({RENEW, REQUIRE_REISSUE, EXPIRE})

EVENT_COLUMNS = ("kind", "actor", "certificate_id", "customer_id", "staff_user_id", "client_ip",
                 "reason", "created_at")


@dataclass(frozen=True)
class EventRow:
    """One audit row a transition writes: which certificate (and customer), and why."""

    certificate_id: int
    customer_id: int
    reason: str = ""
    kind: str | None = None  # the transition's own event unless given


def _apply(
    transition: Transition,
    ids: Sequence[int],
    *,
    events: Iterable[EventRow] | Callable[[], Iterable[EventRow]],
    actor: str,
    staff_user=None,
    client_ip: str | None = None,
    moment: datetime | None = None,
    **fields,
) -> int:
    """Move ``ids`` along ``transition``; all of them or none (raises TransitionRefused).

    ``events`` may be a callable, called once the rows moved: for events on rows it creates.
    """
    ids = list(ids)
    if not ids:
        return 0
    moment = moment or clock_now()
    with transaction.atomic():
        pre_transition.send(sender=Transition, transition=transition, certificate_ids=ids)
        moved = Certificate.objects.filter(pk__in=ids, status__in=transition.sources).update(
            status=transition.target, **fields
        )
        if moved != len(ids):
            raise TransitionRefused(f"{transition.name}: {len(ids) - moved} of {len(ids)} "
                                    "certificates were not in a starting state")
        staff_id = staff_user.pk if staff_user is not None else None
        events = list(events() if callable(events) else events)
        insert_many(CertificateEvent, EVENT_COLUMNS, [
            (row.kind or transition.event, actor, row.certificate_id, row.customer_id, staff_id,
             client_ip or None, row.reason[:255], moment)
            for row in events
        ])
        if transition not in _LOGGED_PER_RUN:
            _log_on_commit(transition, events, actor=actor, staff_id=staff_id,
                           revocation_reason=fields.get("revocation_reason"))
        post_transition.send(sender=Transition, transition=transition, certificate_ids=ids)
        if transition.republishes_crl:
            from certificates.publication import crl_publish

            transaction.on_commit(crl_publish)
    return moved


def _log_on_commit(transition: Transition, rows: list[EventRow], *, actor: str,
                   staff_id: int | None, revocation_reason: str | None) -> None:
    """One log line per audit row, once committed: kind, ids, serial, actor, RFC 5280 reason code.
    Never the row's text (a staff note may name someone) nor the client's address."""
    serials = dict(Certificate.objects.filter(pk__in=[row.certificate_id for row in rows])
                   .values_list("pk", "serial"))
    lines = [(f"certificate.{row.kind or transition.event}", {
        "certificate_id": row.certificate_id, "serial": serials.get(row.certificate_id),
        "customer_id": row.customer_id, "actor": actor, "staff_user_id": staff_id,
        "transition": transition.name, "revocation_reason": revocation_reason or None,
    }) for row in rows]

    def write():
        for event, fields in lines:
            event_log(event, **fields)

    transaction.on_commit(write)


# -- Issuance ---------------------------------------------------------------------------------

def certificate_activate(
    *, certificate: Certificate, der: bytes, client_ip: str | None = None,
    reissue_label: str = "",
) -> Certificate:
    """A planned (pending) certificate, now signed, becomes the customer's active one."""
    moment = clock_now()
    _apply(ACTIVATE, [certificate.pk], der=der, actor=Actor.CUSTOMER, client_ip=client_ip,
           moment=moment,
           events=[EventRow(certificate.pk, certificate.customer_id, reissue_label,
                            kind=Kind.REISSUED if reissue_label else None)])
    _notify([certificate.customer_id], what=notices.REISSUED if reissue_label else notices.ISSUED,
            at=moment)
    certificate.der, certificate.status = der, ACTIVATE.target
    return certificate


def _notify(customer_ids: Iterable[int], *, what: str, at: datetime) -> None:
    """One notice per customer, to the phone on record, once the transaction commits."""
    text = notices.notice_text(what=what, at=at)
    phones = Customer.objects.filter(pk__in=set(customer_ids)).values_list("phone", flat=True)
    sms_notify_many(messages=[(phone, text) for phone in phones])


def certificate_fail(*, certificate: Certificate, reason: str, client_ip: str | None = None) -> None:
    """Close a planned certificate that was never signed (or never stored): its flow is freed."""
    _apply(FAIL, [certificate.pk], flow_id=None, actor=Actor.SYSTEM, client_ip=client_ip,
           events=[EventRow(certificate.pk, certificate.customer_id, reason)])


# -- Revocation -------------------------------------------------------------------------------

def _with_renewed_predecessors(certificate: Certificate, *, moment: datetime) -> list[Certificate]:
    """``certificate`` and every still-valid certificate it was renewed from (same key, locked).

    A renewal leaves the previous certificate over the same key valid until it expires, so
    revoking only the newest would leave the key usable through the older one.
    """
    earlier = Certificate.objects.select_for_update().filter(
        sealed_key_id=certificate.sealed_key_id, status=Status.RENEWED, not_after__gte=moment,
    ).exclude(pk=certificate.pk)
    return [certificate, *earlier]


@transaction.atomic
def certificates_revoke(
    *,
    certificates: list[Certificate],
    reason: str,
    actor: str,
    staff_user=None,
    client_ip: str | None = None,
    note: str = "",
    replaced_by: Certificate | None = None,
    event_reason: str | None = None,
    notify: bool = True,
) -> list[Certificate]:
    """Revoke certificates (staff, customer or reissue) in one transaction, with one new CRL.

    ``reason`` is an RFC 5280 reason (``Certificate.RevocationReason``). A certificate already
    revoked or expired is left as it is; the ones revoked are returned, with any still-valid
    earlier certificate over the same key. The audit rows say the reason and the note, or
    ``event_reason`` when given (a reissue names the customer's own reason). Each customer gets
    one notice, unless ``notify`` is off (a reissue sends its own).
    """
    moment = clock_now()
    label = event_reason or " ".join(
        filter(None, [str(Certificate.RevocationReason(reason).label), note])
    )
    locked = Certificate.objects.select_for_update().filter(
        pk__in=[c.pk for c in certificates]
    ).order_by("pk")
    revoked = [
        each for certificate in locked if certificate.is_revocable
        for each in _with_renewed_predecessors(certificate, moment=moment)
    ]
    _apply(REVOKE, [c.pk for c in revoked], actor=actor, staff_user=staff_user,
           client_ip=client_ip, moment=moment,
           events=[EventRow(c.pk, c.customer_id, label) for c in revoked],
           revocation_reason=reason, revoked_at=moment, replaced_by=replaced_by)
    if notify:
        _notify([c.customer_id for c in revoked], what=notices.REVOKED, at=moment)
    for each in revoked:
        each.status, each.revocation_reason, each.revoked_at = REVOKE.target, reason, moment
        each.replaced_by = replaced_by
    return revoked


def certificate_revoke(*, certificate: Certificate, **kwargs) -> Certificate:
    """Revoke one certificate; see certificates_revoke."""
    certificates_revoke(certificates=[certificate], **kwargs)
    certificate.refresh_from_db()
    return certificate


# -- Suspension (효력정지) and resumption (효력회복) ------------------------------------------------

def _hold_change(transition: Transition, *, certificate: Certificate, actor: str, staff_user,
                 client_ip: str | None, note: str, what: str, moment: datetime,
                 **fields) -> Certificate:
    label = " ".join(filter(None, [str(transition.event.label), note]))
    _apply(transition, [certificate.pk], actor=actor, staff_user=staff_user, client_ip=client_ip,
           moment=moment, events=[EventRow(certificate.pk, certificate.customer_id, label)],
           **fields)
    _notify([certificate.customer_id], what=what, at=moment)
    certificate.refresh_from_db()
    return certificate


def certificate_suspend(*, certificate: Certificate, actor: str, staff_user=None,
                        client_ip: str | None = None, note: str = "") -> Certificate:
    """An active certificate is put on hold: it signs nothing and the CRL lists it as
    certificateHold (``revoked_at`` = now) until it is resumed. Raises TransitionRefused
    unless it is active."""
    moment = clock_now()
    return _hold_change(SUSPEND, certificate=certificate, actor=actor, staff_user=staff_user,
                        client_ip=client_ip, note=note, what=notices.SUSPENDED, moment=moment,
                        revoked_at=moment,
                        revocation_reason=Certificate.RevocationReason.CERTIFICATE_HOLD)


def certificate_resume(*, certificate: Certificate, actor: str, staff_user=None,
                       client_ip: str | None = None, note: str = "") -> Certificate:
    """A suspended certificate is active again and leaves the next CRL. Raises
    TransitionRefused unless it is suspended and still within its validity (one past its
    expiry stays suspended until the renewal job marks it expired; only a reissue helps then)."""
    moment = clock_now()
    if certificate.not_after < moment:
        raise TransitionRefused("resume: the certificate has expired")
    return _hold_change(RESUME, certificate=certificate, actor=actor, staff_user=staff_user,
                        client_ip=client_ip, note=note, what=notices.RESUMED, moment=moment,
                        revoked_at=None, revocation_reason="")


# -- PIN lock -----------------------------------------------------------------------------------

def certificates_lock(*, sealed_key_id: int, customer_id: int, client_ip: str | None,
                      reason: str) -> int:
    """The key's active certificate becomes locked (too many wrong PINs; only reissue unlocks)."""
    ids = list(Certificate.objects.filter(sealed_key_id=sealed_key_id, status=Status.ACTIVE)
               .values_list("pk", flat=True))
    return _apply(LOCK, ids, actor=Actor.SYSTEM, client_ip=client_ip,
                  events=[EventRow(pk, customer_id, reason) for pk in ids])


# -- The renewal job's batch transitions --------------------------------------------------------

def certificates_expire(*, rows: Sequence[tuple[int, int]], moment: datetime) -> int:
    """(certificate id, customer id) pairs past their expiry become expired."""
    return _apply(EXPIRE, [pk for pk, _ in rows], actor=Actor.SYSTEM, moment=moment,
                  events=[EventRow(pk, customer_id, "유효기간 경과") for pk, customer_id in rows])


def certificates_require_reissue(
    *, rows: Sequence[tuple[int, int, str, str]], moment: datetime, notice: str
) -> int:
    """(certificate id, customer id, why, phone): the customer no longer matches the certificate,
    so it is not renewed; it becomes 재발급 필요 and the customer is told by SMS."""
    moved = _apply(REQUIRE_REISSUE, [row[0] for row in rows], actor=Actor.SYSTEM, moment=moment,
                   events=[EventRow(pk, customer_id, f"고객 정보 불일치: {why}")
                           for pk, customer_id, why, _phone in rows])
    sms_notify_many(messages=[(phone, notice) for *_rest, phone in rows])
    return moved


def certificates_renew(
    *, old_ids: Sequence[int], insert_successors: Callable[[], Iterable[EventRow]],
    moment: datetime, notices: Iterable[tuple[str, str]] = (),
) -> int:
    """Old certificates leave "active" for "renewed", and only then are their successors
    inserted (``insert_successors``), so a customer never has two current certificates. It
    returns the events, which go on the new certificates so their history says where they came
    from. ``notices`` are the (phone, text) SMS sent once it commits."""
    moved = _apply(RENEW, old_ids, actor=Actor.SYSTEM, moment=moment, events=insert_successors)
    sms_notify_many(messages=notices)
    return moved
