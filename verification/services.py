"""Starting and checking identity challenges: a 6-digit SMS code, or an ARS call keyed with digits.

How codes are made, stored (as an HMAC only) and compared is ``verification.codes``, with its threat
model. Here: wrong entries are capped (``*_MAX_ATTEMPTS``) under a row lock, so that concurrent guesses
never share the last try; a customer's wrong entries are also capped per day across all their
challenges (``VERIFICATION_DAILY_MAX_FAILURES``), since a new code starts its own count afresh;
sending is throttled per phone (``SMS_RESEND_COOLDOWN``, ``SMS_MAX_SENDS`` per ``SMS_SEND_WINDOW``) so
the bank cannot be used to flood a phone; and delivery happens only once the challenge is committed.
"""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_variables

from accounts.models import Customer
from accounts.phone import is_normalized, normalize_phone
from certcenter.clock import now, today
from certcenter.durations import duration_text, remaining
from certcenter.text import ascii_digits
from verification import signals
from verification.backends import get_ars_backend, get_sms_backend
from verification.codes import default_code_generator as codes
from verification.models import (
    CallResult,
    Challenge,
    DailyFailureCount,
    FraudReport,
    HandsetMessage,
    PhoneLock,
)
from verification.outcomes import ARS_PAGE, Outcome, outcome_message
from verification.purposes import purpose_label
from verification.selectors import (
    daily_cap_wait,
    handset_message_challenges,
    handset_ringing_call,
    parse_challenge_id,
    send_throttle,
)

logger = logging.getLogger(__name__)

ARS_PROMPT = gettext_lazy("화면에 표시된 숫자 두 자리를 입력하세요")
# What a code SMS says to do when the customer did not ask for it; the handset offers 신고 next to
# every message carrying it. And the key that reports a ringing call, as on a bank's real ARS.
FRAUD_REPORT_HINT = "요청하지 않았다면 신고"
FRAUD_REPORT_KEY = "9"

Channel = Challenge.Channel
Status = Challenge.Status


class SendThrottled(Exception):
    """A new code must wait: ``reason`` Outcome.COOLDOWN, CAP or DAILY_CAP, ``retry_after`` in seconds."""

    def __init__(self, reason: Outcome, retry_after: int, channel: str = Channel.SMS):
        self.reason = Outcome(reason)
        self.retry_after = retry_after
        self.channel = channel
        super().__init__(self.reason, retry_after)

    @property
    def message(self) -> str:
        return outcome_message(self.reason, audience=self.channel, seconds=self.retry_after)

    def __str__(self):
        return self.message


@dataclass(frozen=True)
class VerificationResult:
    """One entry's outcome. ``reason``: verified, wrong, expired, exhausted, cancelled, not_found,
    daily_cap.

    ``status`` is the challenge's status after the entry (UNKNOWN when not found). A challenge
    already used, or replaced by a newer one, answers CANCELLED.
    """

    ok: bool
    status: Outcome
    reason: Outcome
    attempts_left: int
    channel: str = Channel.SMS

    @property
    def message(self) -> str:
        return outcome_message(self.reason, audience=self.channel, attempts_left=self.attempts_left)


def ars_display_code(challenge: Challenge) -> str:
    """The two digits the web page shows for an ARS challenge (10..99), the same on every call."""
    return codes.ars_digits(challenge.pk)


def ars_call_display(*, challenge: Challenge, flow_id: str) -> dict:
    """What a page waiting for an ARS call shows: the two digits, the call's status, the URL its
    script polls, and the time left on the call and before a new call may be asked for."""
    status = challenge_status(challenge_id=challenge.pk, flow_id=flow_id)
    return {
        "challenge": challenge,
        "display_code": ars_display_code(challenge),
        "challenge_status": status,
        # Why the call is over, if it is (e.g. the line was busy): said before anything is pressed.
        "status_message": "" if status in (Outcome.PENDING, Outcome.VERIFIED)
        else outcome_message(status, audience=ARS_PAGE),
        "status_url": reverse("verification:challenge_status", args=[challenge.pk]),
        **remaining("expires", challenge.expires_at),
        **remaining("recall", challenge.created_at + timedelta(seconds=settings.ARS_RECALL_COOLDOWN)),
    }


