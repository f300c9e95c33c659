"""Reads about challenges and the simulated handset; nothing here writes."""

import functools
import math
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connections, router
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.demo import DEMO_CUSTOMERS
from accounts.masking import mask_name
from accounts.models import Customer
from accounts.phone import format_phone, normalize_phone
from certcenter.clock import now
from verification.codes import default_code_generator
from verification.faults import call_not_over
from verification.models import (
    CallResult,
    Challenge,
    DailyFailureCount,
    FraudReport,
    HandsetMessage,
)
from verification.outcomes import Outcome


def parse_challenge_id(value) -> uuid.UUID | None:
    """A challenge id from a URL, a session or a form; None when it cannot be one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


# Per channel: (cooldown, cap, window) setting names.
_SEND_LIMITS = {
    Challenge.Channel.SMS: ("SMS_RESEND_COOLDOWN", "SMS_MAX_SENDS", "SMS_SEND_WINDOW"),
    Challenge.Channel.ARS: ("ARS_RECALL_COOLDOWN", "ARS_MAX_CALLS", "SMS_SEND_WINDOW"),
}


def send_throttle(
    *, phone: str, channel: str, at: datetime | None = None
) -> tuple[Outcome, int] | None:
    """Why a new SMS code or ARS call for ``phone`` (E.164) must wait, as (reason, seconds), or None.

    reason COOLDOWN: less than the channel's cooldown since the last one (``SMS_RESEND_COOLDOWN``,
    ``ARS_RECALL_COOLDOWN``); reason CAP: the channel's cap (``SMS_MAX_SENDS``, ``ARS_MAX_CALLS``)
    reached within ``SMS_SEND_WINDOW`` seconds. Nobody who knows a customer's ID and number can make
    their phone buzz or ring without end.
    """
    at = at or now()
    cooldown_name, cap_name, window_name = _SEND_LIMITS[channel]
    cooldown = getattr(settings, cooldown_name)
    cap = getattr(settings, cap_name)
    window = timedelta(seconds=getattr(settings, window_name))
    # One query for both limits: the newest ``cap`` sends (at least one, for the cooldown), newest
    # first; those inside the window are a prefix of them.
    latest_sends = list(
        Challenge.objects.filter(phone=phone, channel=channel)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: max(cap, 1)]
    )
    if latest_sends:
        elapsed = (at - latest_sends[0]).total_seconds()
        if elapsed < cooldown:
            return Outcome.COOLDOWN, max(1, math.ceil(cooldown - elapsed))
    recent = [sent_at for sent_at in latest_sends if sent_at > at - window]
    if cap and len(recent) >= cap:
        # The window frees a slot when the cap-th most recent code leaves it.
        return Outcome.CAP, max(1, math.ceil((recent[-1] + window - at).total_seconds()))
    return None


def daily_failures(*, customer_id: int, at: datetime | None = None) -> int:
    """Wrong codes and digits the customer entered today (Asia/Seoul), across all their challenges."""
    row = DailyFailureCount.objects.filter(customer_id=customer_id).values_list("day", "failures")
    found = row.first()
    if found is None or found[0] != timezone.localdate(at or now()):
        return 0
    return found[1]


def daily_cap_wait(*, customer_id: int | None, at: datetime | None = None) -> tuple[Outcome, int] | None:
    """(DAILY_CAP, seconds until midnight in Seoul) once the customer's wrong entries today reached
    ``VERIFICATION_DAILY_MAX_FAILURES``; None otherwise (also for a challenge without a customer)."""
    cap = settings.VERIFICATION_DAILY_MAX_FAILURES
    if customer_id is None or not cap:
        return None
    at = at or now()
    if daily_failures(customer_id=customer_id, at=at) < cap:
        return None
    local = timezone.localtime(at)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=local.tzinfo)
    return Outcome.DAILY_CAP, max(1, math.ceil((midnight - at).total_seconds()))


# --- the simulated handset -----------------------------------------------------------------------


@dataclass(frozen=True)
class HandsetPhone:
    phone: str
    label: str
    user_id: str = ""
    sms_count: int = 0
    ringing: bool = False

    @property
    def display(self) -> str:
        return format_phone(self.phone)


def handset_ringing_call(*, phone: str, at: datetime | None = None) -> HandsetMessage | None:
    """The newest delivered call whose challenge still waits for digits, if any.

    The handset and its API ask on every poll and key-in: the ORM's query for this join (the
    ``call_not_over`` condition) cost ~0.8 ms to build against ~0.1 ms to run, so it is written
    out once here (``raw``) with the same conditions. The challenge loads on first access.
    """
    at = at or now()
    connection = connections[router.db_for_read(HandsetMessage)]
    quote = connection.ops.quote_name
    message, challenge = HandsetMessage._meta, Challenge._meta

    def column(meta, name):
        return quote(meta.get_field(name).column)

    moment = connection.ops.adapt_datetimefield_value(at)
    ended = column(challenge, "call_ended_at")
    result = column(challenge, "call_result")
    sql = (
        f"SELECT m.* FROM {quote(message.db_table)} m "  # noqa: S608 (quoted names)
        f"JOIN {quote(challenge.db_table)} c ON c.{column(challenge, 'id')} = "
        f"m.{column(message, 'challenge')} "
        f"WHERE m.{column(message, 'phone')} = %s AND m.{column(message, 'kind')} = %s "
        f"AND c.{column(challenge, 'status')} = %s AND c.{column(challenge, 'expires_at')} >= %s "
        # call_not_over(at): the network has not ended the call, and it was not left unanswered.
        f"AND (c.{ended} IS NULL OR c.{ended} > %s) AND (c.{result} IS NULL OR c.{result} <> %s) "
        f"ORDER BY m.{column(message, 'created_at')} DESC, m.{column(message, 'id')} DESC LIMIT 1"
    )
    params = [phone, HandsetMessage.Kind.CALL.value, Challenge.Status.PENDING.value, moment,
              moment, CallResult.NO_ANSWER.value]
    return next(iter(HandsetMessage.objects.raw(sql, params)), None)


def handset_inbox(*, phone: str, limit: int = 50) -> list[HandsetMessage]:
    """The SMS that have arrived (a delayed one is stored with its arrival time, still to come)."""
    return list(
        HandsetMessage.objects.filter(
            phone=phone, kind=HandsetMessage.Kind.SMS, created_at__lte=now()
        ).order_by("-created_at", "-id")[:limit]
    )


def handset_call_log(*, phone: str, limit: int = 10) -> list[HandsetMessage]:
    return list(
        HandsetMessage.objects.filter(phone=phone, kind=HandsetMessage.Kind.CALL)
        .select_related("challenge")
        .order_by("-created_at", "-id")[:limit]
    )


_ASK = object()


def handset_version(*, phone: str, ringing=_ASK) -> str:
    """A token that changes whenever something arrives on ``phone`` or its ringing call ends
    (``ringing``: the phone's ringing call or None, if the caller has just looked it up)."""
    # Count and newest id of what has arrived: a held-back SMS arriving late may have an older id.
    arrived = HandsetMessage.objects.filter(phone=phone, created_at__lte=now()).aggregate(
        count=Count("id"), latest=Max("id")
    )
    if ringing is _ASK:
        ringing = handset_ringing_call(phone=phone)
    return f"{arrived['count']}.{arrived['latest'] or 0}:{ringing.challenge_id if ringing else '-'}"


def handset_phones() -> list[HandsetPhone]:
    """The demo customers' phones first, then any other phone that received something."""
    at = now()
    sms_counts = dict(
        HandsetMessage.objects.filter(kind=HandsetMessage.Kind.SMS, created_at__lte=at)
        .order_by()
        .values_list("phone")
        .annotate(n=Count("id"))
        .values_list("phone", "n")
    )
    other_phones = set(
        HandsetMessage.objects.order_by().values_list("phone", flat=True).distinct()
    )
    ringing = set(
        HandsetMessage.objects.filter(
            call_not_over(at),
            kind=HandsetMessage.Kind.CALL,
            challenge__status=Challenge.Status.PENDING,
            challenge__expires_at__gte=at,
        ).values_list("phone", flat=True)
    )
    phones: dict[str, HandsetPhone] = {}
    for demo in DEMO_CUSTOMERS:
        phone = normalize_phone(demo.phone)
        phones.setdefault(
            phone,
            HandsetPhone(
                phone, demo.name, demo.user_id, sms_counts.get(phone, 0), phone in ringing
            ),
        )
    others = sorted(other_phones - phones.keys())
    owners = dict(Customer.objects.filter(phone__in=others).values_list("phone", "name"))
    for phone in others:
        phones[phone] = HandsetPhone(
            phone, mask_name(owners.get(phone, "")), "", sms_counts.get(phone, 0), phone in ringing
        )
    return list(phones.values())


def handset_owner_label(*, phone: str) -> str:
    """A demo customer's (fictional) name, or another customer's name masked."""
    for demo in DEMO_CUSTOMERS:
        if normalize_phone(demo.phone) == phone:
            return demo.name
    name = Customer.objects.filter(phone=phone).values_list("name", flat=True).first()
    return mask_name(name or "")


# --- fraud reports and the handset API ------------------------------------------------------------

_SMS_CODE = re.compile(r"\[(\d{6})\]")
# How many of a phone's latest SMS challenges a message's code is matched against.
_SMS_MATCH_WINDOW = 100


def sms_code_in(text: str) -> str | None:
    """The 6-digit code an SMS carries ("인증번호 [123456]"), or None for a plain notice."""
    match = _SMS_CODE.search(text or "")
    return match.group(1) if match else None


def handset_message_challenges(
    *, phone: str, messages: list[tuple[HandsetMessage, str]]
) -> dict[int, Challenge]:
    """Which challenge each SMS (message, body) carries the code of, by message id.

    An SMS row does not point at its challenge (backends deliver text, as a real SMS gateway
    does), so the code in the text is checked against the HMACs of the phone's challenges sent
    before it: the same comparison a typed code gets, newest first. Messages without a code, or
    whose challenge is gone, are left out.
    """
    coded = [(message, sms_code_in(body)) for message, body in messages]
    coded = [(message, code) for message, code in coded if code]
    if not coded:
        return {}
    latest = max(message.created_at for message, _ in coded)
    candidates = list(
        Challenge.objects.filter(
            phone=phone, channel=Challenge.Channel.SMS, created_at__lte=latest
        ).order_by("-created_at")[:_SMS_MATCH_WINDOW]
    )
    found = {}
    for message, code in coded:
        for challenge in candidates:
            if challenge.created_at > message.created_at:
                continue
            if default_code_generator.check_code(
                purpose=challenge.purpose, challenge_id=challenge.pk,
                code_hmac=challenge.code_hmac, code=code,
            ):
                found[message.pk] = challenge
                break
    return found


def customer_fraud_block(customer, *, at: datetime | None = None) -> FraudReport | None:
    """The open fraud report that blocks ``customer`` (a Customer or its pk) from issuance and
    reissue right now, the one blocking longest; None when they may proceed. (The wizard's guard
    asks it with the customer, in one statement: ``customer_with_fraud_block``.)"""
    customer_id = getattr(customer, "pk", customer)
    if customer_id is None:
        return None
    return (FraudReport.objects.filter(customer_id=customer_id, status=FraudReport.Status.OPEN,
                                       blocked_until__gt=at or now())
            .order_by("-blocked_until", "-id").first())


def customer_with_fraud_block(customer_id: int, *, at: datetime | None = None):
    """The customer with ``blocking_report_id`` (the report ``customer_fraud_block`` would return,
    or None) in one query: the wizard asks both on every request. None if there is no such
    customer.

    Plain SQL and ``Model.from_db`` with the fields' converters, as the same question through the
    ORM (or ``raw()``, which works out its columns each time) spent more time in Python than the
    database spent answering it; tests/verification check it against the ORM's answer, the
    customer field by field."""
    connection = connections[router.db_for_read(Customer)]
    sql, fields = _customer_with_block_sql(connection.alias)
    moment = connection.ops.adapt_datetimefield_value(at or now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [FraudReport.Status.OPEN, moment, customer_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row[:-1])
    for index, (converters, column) in fields.items():
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    customer = Customer.from_db(connection.alias, [f.attname for f in Customer._meta.concrete_fields],
                                values)
    customer.blocking_report_id = row[-1]
    return customer


@functools.cache
def _customer_with_block_sql(alias: str) -> tuple[str, dict]:
    """The statement and, by column position, the converters a query of the ORM would apply."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    customers, reports = quote(Customer._meta.db_table), quote(FraudReport._meta.db_table)
    report = {name: f"r.{quote(FraudReport._meta.get_field(name).column)}"
              for name in ("id", "customer", "status", "blocked_until")}
    fields = Customer._meta.concrete_fields
    columns = ", ".join(f"{customers}.{quote(field.column)}" for field in fields)
    customer_pk = f"{customers}.{quote(Customer._meta.pk.column)}"
    sql = (
        f"SELECT {columns}, (SELECT {report['id']} FROM {reports} r "  # noqa: S608 (names)
        f"WHERE {report['customer']} = {customer_pk} AND {report['status']} = %s "
        f"AND {report['blocked_until']} > %s "
        f"ORDER BY {report['blocked_until']} DESC, {report['id']} DESC LIMIT 1) "
        f"AS blocking_report_id FROM {customers} WHERE {customer_pk} = %s"
    )
    converters = {}
    for index, field in enumerate(fields):
        column = field.get_col(Customer._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            converters[index] = (found, column)
    return sql, converters


def fraud_block_message(report: FraudReport, *, ended: bool = False) -> str:
    """What a blocked customer reads, naming until when and whom to call; ``ended``: said to one
    whose flow in progress just ended because of it."""
    if ended:
        text = _(
            "본인이 요청하지 않은 인증 요청으로 신고되어 금융인증서 발급 절차를 종료했습니다. "
            "안전을 위해 %(until)s까지 발급·재발급이 제한됩니다. 본인이 직접 요청한 경우 "
            "%(bank)s 고객센터(%(call_center)s)로 연락해 주세요."
        )
    else:
        text = _(
            "본인이 요청하지 않은 인증 요청이 신고되어 %(until)s까지 금융인증서 발급·재발급이 "
            "제한됩니다. 본인이 직접 요청한 경우 %(bank)s 고객센터(%(call_center)s)로 연락해 "
            "주세요."
        )
    return text % {
        "until": date_format(timezone.localtime(report.blocked_until), "Y-m-d H:i"),
        "bank": settings.BANK_NAME,
        "call_center": settings.BANK_CALL_CENTER,
    }


def fraud_reports_open():
    """Reports staff have not cleared yet (whether or not their block has run out)."""
    return FraudReport.objects.filter(status=FraudReport.Status.OPEN)
