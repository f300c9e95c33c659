"""Starting and checking identity challenges: a 6-digit SMS code, or an ARS call keyed with digits.

Threat model. Someone who reads the database (a dump, a backup) must not learn a code that still
works: a challenge stores only an HMAC of its code, keyed from ``SECRET_KEY`` and salted with the
purpose, over the challenge's random id and the code (so equal codes of two challenges differ). With
the key, 10^6 codes are trivially enumerable, which is why the code also expires (``*_TTL``) and why
wrong entries are capped (``*_MAX_ATTEMPTS``) under a row lock, so that concurrent guesses never
share the last try. Codes come from ``secrets``; comparison is constant-time. Sending is throttled
per phone (``SMS_RESEND_COOLDOWN``, ``SMS_MAX_SENDS`` per ``SMS_SEND_WINDOW``) so the bank cannot be
used to flood a phone, and delivery happens only once the challenge is committed.

The ARS number is shown on the web page, not sent to the phone: the customer proves they hold the
phone *and* see the page. It is derived from the challenge id with a keyed HMAC, so the page can
show it again after a refresh while nothing stores it in the clear.
"""

import hmac
import logging
import secrets
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_variables

from accounts.models import Customer
from accounts.phone import is_normalized, normalize_phone
from certcenter.clock import now
from verification import signals
from verification.backends import get_ars_backend, get_sms_backend
from verification.models import Challenge, PhoneLock
from verification.selectors import parse_challenge_id, send_throttle

logger = logging.getLogger(__name__)

SMS_CODE_DIGITS = 6
CODE_KEY_SALT = "certcenter.verification.code"
ARS_DISPLAY_KEY_SALT = "certcenter.ars"
ARS_PROMPT = gettext_lazy("화면에 표시된 숫자 두 자리를 입력하세요")

Channel = Challenge.Channel
Status = Challenge.Status