def sms_text(*, code: str, ttl: int, purpose: str) -> str:
    """The code's text names what it is for and warns against passing it on (phishing, 보이스피싱)."""
    return _(
        "[%(bank)s] %(purpose)s 인증번호 [%(code)s] (%(validity)s 이내 입력). "
        "타인에게 절대 알려주지 마세요. 본인이 요청하지 않았다면 입력하지 마세요. "
        "%(report_hint)s: %(call_center)s"
    ) % {
        "bank": settings.BANK_NAME,
        "purpose": purpose_label(purpose),
        "code": code,
        "validity": duration_text(ttl),
        "report_hint": FRAUD_REPORT_HINT,
        "call_center": settings.BANK_CALL_CENTER,
    }


def ars_prompt(*, purpose: str) -> str:
    """What the caller hears: what the call is for, then the prompt, then the warning."""
    return _(
        "[%(bank)s] %(purpose)s 본인 확인 전화입니다. %(prompt)s. 다른 사람이 알려준 숫자는 절대 "
        "입력하지 마세요. 본인이 요청하지 않은 경우 %(key)s번을 눌러 신고해 주세요."
    ) % {
        "bank": settings.BANK_NAME,
        "purpose": purpose_label(purpose),
        "prompt": ARS_PROMPT,
        "key": FRAUD_REPORT_KEY,
    }


# --- starting a challenge ------------------------------------------------------------------------


def _lock_phone(phone: str) -> None:
    """Serialize challenge creation per phone for the rest of the transaction (see PhoneLock)."""
    if PhoneLock.objects.select_for_update().filter(phone=phone).exists():
        return
    # ON CONFLICT DO NOTHING: a concurrent first request for the same phone may insert it too.
    PhoneLock.objects.bulk_create([PhoneLock(phone=phone)], ignore_conflicts=True)
    PhoneLock.objects.select_for_update().filter(phone=phone).exists()


@sensitive_variables("code")
def _challenge_create(
    *,
    challenge_id: uuid.UUID,
    channel: str,
    phone: str,
    purpose: str,
    flow_id: str,
    customer: Customer | None,
    code: str,
    ttl: int,
    max_attempts: int,
    at: datetime,
) -> Challenge:
    # A new challenge replaces the one still pending for the same phone, purpose and flow.
    Challenge.objects.filter(
        phone=phone, channel=channel, purpose=purpose, flow_id=flow_id, status=Status.PENDING
    ).update(status=Status.CANCELLED)
    challenge = Challenge(
        id=challenge_id,
        channel=channel,
        phone=phone,
        purpose=purpose,
        flow_id=flow_id,
        customer=customer,
        created_at=at,
        expires_at=at + timedelta(seconds=ttl),
        max_attempts=max_attempts,
        code_hmac=codes.make_hmac(purpose=purpose, challenge_id=challenge_id, code=code),
    )
    challenge.full_clean(exclude=["customer"], validate_unique=False)
    challenge.save(force_insert=True)
    return challenge


@sensitive_variables("code", "text")
def sms_send(
    *, phone: str, purpose: str, flow_id: str = "", customer: Customer | None = None
) -> Challenge:
    """Create a 6-digit SMS code for ``phone`` and send it once the transaction commits.

    Raises SendThrottled (cooldown, cap, or the customer's daily cap on wrong entries), or
    ValidationError for a phone not 010-XXXX-XXXX.
    """
    phone = normalize_phone(phone)
    ttl = settings.SMS_CODE_TTL
    with transaction.atomic():
        _lock_phone(phone)
        at = now()
        wait = daily_cap_wait(customer_id=customer and customer.pk, at=at) or send_throttle(
            phone=phone, channel=Channel.SMS, at=at
        )
        if wait is not None:
            raise SendThrottled(*wait)
        code = codes.make_sms_code()
        challenge = _challenge_create(
            challenge_id=uuid.uuid4(),
            channel=Channel.SMS,
            phone=phone,
            purpose=purpose,
            flow_id=flow_id,
            customer=customer,
            code=code,
            ttl=ttl,
            max_attempts=settings.SMS_MAX_ATTEMPTS,
            at=at,
        )
        text = sms_text(code=code, ttl=ttl, purpose=purpose)

        def deliver_sms():
            get_sms_backend().send_sms(phone=phone, text=text)

        transaction.on_commit(deliver_sms, robust=True)
    return challenge


