"""Faults of the simulated phone network, for testers and trainers (DESIGN §10).

A fault is set per phone or for every phone and applied where the network is, in the simulated
backend (``verification.backends.simulated``): the bank's pages and services know nothing of it
and react as they would to a real network — a code that never comes expires, a busy line ends the
call, and the customer asks again once the cooldown has passed.

- SMS: **delayed** (arrives ``seconds`` late, default 60), **lost** (never arrives), **duplicated**
  (arrives twice), **reordered** (held back until the next SMS to the phone has arrived, so the
  newer code comes first and the older lands on top of it; released after ``seconds``, default
  120, if none follows).
- ARS: **busy** (the call is not put through), **no answer** (it rings ``seconds``, default 20, and
  cannot be answered), **dropped** (the line drops ``seconds``, default 5, after it rang).

Only with ``SIMULATOR_CONTROLS_ENABLED``: when off no fault applies and none can be set.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.masking import mask_phone
from accounts.phone import normalize_phone
from verification import signals
from verification.models import CallResult, Challenge, ChannelFault, HandsetMessage

logger = logging.getLogger(__name__)
Kind = ChannelFault.Kind
SMS_KINDS = (Kind.SMS_DELAYED, Kind.SMS_LOST, Kind.SMS_DUPLICATED, Kind.SMS_REORDERED)
ARS_KINDS = (Kind.ARS_NO_ANSWER, Kind.ARS_BUSY, Kind.ARS_DROPPED)
DEFAULT_SECONDS = {
    Kind.SMS_DELAYED: 60,
    Kind.SMS_REORDERED: 120,
    Kind.ARS_NO_ANSWER: 20,
    Kind.ARS_DROPPED: 5,
}
MAX_SECONDS = 3600
CALL_RESULTS = {
    Kind.ARS_NO_ANSWER: CallResult.NO_ANSWER,
    Kind.ARS_BUSY: CallResult.BUSY,
    Kind.ARS_DROPPED: CallResult.DROPPED,
}

error_messages = {
    "controls_off": _("시뮬레이터 제어가 꺼져 있어 장애를 설정할 수 없습니다."),
    "seconds": _("시간은 0초에서 3600초 사이로 입력하세요."),
}


def channel_of(kind: str) -> str:
    return Challenge.Channel.SMS if kind in SMS_KINDS else Challenge.Channel.ARS


def takes_seconds(kind: str) -> bool:
    return kind in DEFAULT_SECONDS


def _require_controls() -> None:
    if not settings.SIMULATOR_CONTROLS_ENABLED:
        raise ValidationError(error_messages["controls_off"], code="controls_off")


def _phone_label(phone: str) -> str:
    return mask_phone(phone) if phone else str(_("모든 휴대폰"))


def _announce(description: str, user) -> None:
    logger.info("simulator fault: %s", description)
    transaction.on_commit(lambda: signals.channel_fault_changed.send(
        sender=ChannelFault, description=description, user=user))


@transaction.atomic
def fault_set(*, kind: str, phone: str = "", seconds: int | None = None, user=None) -> ChannelFault:
    """Set ``kind`` on ``phone`` ("" for every phone), replacing that phone's fault on the channel.

    ValidationError for an unknown kind, a phone not 010-XXXX-XXXX, seconds out of range, or with
    the controls off. ``user``: the staff member, None from the handset (for the log).
    """
    _require_controls()
    kind = Kind(kind)  # ValueError → the form's choices refuse it first
    phone = normalize_phone(phone) if phone else ""
    if seconds is None or not takes_seconds(kind):
        seconds = DEFAULT_SECONDS.get(kind, 0)
    if not 0 <= seconds <= MAX_SECONDS:
        raise ValidationError(error_messages["seconds"], code="seconds")
    fault, _created = ChannelFault.objects.update_or_create(
        channel=channel_of(kind), phone=phone, defaults={"kind": kind, "seconds": seconds},
    )
    seconds_text = f" ({fault.seconds}초)" if takes_seconds(kind) else ""
    _announce(f"{fault.get_kind_display()}{seconds_text} → {_phone_label(phone)}", user)
    return fault


@transaction.atomic
def fault_clear(*, phone: str | None = None, fault_id: int | None = None, user=None) -> int:
    """Clear one fault (``fault_id``), a phone's faults (``phone``; "" the all-phones ones), or all.
    ValidationError with the controls off, as for ``fault_set``."""
    _require_controls()
    faults = ChannelFault.objects.all()
    if fault_id is not None:
        faults = faults.filter(pk=fault_id)
    if phone is not None:
        phone = normalize_phone(phone) if phone else ""
        faults = faults.filter(phone=phone)
    cleared = faults.delete()[0]
    if cleared:
        target = "전체" if phone is None and fault_id is None else (
            _phone_label(phone) if phone is not None else f"#{fault_id}")
        _announce(f"장애 해제 {cleared}건 ({target})", user)
    return cleared


def faults_list(*, phone: str | None = None) -> list[ChannelFault]:
    """Every fault set (``phone``: those that apply to it, its own first)."""
    faults = ChannelFault.objects.all()
    if phone is not None:
        faults = faults.filter(phone__in=(phone, "")).order_by("channel", "-phone")
    return list(faults)


def fault_for(*, phone: str, channel: str) -> ChannelFault | None:
    """The fault the network applies to ``phone`` on ``channel``: its own, else the all-phones one."""
    if not settings.SIMULATOR_CONTROLS_ENABLED:
        return None
    found = {f.phone: f for f in ChannelFault.objects.filter(channel=channel, phone__in=(phone, ""))}
    return found.get(phone) or found.get("")


def sms_faults_by_phone() -> dict[str, ChannelFault]:
    """Every SMS fault by phone ("" for all): one query for a batch of notices."""
    if not settings.SIMULATOR_CONTROLS_ENABLED:
        return {}
    return {f.phone: f for f in ChannelFault.objects.filter(channel=Challenge.Channel.SMS)}


def sms_arrivals(*, fault: ChannelFault | None, phone: str, at: datetime) -> list[datetime]:
    """When an SMS sent at ``at`` reaches the handset under ``fault``: none, once, or twice.

    For a reordered one, an SMS held back for the phone is released just after this one.
    """
    if fault is None:
        return [at]
    kind = fault.kind
    if kind == Kind.SMS_LOST:
        return []
    if kind == Kind.SMS_DUPLICATED:
        return [at, at]
    if kind == Kind.SMS_DELAYED:
        return [at + timedelta(seconds=fault.seconds)]
    if kind == Kind.SMS_REORDERED:
        held = HandsetMessage.objects.filter(
            phone=phone, kind=HandsetMessage.Kind.SMS, created_at__gt=at
        )
        if held.update(created_at=at + timedelta(seconds=1)):  # one held back: this one first
            return [at]
        return [at + timedelta(seconds=fault.seconds)]
    return [at]


def call_fault_apply(*, fault: ChannelFault | None, challenge_id, at: datetime) -> bool:
    """Mark how the network will end the call; False when it is not put through (busy)."""
    if fault is None:
        return True
    result = CALL_RESULTS[Kind(fault.kind)]
    ends = at if result == CallResult.BUSY else at + timedelta(seconds=fault.seconds)
    Challenge.objects.filter(pk=challenge_id).update(call_result=result, call_ended_at=ends)
    return result != CallResult.BUSY


def call_not_over(at: datetime) -> Q:
    """Challenges whose call the network has not ended (by ``at``): a filter for ringing calls."""
    return (Q(challenge__call_ended_at__isnull=True) | Q(challenge__call_ended_at__gt=at)) & ~Q(
        challenge__call_result=CallResult.NO_ANSWER
    )
