"""Counting failed attempts so that no two concurrent requests both get the last try.

An attempt first *reserves* a slot with one conditional UPDATE (``count = count + 1 WHERE count <
limit``). The database applies such updates one at a time, so with four failures on record only one of
two simultaneous requests can take the fifth slot. A successful attempt hands its slot back.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When

from accounts.models import FailureCounter
from certcenter.clock import now


@dataclass(frozen=True)
class Throttle:
    scope: str
    limit: int
    window_seconds: int

    def _key_hash(self, key: str) -> str:
        return hashlib.sha256(f"{self.scope}:{key}".encode()).hexdigest()

    def reserve(self, key: str) -> bool:
        """Take one attempt for ``key``; False when the limit is reached within the window."""
        key_hash = self._key_hash(key)
        current = now()
        window_open = current - timedelta(seconds=self.window_seconds)
        if not FailureCounter.objects.filter(scope=self.scope, key_hash=key_hash).exists():
            try:
                with transaction.atomic():
                    FailureCounter.objects.create(
                        scope=self.scope, key_hash=key_hash, window_start=current, count=0
                    )
            except IntegrityError:
                pass  # created concurrently: fine, the UPDATE below is what decides
        expired = Q(window_start__lt=window_open)
        updated = FailureCounter.objects.filter(
            Q(count__lt=self.limit) | expired, scope=self.scope, key_hash=key_hash
        ).update(
            count=Case(When(expired, then=Value(1)), default=F("count") + 1),
            window_start=Case(When(expired, then=Value(current)), default=F("window_start")),
        )
        return updated == 1

    def release(self, key: str) -> None:
        """Hand back a slot taken by ``reserve`` (the attempt succeeded)."""
        FailureCounter.objects.filter(
            scope=self.scope, key_hash=self._key_hash(key), count__gt=0
        ).update(count=F("count") - 1)

    def failures(self, key: str) -> int:
        row = FailureCounter.objects.filter(scope=self.scope, key_hash=self._key_hash(key)).first()
        if row is None or row.window_start < now() - timedelta(seconds=self.window_seconds):
            return 0
        return row.count

    def reset(self, key: str) -> None:
        FailureCounter.objects.filter(scope=self.scope, key_hash=self._key_hash(key)).delete()