def ars_call_start(
    *, phone: str, purpose: str, flow_id: str = "", customer: Customer | None = None
) -> Challenge:
    """Place an ARS call to ``phone``; the page shows ``ars_display_code(challenge)`` meanwhile."""
    phone = normalize_phone(phone)
    with transaction.atomic():
        _lock_phone(phone)
        at = now()
        wait = daily_cap_wait(customer_id=customer and customer.pk, at=at) or send_throttle(
            phone=phone, channel=Channel.ARS, at=at
        )
        if wait is not None:
            raise SendThrottled(*wait, channel=Channel.ARS)
        challenge_id = uuid.uuid4()
        challenge = _challenge_create(
            challenge_id=challenge_id,
            channel=Channel.ARS,
            phone=phone,
            purpose=purpose,
            flow_id=flow_id,
            customer=customer,
            code=codes.ars_digits(challenge_id),
            ttl=settings.ARS_CALL_TTL,
            max_attempts=settings.ARS_MAX_ATTEMPTS,
            at=at,
        )
        prompt = ars_prompt(purpose=purpose)

        def place_call():
            get_ars_backend().place_call(phone=phone, challenge_id=challenge_id, prompt=prompt)

        transaction.on_commit(place_call, robust=True)
    return challenge


# --- checking an entry ---------------------------------------------------------------------------

_REASON_BY_STATUS = {
    Status.EXPIRED: Outcome.EXPIRED,
    Status.EXHAUSTED: Outcome.EXHAUSTED,
    Status.CANCELLED: Outcome.CANCELLED,
    # Single use: a code that already verified is no longer valid.
    Status.VERIFIED: Outcome.CANCELLED,
    Status.REPORTED: Outcome.REPORTED,
}


def _daily_failures_lock(customer_id: int) -> DailyFailureCount:
    """The customer's count of wrong entries, locked for the rest of the transaction, as of today.

    Every entry of the customer's, right or wrong and on whichever challenge, takes this lock
    before its code is compared, so concurrent guesses are checked one after the other against
    the count the previous one left: no more than the cap are ever compared in a day.
    """
    day = today()
    locked = DailyFailureCount.objects.select_for_update()
    tally = locked.filter(customer_id=customer_id).first()
    if tally is None:
        # ON CONFLICT DO NOTHING: a concurrent first entry of the customer's may insert it too.
        DailyFailureCount.objects.bulk_create(
            [DailyFailureCount(customer_id=customer_id, day=day)], ignore_conflicts=True
        )
        tally = locked.get(customer_id=customer_id)
    if tally.day != day:
        tally.day, tally.failures = day, 0
    return tally


@sensitive_variables("code")
def _check_entry(challenge: Challenge, code: str) -> VerificationResult:
    """Check one typed code against a locked challenge: expiry, status, the customer's daily cap,
    then the code; saves changes."""
    channel = challenge.channel
    # An unanswered call never connected: digits for it (a stale page) cannot have been keyed.
    ended_by_network = challenge.call_is_over() or challenge.call_result == CallResult.NO_ANSWER
    if challenge.status == Status.PENDING and ended_by_network:
        challenge.status = Status.CANCELLED
        challenge.save(update_fields=["status"])
    if challenge.status == Status.PENDING and codes.is_expired(challenge.expires_at):
        challenge.status = Status.EXPIRED
        challenge.save(update_fields=["status"])
    status = Outcome(challenge.status)
    if status != Outcome.PENDING:
        reason = _REASON_BY_STATUS[status]
        if ended_by_network and status == Outcome.CANCELLED:
            reason = Outcome(challenge.call_result)  # the digits never reached the bank
        if daily_cap_wait(customer_id=challenge.customer_id) is not None:
            reason = Outcome.DAILY_CAP  # not "ask for a new code": that would be refused too
        return VerificationResult(False, status, reason, 0, channel)
    cap = settings.VERIFICATION_DAILY_MAX_FAILURES
    tally = _daily_failures_lock(challenge.customer_id) if cap and challenge.customer_id else None
    if tally is not None and tally.failures >= cap:
        # Not compared at all: after the cap a right guess must look like any other.
        challenge.status = Status.EXHAUSTED
        challenge.save(update_fields=["status"])
        return VerificationResult(False, Outcome.EXHAUSTED, Outcome.DAILY_CAP, 0, channel)
    if codes.check_code(
        purpose=challenge.purpose, challenge_id=challenge.pk, code_hmac=challenge.code_hmac, code=code
    ):
        challenge.status = Status.VERIFIED
        challenge.verified_at = now()
        challenge.save(update_fields=["status", "verified_at"])
        return VerificationResult(True, Outcome.VERIFIED, Outcome.VERIFIED, 0, channel)
    challenge.attempts += 1
    reason = Outcome.WRONG
    if challenge.attempts >= challenge.max_attempts:
        challenge.status, reason = Status.EXHAUSTED, Outcome.EXHAUSTED
    if tally is not None:
        tally.failures += 1
        tally.save(update_fields=["day", "failures"])
        if tally.failures >= cap:
            challenge.status, reason = Status.EXHAUSTED, Outcome.DAILY_CAP
    challenge.save(update_fields=["attempts", "status"])
    return VerificationResult(False, Outcome(challenge.status), reason, challenge.attempts_left,
                              channel)