class SendThrottled(Exception):
    """A new code must wait: ``reason`` "cooldown" or "cap", ``retry_after`` in seconds."""

    def __init__(self, reason: str, retry_after: int, channel: str = Channel.SMS):
        self.reason = reason
        self.retry_after = retry_after
        self.channel = channel
        super().__init__(reason, retry_after)

    @property
    def message(self) -> str:
        if self.channel == Channel.ARS:
            if self.reason == "cooldown":
                return _("전화 인증은 %(seconds)d초 후에 다시 요청할 수 있습니다.") % {
                    "seconds": self.retry_after
                }
            return _(
                "전화 인증 요청 횟수를 초과했습니다. %(minutes)d분 후에 다시 요청해 주세요."
            ) % {"minutes": -(-self.retry_after // 60)}
        if self.reason == "cooldown":
            return _("인증번호는 %(seconds)d초 후에 다시 요청할 수 있습니다.") % {
                "seconds": self.retry_after
            }
        return _(
            "인증번호 요청 횟수를 초과했습니다. %(minutes)d분 후에 다시 요청해 주세요."
        ) % {"minutes": -(-self.retry_after // 60)}

    def __str__(self):
        return self.message


_MESSAGES = {
    Channel.SMS: {
        "verified": gettext_lazy("인증되었습니다."),
        "wrong": gettext_lazy("인증번호가 일치하지 않습니다. (남은 횟수 %(left)d회)"),
        "expired": gettext_lazy("인증 시간이 지났습니다. 인증번호를 다시 요청해 주세요."),
        "exhausted": gettext_lazy("입력 횟수를 초과했습니다. 인증번호를 다시 요청해 주세요."),
        "cancelled": gettext_lazy(
            "더 이상 사용할 수 없는 인증번호입니다. 인증번호를 다시 요청해 주세요."
        ),
        "not_found": gettext_lazy("인증 요청을 찾을 수 없습니다. 인증번호를 다시 요청해 주세요."),
    },
    Channel.ARS: {
        "verified": gettext_lazy("전화 인증이 완료되었습니다."),
        "wrong": gettext_lazy("입력한 숫자가 일치하지 않습니다. (남은 횟수 %(left)d회)"),
        "expired": gettext_lazy("전화 인증 시간이 지났습니다. 전화 인증을 다시 요청해 주세요."),
        "exhausted": gettext_lazy(
            "숫자 입력 횟수를 초과하여 통화가 종료되었습니다. 전화 인증을 다시 요청해 주세요."
        ),
        "cancelled": gettext_lazy("종료된 전화 인증입니다. 전화 인증을 다시 요청해 주세요."),
        "not_found": gettext_lazy(
            "전화 인증 요청을 찾을 수 없습니다. 전화 인증을 다시 요청해 주세요."
        ),
    },
}


@dataclass(frozen=True)
class VerificationResult:
    """One entry's outcome. ``reason``: verified, wrong, expired, exhausted, cancelled, not_found.

    ``status`` is the challenge's status after the entry ("unknown" when not found). A challenge
    already used, or replaced by a newer one, answers "cancelled".
    """

    ok: bool
    status: str
    reason: str
    attempts_left: int
    channel: str = Channel.SMS

    @property
    def message(self) -> str:
        text = str(_MESSAGES[self.channel][self.reason])
        return text % {"left": self.attempts_left} if self.reason == "wrong" else text


# --- codes ---------------------------------------------------------------------------------------


def _code_hmac(*, purpose: str, challenge_id: uuid.UUID, code: str, secret=None) -> str:
    return salted_hmac(
        f"{CODE_KEY_SALT}:{purpose}", f"{challenge_id}:{code}", secret=secret, algorithm="sha256"
    ).hexdigest()


@sensitive_variables("code")
def _code_matches(challenge: Challenge, code: str) -> bool:
    # Codes live 3 minutes, but a key rotated in that time must not void the codes already sent.
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        expected = _code_hmac(
            purpose=challenge.purpose, challenge_id=challenge.pk, code=code, secret=secret
        )
        if hmac.compare_digest(expected, challenge.code_hmac):
            return True
    return False


def _normalize_digits(value: str) -> str:
    # Full-width digits, spaces and hyphens as some keyboards and users type them.
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


def _ars_digits(challenge_id: uuid.UUID) -> str:
    digest = salted_hmac(ARS_DISPLAY_KEY_SALT, str(challenge_id), algorithm="sha256").digest()
    return f"{10 + int.from_bytes(digest, 'big') % 90:02d}"


def ars_display_code(challenge: Challenge) -> str:
    """The two digits the web page shows for an ARS challenge (10..99), the same on every call."""
    return _ars_digits(challenge.pk)


def _validity_text(seconds: int) -> str:
    if seconds % 60 == 0:
        return _("%(minutes)d분") % {"minutes": seconds // 60}
    return _("%(seconds)d초") % {"seconds": seconds}


def sms_text(*, code: str, ttl: int) -> str:
    return _("[%(bank)s] 인증번호 [%(code)s]를 입력해 주세요. (%(validity)s 이내)") % {
        "bank": settings.BANK_NAME,
        "code": code,
        "validity": _validity_text(ttl),
    }


def ars_prompt() -> str:
    return _("[%(bank)s] 본인 확인 전화입니다. %(prompt)s.") % {
        "bank": settings.BANK_NAME,
        "prompt": ARS_PROMPT,
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
        code_hmac=_code_hmac(purpose=purpose, challenge_id=challenge_id, code=code),
    )
    challenge.full_clean(exclude=["customer"], validate_unique=False)
    challenge.save(force_insert=True)
    return challenge


@sensitive_variables("code", "text")
def sms_send(
    *, phone: str, purpose: str, flow_id: str = "", customer: Customer | None = None
) -> Challenge:
    """Create a 6-digit SMS code for ``phone`` and send it once the transaction commits.

    Raises SendThrottled (cooldown or cap), or ValidationError for a phone not 010-XXXX-XXXX.
    """
    phone = normalize_phone(phone)
    ttl = settings.SMS_CODE_TTL
    with transaction.atomic():
        _lock_phone(phone)
        at = now()
        wait = send_throttle(phone=phone, channel=Channel.SMS, at=at)
        if wait is not None:
            raise SendThrottled(*wait)
        code = f"{secrets.randbelow(10**SMS_CODE_DIGITS):0{SMS_CODE_DIGITS}d}"
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
        text = sms_text(code=code, ttl=ttl)

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
        wait = send_throttle(phone=phone, channel=Channel.ARS, at=at)
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
            code=_ars_digits(challenge_id),
            ttl=settings.ARS_CALL_TTL,
            max_attempts=settings.ARS_MAX_ATTEMPTS,
            at=at,
        )
        prompt = ars_prompt()

        def place_call():
            get_ars_backend().place_call(phone=phone, challenge_id=challenge_id, prompt=prompt)

        transaction.on_commit(place_call, robust=True)
    return challenge


# --- checking an entry ---------------------------------------------------------------------------

_REASON_BY_STATUS = {
    Status.EXPIRED: "expired",
    Status.EXHAUSTED: "exhausted",
    Status.CANCELLED: "cancelled",
    # Single use: a code that already verified is no longer valid.
    Status.VERIFIED: "cancelled",
}


def _check(challenge: Challenge, code: str) -> VerificationResult:
    """Apply one entry to a locked, pending-or-not challenge; saves what changed."""
    channel = challenge.channel
    at = now()
    if challenge.status == Status.PENDING and challenge.is_expired(at):
        challenge.status = Status.EXPIRED
        challenge.save(update_fields=["status"])
    if challenge.status != Status.PENDING:
        reason = _REASON_BY_STATUS[challenge.status]
        return VerificationResult(False, challenge.status, reason, 0, channel)
    if _code_matches(challenge, code):
        challenge.status = Status.VERIFIED
        challenge.verified_at = at
        challenge.save(update_fields=["status", "verified_at"])
        return VerificationResult(True, challenge.status, "verified", 0, channel)
    challenge.attempts += 1
    if challenge.attempts >= challenge.max_attempts:
        challenge.status = Status.EXHAUSTED
    challenge.save(update_fields=["attempts", "status"])
    reason = "exhausted" if challenge.status == Status.EXHAUSTED else "wrong"
    return VerificationResult(False, challenge.status, reason, challenge.attempts_left, channel)


@sensitive_variables("code")
def _verify(
    *, challenge_id, code: str, channel: str, flow_id: str | None, client_ip: str | None = None
) -> VerificationResult:
    not_found = VerificationResult(False, "unknown", "not_found", 0, channel)
    pk = parse_challenge_id(challenge_id)
    if pk is None:
        return not_found
    code = _normalize_digits(code)
    with transaction.atomic():
        # The row lock makes concurrent entries take turns: each sees the attempts the previous
        # one counted, so two wrong guesses can never both be the last allowed one.
        challenge = Challenge.objects.select_for_update().filter(pk=pk, channel=channel).first()
        if challenge is None or (flow_id is not None and challenge.flow_id != flow_id):
            return not_found
        result = _check(challenge, code)
    if result.ok:
        signals.challenge_verified.send(sender=Challenge, challenge=challenge, client_ip=client_ip)
    else:
        logger.info(
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


def challenge_status(*, challenge_id, flow_id: str | None = None) -> str:
    """pending, verified, expired, exhausted, cancelled or unknown; cheap enough to poll.

    One primary-key query; a pending challenge found past its expiry is stored as expired.
    """
    pk = parse_challenge_id(challenge_id)
    if pk is None:
        return "unknown"
    row = Challenge.objects.filter(pk=pk).values_list("status", "expires_at", "flow_id")[:1]
    if not row:
        return "unknown"
    status, expires_at, challenge_flow = row[0]
    if flow_id is not None and challenge_flow != flow_id:
        return "unknown"
    if status == Status.PENDING and now() > expires_at:
        Challenge.objects.filter(pk=pk, status=Status.PENDING).update(status=Status.EXPIRED)
        return Status.EXPIRED.value
    return status


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
