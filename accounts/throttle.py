"""Counting failures per key in fixed windows, so that concurrent failures never exceed a limit.

Only failures count, never requests in flight. An attempt asks ``allows(key)`` (a read) before its
work and calls ``fail(key)`` only if the work failed. ``fail`` is one conditional UPDATE (``count =
count + 1 WHERE count < limit``), which the database applies one at a time: with four failures on
record, only one of two simultaneous failures becomes the fifth, and ``fail`` tells the other that it
came too late (its caller answers it as throttled). A success takes nothing, so a correct attempt is
never refused because others are still running.

``Tally`` counts repeats of one event per key and window, for the audit trail: the first of a window
is written down, the rest are only counted.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, F, Q, Value, When

from accounts.models import FailureCounter
from certcenter.clock import now


def _key_hash(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()


def _ensure_row(scope: str, key_hash: str, at: datetime) -> None:
    # ON CONFLICT DO NOTHING: a concurrent first failure for the same key may insert it too.
    FailureCounter.objects.bulk_create(
        [FailureCounter(scope=scope, key_hash=key_hash, window_start=at, count=0)],
        ignore_conflicts=True,
    )


@dataclass(frozen=True)
class Throttle:
    scope: str
    limit: int
    window_seconds: int

    def _key_hash(self, key: str) -> str:
        return _key_hash(self.scope, key)

    def failures(self, key: str) -> int:
        """Failures counted for ``key`` in the current window."""
        # At most one row (scope and key are unique together): no ORDER BY, no model instance,
        # which is most of this read's cost on every identification and SMS request.
        row = next(iter(
            FailureCounter.objects.filter(scope=self.scope, key_hash=self._key_hash(key))
            .order_by().values_list("window_start", "count")[:1]
        ), None)
        if row is None or row[0] < now() - timedelta(seconds=self.window_seconds):
            return 0
        return row[1]

    def allows(self, key: str) -> bool:
        """Whether an attempt for ``key`` may run now (fewer failures than the limit)."""
        return self.failures(key) < self.limit

    def fail(self, key: str) -> bool:
        """Count a failure for ``key``; False when the limit was reached first (by concurrent ones),
        in which case nothing was counted and the attempt is to be answered as throttled."""
        key_hash = self._key_hash(key)
        current = now()
        updated = self._count(key_hash, current)
        if updated == 0 and not FailureCounter.objects.filter(
            scope=self.scope, key_hash=key_hash
        ).exists():
            _ensure_row(self.scope, key_hash, current)
            updated = self._count(key_hash, current)
        return updated == 1

    def _count(self, key_hash: str, current: datetime) -> int:
        # A window that has run out starts again at 1, in the same statement.
        expired = Q(window_start__lt=current - timedelta(seconds=self.window_seconds))
        return FailureCounter.objects.filter(
            Q(count__lt=self.limit) | expired, scope=self.scope, key_hash=key_hash
        ).update(
            count=Case(When(expired, then=Value(1)), default=F("count") + 1),
            window_start=Case(When(expired, then=Value(current)), default=F("window_start")),
        )

    def reset(self, key: str) -> None:
        FailureCounter.objects.filter(scope=self.scope, key_hash=self._key_hash(key)).delete()


@dataclass(frozen=True)
class Repeat:
    """Where one occurrence falls in its key's windows.

    ``first``: it opened a new window (write it down). ``earlier``: how many the window before held,
    if that window saw repeats that were only counted (else 0); ``earlier_start``: when it opened.
    """

    first: bool
    earlier: int = 0
    earlier_start: datetime | None = None


@dataclass(frozen=True)
class Tally:
    """Counts occurrences per key in fixed windows that open with the first occurrence after the
    previous window ended (the counter rows are shared with ``Throttle``, under their own scope)."""

    scope: str
    window_seconds: int

    def add(self, key: str) -> Repeat:
        key_hash = _key_hash(self.scope, key)
        current = now()
        rows = FailureCounter.objects.filter(scope=self.scope, key_hash=key_hash)
        with transaction.atomic():
            # Locked until the end of the transaction: concurrent repeats take turns, so exactly
            # one of them opens a window.
            row = rows.select_for_update().first()
            if row is None:
                _ensure_row(self.scope, key_hash, current)
                row = rows.select_for_update().get()
            if row.count and row.window_start >= current - timedelta(seconds=self.window_seconds):
                rows.update(count=F("count") + 1)
                return Repeat(first=False)
            rows.update(count=1, window_start=current)
        if row.count > 1:
            return Repeat(first=True, earlier=row.count, earlier_start=row.window_start)
        return Repeat(first=True)
