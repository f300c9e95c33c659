"""The 인증번호 a 클라우드 연결 waits for, kept in the server-side session.

When the details matched no one (or verification refused to send), there is no code: the session
then answers each entry as verification would answer a wrong one — attempts left, exhausted after
``SMS_MAX_ATTEMPTS``, expired after ``SMS_CODE_TTL``, and the day's cap after
``VERIFICATION_DAILY_MAX_FAILURES`` wrong entries in this session (on real codes or none) — so the
answers do not tell whether a code was sent (see ``certificates.cloud.services``). Verification's
daily cap is per customer and outlives the session; the session's count does not, which is the
one difference left (see the threat model there).
"""

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

from accounts.models import Customer
from certcenter.clock import now
from verification import services as verification
from verification.outcomes import SMS, Outcome, outcome_message

PENDING_KEY = "certcenter.cloud.pending"
# What verification answers to an entry it compared and found wrong.
_COUNTED = frozenset({Outcome.WRONG, Outcome.EXHAUSTED, Outcome.DAILY_CAP})


@dataclass(frozen=True)
class Entry:
    """One code entry's outcome; ``customer`` the one who proved to be the phone's owner."""

    ok: bool
    reason: str
    message: str
    customer: Customer | None = None


class PendingCode:
    """One session's code request: its flow, when it was sent, to which phone, what was typed."""

    def __init__(self, request):
        self.request = request
        self.data = request.session.get(PENDING_KEY) or {}

    @property
    def exists(self) -> bool:
        return bool(self.data.get("sent_at"))

    @property
    def flow_id(self) -> str:
        """One flow per session, so a new code replaces the one sent before (verification
        cancels a pending code of the same phone, purpose and flow)."""
        if not self.data.get("flow"):
            self.data["flow"] = uuid.uuid4().hex
        return self.data["flow"]

    @property
    def sent_at(self) -> datetime | None:
        stamp = self.data.get("sent_at")
        return datetime.fromtimestamp(stamp, tz=UTC) if stamp else None

    @property
    def expires_at(self) -> datetime | None:
        sent = self.sent_at
        return sent + timedelta(seconds=settings.SMS_CODE_TTL) if sent else None

    @property
    def resend_at(self) -> datetime | None:
        sent = self.sent_at
        return sent + timedelta(seconds=settings.SMS_RESEND_COOLDOWN) if sent else None

    @property
    def typed(self) -> dict:
        return self.data.get("typed") or {}

    @property
    def customer_id(self) -> int | None:
        return self.data.get("customer")

    def resend_wait(self, *, phone: str) -> int:
        """Seconds before another code may be asked for this phone in this session (0: now)."""
        if not self.exists or self.data.get("phone") != phone:
            return 0
        return max(0, math.ceil((self.resend_at - now()).total_seconds()))

    def record(self, *, challenge_id: str | None, customer_id: int | None, phone: str,
               typed: dict) -> None:
        """A code was asked for (and sent, if ``challenge_id``); any earlier one is forgotten."""
        self.data.update(
            sent_at=now().timestamp(), phone=phone, typed=typed, challenge=challenge_id,
            customer=customer_id, attempts=0, status=Outcome.PENDING.value,
        )
        self.save()

    def check(self, *, code: str, client_ip: str) -> Entry:
        """Check a typed code: against the challenge sent, or, when none was, as a wrong one."""
        challenge_id = self.data.get("challenge")
        if challenge_id:
            result = verification.sms_verify(challenge_id=challenge_id, code=code,
                                             flow_id=self.flow_id, client_ip=client_ip)
            self._mirror(result)
            customer = result.ok and Customer.objects.filter(pk=self.customer_id).first()
            if customer:
                return Entry(True, str(result.reason), result.message, customer)
            if result.ok:  # verified, but the customer is gone since: as if no code was sent
                return Entry(False, Outcome.NOT_FOUND.value,
                             outcome_message(Outcome.NOT_FOUND, audience=SMS))
            return Entry(False, str(result.reason), result.message)
        reason, left = self._no_code_entry()
        self.save()
        return Entry(False, str(reason), outcome_message(reason, audience=SMS, attempts_left=left))

    def _mirror(self, result) -> None:
        """Count the session's wrong entries on a real code too, so that once a code can no longer
        be sent (the customer's daily cap) the answers go on as they would for no code."""
        if (not result.ok and self.data.get("status") == Outcome.PENDING
                and result.reason in _COUNTED):
            self.data["failures"] = self.data.get("failures", 0) + 1
        self.data["status"] = str(result.status)
        self.save()

    def _no_code_entry(self) -> tuple[Outcome, int]:
        # The order of verification's _check_entry: expiry, status, the day's cap, the entry.
        data, cap = self.data, settings.VERIFICATION_DAILY_MAX_FAILURES
        capped = bool(cap) and data.get("failures", 0) >= cap
        if data["status"] == Outcome.PENDING and now() > self.expires_at:
            data["status"] = Outcome.EXPIRED.value
        if data["status"] != Outcome.PENDING:
            return (Outcome.DAILY_CAP if capped else Outcome(data["status"])), 0
        if capped:
            data["status"] = Outcome.EXHAUSTED.value
            return Outcome.DAILY_CAP, 0
        data["attempts"] += 1
        data["failures"] = data.get("failures", 0) + 1
        reason = Outcome.WRONG
        if data["attempts"] >= settings.SMS_MAX_ATTEMPTS:
            data["status"], reason = Outcome.EXHAUSTED.value, Outcome.EXHAUSTED
        if cap and data["failures"] >= cap:
            data["status"], reason = Outcome.EXHAUSTED.value, Outcome.DAILY_CAP
        left = settings.SMS_MAX_ATTEMPTS - data["attempts"] if data["status"] == Outcome.PENDING else 0
        return reason, left

    def save(self) -> None:
        self.request.session[PENDING_KEY] = self.data

    def clear(self) -> None:
        self.request.session.pop(PENDING_KEY, None)
        self.data = {}