@sensitive_variables("code")
def _verify(
    *, challenge_id, code: str, channel: str, flow_id: str | None, client_ip: str | None = None
) -> VerificationResult:
    not_found = VerificationResult(False, Outcome.UNKNOWN, Outcome.NOT_FOUND, 0, channel)
    pk = parse_challenge_id(challenge_id)
    if pk is None:
        return not_found
    code = ascii_digits(code, drop_separators=True)
    with transaction.atomic():
        # The row lock makes concurrent entries take turns: each sees the attempts the previous
        # one counted, so two wrong guesses can never both be the last allowed one.
        challenge = Challenge.objects.select_for_update().filter(pk=pk, channel=channel).first()
        if challenge is None or (flow_id is not None and challenge.flow_id != flow_id):
            return not_found
        result = _check_entry(challenge, code)
    if result.ok:
        signals.challenge_verified.send(sender=Challenge, challenge=challenge, client_ip=client_ip)
    else:
        # The audit trail's receiver writes the event line (certcenter.logs); this is detail.
        logger.debug(
            "verification failed",
            extra={"challenge": str(challenge.pk), "channel": channel, "reason": result.reason},
        )
        signals.challenge_failed.send(
            sender=Challenge, challenge=challenge, reason=result.reason, client_ip=client_ip
        )
    return result


def sms_verify(
    *, challenge_id, code: str, flow_id: str | None = None, client_ip: str | None = None
) -> VerificationResult:
    """Check a typed SMS code; a challenge of another flow (``flow_id`` given) is not found."""
    return _verify(challenge_id=challenge_id, code=code, channel=Channel.SMS, flow_id=flow_id,
                   client_ip=client_ip)


def ars_key_in(*, challenge_id, digits: str, client_ip: str | None = None) -> VerificationResult:
    """Digits keyed in on the phone during an ARS call (``client_ip``: where they came from)."""
    return _verify(challenge_id=challenge_id, code=digits, channel=Channel.ARS, flow_id=None,
                   client_ip=client_ip)


def ars_hang_up(*, challenge_id) -> None:
    """The customer ended the call before keying the right digits: the challenge is cancelled."""
    pk = parse_challenge_id(challenge_id)
    if pk is not None:
        Challenge.objects.filter(pk=pk, channel=Channel.ARS, status=Status.PENDING).update(
            status=Status.CANCELLED
        )


