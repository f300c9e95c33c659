"""The one clock of the application: every expiry, window and validity reads time here.

Time is the real time (``timezone.now()``, which ``time_machine`` moves in tests) plus the
simulator's offset: trainers move the clock forward on the 시뮬레이터 제어 page to show renewal
without waiting a year (DESIGN §10). Code never calls ``datetime.now()`` directly, so there is a
single seam.

The offset is stored in the database (``certcenter.models.SimulatorClock``) so every worker and
the cron commands agree, but reading it there on each call would add a query to every page. So
each process keeps a copy and checks the shared cache (``CACHE_URL``, e.g. Redis) for a newer one
at most once every ``RECHECK_SECONDS``; the database is read only when the cache has no value
(first start, a cleared cache). A change made in this process takes effect here at once and in the
others within ``RECHECK_SECONDS`` (1 s): that is the staleness a moved clock may have across
workers. A process-local cache (the default ``locmemcache://``) cannot tell one worker of another's
change, so with it the copy is checked against the database instead, still at most once a second.

With ``SIMULATOR_CONTROLS_ENABLED`` off the offset is never read: the clock is real time.
"""

import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, transaction
from django.utils import timezone

ZERO = timedelta(0)
RECHECK_SECONDS = 1.0
CACHE_KEY = "certcenter:clock:offset-seconds"

# (offset, time.monotonic() when it was last checked): one tuple, replaced whole, so threads
# never see half an update. time_machine leaves time.monotonic alone.
_local = (ZERO, float("-inf"))


class _Travel(threading.local):
    delta: timedelta | None = None  # a class default: reading it raises nothing (cheaper)


_travel = _Travel()


def now() -> datetime:
    moment = timezone.now()
    shift = offset()
    if shift:
        moment += shift
    travelled = _travel.delta
    return moment + travelled if travelled else moment


def today() -> date:
    """Today's date where the bank is (TIME_ZONE, Asia/Seoul), not in UTC."""
    return timezone.localdate(now())


def offset() -> timedelta:
    """How far the simulator's clock is ahead of real time (zero unless moved, and when off)."""
    if not settings.SIMULATOR_CONTROLS_ENABLED:
        return ZERO
    global _local
    value, checked = _local
    moment = time.monotonic()
    if moment - checked < RECHECK_SECONDS:
        return value
    shared = _cache_is_shared()
    seconds = cache.get(CACHE_KEY) if shared else None
    if seconds is None:
        seconds = _stored_seconds()
        if shared:
            cache.set(CACHE_KEY, seconds, timeout=None)
    value = timedelta(seconds=seconds)
    _local = (value, moment)
    return value


def _cache_is_shared() -> bool:
    """Whether other processes see what this one puts in the cache (not so for local memory)."""
    return not isinstance(caches["default"], LocMemCache)


def _stored_seconds() -> int:
    from certcenter.models import SimulatorClock  # the clock is imported before the apps are ready

    try:
        # A savepoint: on PostgreSQL a failed query would otherwise spoil the caller's transaction.
        with transaction.atomic():
            stored = SimulatorClock.objects.filter(pk=SimulatorClock.SINGLETON).values_list(
                "offset", flat=True
            ).first()
    except DatabaseError:
        return 0  # not migrated yet (``migrate`` itself reads the clock): real time
    return int(stored.total_seconds()) if stored else 0


def offset_publish(value: timedelta) -> None:
    """Take ``value`` as the offset here at once and tell the other processes through the cache.

    Called by ``certcenter.services.clock_offset_set`` after it stored the offset; tests call it
    to start from real time.
    """
    global _local
    cache.set(CACHE_KEY, int(value.total_seconds()), timeout=None)
    _local = (value, time.monotonic())


@contextmanager
def travel(delta: timedelta):
    """Within the block, this thread's clock reads ``delta`` further (negative: earlier).

    Only for the training scenarios, which create a customer's history "as it happened" (a
    certificate issued 355 days ago) through the real services. Not for request handling.
    """
    previous = _travel.delta
    _travel.delta = (previous or ZERO) + delta
    try:
        yield
    finally:
        _travel.delta = previous