def challenge_status(*, challenge_id, flow_id: str | None = None) -> Outcome:
    """PENDING, VERIFIED, EXPIRED, EXHAUSTED, CANCELLED or UNKNOWN, or for an ARS call the network
    ended, BUSY, NO_ANSWER or DROPPED; cheap enough to poll.

    One primary-key query; a pending challenge found past its expiry is stored as expired.
    """
    pk = parse_challenge_id(challenge_id)
    if pk is None:
        return Outcome.UNKNOWN
    row = Challenge.objects.filter(pk=pk).values_list(
        "status", "expires_at", "flow_id", "call_result", "call_ended_at"
    )[:1]
    if not row:
        return Outcome.UNKNOWN
    status, expires_at, challenge_flow, call_result, call_ended_at = row[0]
    if flow_id is not None and challenge_flow != flow_id:
        return Outcome.UNKNOWN
    if call_ended_at is not None and call_ended_at <= now() and status in (Status.PENDING,
                                                                           Status.CANCELLED):
        # The network ended the call (busy, no answer, dropped): say which, as the call platform did.
        Challenge.objects.filter(pk=pk, status=Status.PENDING).update(status=Status.CANCELLED)
        return Outcome(call_result)
    if status == Status.PENDING and codes.is_expired(expires_at):
        Challenge.objects.filter(pk=pk, status=Status.PENDING).update(status=Status.EXPIRED)
        return Outcome.EXPIRED
    return Outcome(status)


def daily_failures_clear(*, customer_ids: Iterable[int]) -> int:
    """Staff lift the daily cap (the customer proved who they are another way); returns how many."""
    return DailyFailureCount.objects.filter(customer_id__in=list(customer_ids)).update(failures=0)


def sms_notify(*, phone: str, text: str) -> None:
    """A plain notice by SMS (no code), sent when the transaction commits; e.g. renewal refused."""
    sms_notify_many(messages=[(phone, text)], strict=True)


def sms_notify_many(*, messages: Iterable[tuple[str, str]], strict: bool = False) -> int:
    """Plain notices by SMS, (phone, text) pairs, handed to the backend together after commit.

    For batch jobs (renewal): a phone on record that is not a valid mobile number is logged and
    skipped rather than failing the batch, unless ``strict``. Returns how many were queued.
    """
    batch = []
    for phone, text in messages:
        try:
            # A phone on record was validated when it was saved; re-parsing each costs ~50 µs.
            batch.append((phone if is_normalized(phone) else normalize_phone(phone), text))
        except ValidationError:
            if strict:
                raise
            logger.warning("SMS notice skipped: not a mobile number")
    if batch:

        def deliver_notices():
            get_sms_backend().send_sms_many(messages=batch)

        transaction.on_commit(deliver_notices, robust=True)
    return len(batch)


# --- fraud reports ("본인이 요청하지 않음") -------------------------------------------------------


class FraudReportNotFound(Exception):
    """Nothing to report: no ringing call (or not that one), or no such message on this phone."""


def fraud_notice_text(*, purpose: str) -> str:
    return _(
        "[%(bank)s] 본인이 요청하지 않은 %(purpose)s 요청을 신고하셨습니다. 안전을 위해 "
        "%(hours)d시간 동안 금융인증서 발급·재발급이 제한됩니다. 문의: 고객센터 %(call_center)s"
    ) % {
        "bank": settings.BANK_NAME,
        "purpose": purpose_label(purpose) if purpose else _("본인 확인"),
        "hours": settings.FRAUD_BLOCK_HOURS,
        "call_center": settings.BANK_CALL_CENTER,
    }


def _fraud_report_record(
    *, phone: str, source: str, challenge: Challenge | None, message: HandsetMessage | None,
    client_ip: str | None,
) -> tuple[FraudReport, bool]:
    """Record the report (inside the caller's transaction, ``challenge`` locked); (report, created).

    The reported challenge can no longer be verified, and whatever else was pending for the phone
    or the customer is cancelled: every flow in progress for them ends here.
    """
    same = FraudReport.objects.filter(
        Q(challenge=challenge) if challenge is not None else Q(message=message)
    )
    existing = same.first()
    if existing is not None:
        return existing, False  # pressed twice, or on the page and through the API
    at = now()
    customer = challenge.customer if challenge is not None else None
    if customer is None:
        customer = Customer.objects.filter(phone=phone).order_by("pk").first()
    if challenge is not None and challenge.status == Status.PENDING:
        challenge.status = Status.REPORTED
        challenge.save(update_fields=["status"])
    pending = Q(phone=phone) | (Q(customer=customer) if customer is not None else Q())
    Challenge.objects.filter(pending, status=Status.PENDING).update(status=Status.CANCELLED)
    purpose = challenge.purpose if challenge is not None else ""
    report = FraudReport(
        customer=customer, phone=phone, source=source, challenge=challenge, message=message,
        purpose=purpose, client_ip=client_ip or None, reported_at=at,
        blocked_until=at + timedelta(hours=settings.FRAUD_BLOCK_HOURS),
    )
    report.full_clean(exclude=["customer", "challenge", "message", "cleared_by"],
                      validate_constraints=False)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on
            report.save(force_insert=True)
    except IntegrityError:
        # The same SMS reported at the same instant (no challenge row to lock): the other won.
        return same.get(), False
    sms_notify(phone=phone, text=fraud_notice_text(purpose=purpose))
    logger.warning(
        "fraud reported", extra={"report": report.pk, "source": source, "purpose": purpose}
    )
    return report, True


def fraud_report_call(
    *, phone: str, challenge_id=None, client_ip: str | None = None
) -> tuple[FraudReport, bool]:
    """본인이 요청하지 않음 on the call ringing on ``phone`` (E.164); ``challenge_id``: that call.

    Raises FraudReportNotFound when no such call is ringing. Returns (report, created): a second
    press answers with the first report.
    """
    pk = parse_challenge_id(challenge_id) if challenge_id is not None else None
    with transaction.atomic():
        calls = Challenge.objects.select_for_update().filter(phone=phone, channel=Channel.ARS)
        if pk is not None:
            challenge = calls.filter(pk=pk).first()
            if challenge is not None and challenge.status == Status.REPORTED:
                return _fraud_report_record(phone=phone, source=FraudReport.Source.CALL,
                                            challenge=challenge, message=None, client_ip=client_ip)
        else:
            ringing = handset_ringing_call(phone=phone)
            challenge = ringing and calls.filter(pk=ringing.challenge_id).first()
        if challenge is None or challenge.status != Status.PENDING or challenge.is_expired():
            raise FraudReportNotFound
        return _fraud_report_record(phone=phone, source=FraudReport.Source.CALL,
                                    challenge=challenge, message=None, client_ip=client_ip)


def fraud_report_sms(
    *, phone: str, message_id, client_ip: str | None = None
) -> tuple[FraudReport, bool]:
    """본인이 요청하지 않음 on an SMS the handset of ``phone`` received (by its id).

    The code it carries names the challenge (see ``handset_message_challenges``); that challenge
    can no longer be verified. Raises FraudReportNotFound for a message not on this phone.
    """
    try:
        message_pk = int(str(message_id))
    except ValueError:
        raise FraudReportNotFound from None
    if not 0 < message_pk < 2**63:  # past a bigint the database would raise, not answer
        raise FraudReportNotFound
    message = HandsetMessage.objects.filter(
        pk=message_pk, phone=phone, kind=HandsetMessage.Kind.SMS
    ).first()
    if message is None:
        raise FraudReportNotFound
    found = handset_message_challenges(phone=phone, messages=[(message, message.body_or())])
    with transaction.atomic():
        challenge = None
        if message.pk in found:
            challenge = Challenge.objects.select_for_update().get(pk=found[message.pk].pk)
        return _fraud_report_record(phone=phone, source=FraudReport.Source.SMS,
                                    challenge=challenge, message=message, client_ip=client_ip)


def handset_clear(*, phone: str) -> int:
    """Empty a simulated phone (tests start from a clean inbox): its ringing call ends, its SMS
    and call log go. Challenges stay (they are the bank's records). Returns how many rows went."""
    with transaction.atomic():
        ringing = handset_ringing_call(phone=phone)
        if ringing is not None:
            ars_hang_up(challenge_id=ringing.challenge_id)
        deleted, _by_model = HandsetMessage.objects.filter(phone=phone).delete()
    return deleted


def fraud_reports_clear(*, report_ids: Iterable[int], cleared_by) -> int:
    """Staff clear reports (the customer called and it was their own request after all): the
    block lifts at once. Returns how many were open."""
    return FraudReport.objects.filter(
        pk__in=list(report_ids), status=FraudReport.Status.OPEN
    ).update(status=FraudReport.Status.CLEARED, cleared_at=now(), cleared_by=cleared_by)
