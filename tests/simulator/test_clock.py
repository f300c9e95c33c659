"""The simulator clock: one offset in the database, cached per process, on top of real time."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certcenter import clock
from certcenter.context_processors import simulated_clock_text
from certcenter.models import SimulatorClock
from certcenter.services import clock_offset_set

pytestmark = pytest.mark.django_db


def stored(*, days: int) -> SimulatorClock:
    """An offset another process stored (the one row: a sequence does not roll back on PostgreSQL)."""
    return SimulatorClock.objects.create(pk=SimulatorClock.SINGLETON, offset=timedelta(days=days),
                                         changed_at=timezone.now())


def test_real_time_until_moved(controls):
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()
    assert clock.offset() == timedelta(0)
    assert simulated_clock_text() == ""


def test_moving_takes_effect_in_this_process_at_once(controls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        clock_offset_set(offset=timedelta(days=339))
    assert clock.offset() == timedelta(days=339)
    assert clock.today() == timezone.localdate() + timedelta(days=339)
    assert SimulatorClock.objects.get().offset == timedelta(days=339)


def test_the_notice_names_the_simulated_date_and_the_offset(controls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        clock_offset_set(offset=timedelta(days=339))
    text = simulated_clock_text()
    day = (timezone.localdate() + timedelta(days=339)).isoformat()
    assert text == f"시뮬레이터 시간: {day} (실제 +339일)"


def test_time_machine_still_moves_the_clock_with_the_offset_on_top(
        controls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        clock_offset_set(offset=timedelta(days=10))
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        assert abs(clock.now() - (timezone.now() + timedelta(days=10))) < timedelta(seconds=1)


@pytest.mark.parametrize("shared", [True, False], ids=["redis-like", "local-memory"])
def test_no_database_query_per_clock_read(controls, monkeypatch, shared, django_assert_num_queries):
    monkeypatch.setattr(clock, "_cache_is_shared", lambda: shared)
    clock.offset()
    with django_assert_num_queries(0):
        for _ in range(1000):
            clock.now()


@pytest.fixture
def shared_cache(monkeypatch):
    """As with Redis: the cache is what the processes share (tests run on local memory)."""
    monkeypatch.setattr(clock, "_cache_is_shared", lambda: True)


def test_another_process_sees_the_change_through_the_cache_within_a_second(
        controls, shared_cache, monkeypatch, django_assert_num_queries):
    """Another worker stored +5 days: this one reads its copy until the re-check, then the cache."""
    assert clock.offset() == timedelta(0)
    cache.set(clock.CACHE_KEY, 5 * 86400, timeout=None)  # what the other worker published
    assert clock.offset() == timedelta(0)  # still within RECHECK_SECONDS: the local copy
    moment = clock.time.monotonic() + clock.RECHECK_SECONDS
    monkeypatch.setattr(clock.time, "monotonic", lambda: moment)
    with django_assert_num_queries(0):
        assert clock.offset() == timedelta(days=5)


def test_with_a_process_local_cache_the_database_is_checked_at_most_once_a_second(
        controls, monkeypatch):
    """locmemcache:// cannot carry another worker's change: the database row is re-read instead."""
    monkeypatch.setattr(clock, "_cache_is_shared", lambda: False)  # whatever CACHE_URL the run has
    assert clock.offset() == timedelta(0)
    stored(days=5)
    with CaptureQueriesContext(connection) as captured:
        assert clock.offset() == timedelta(0)  # within the second: the copy, no query
    assert len(captured) == 0
    moment = clock.time.monotonic() + clock.RECHECK_SECONDS
    monkeypatch.setattr(clock.time, "monotonic", lambda: moment)
    with CaptureQueriesContext(connection) as captured:
        assert clock.offset() == timedelta(days=5)
        assert clock.offset() == timedelta(days=5)
    assert len([q for q in captured if q["sql"].startswith("SELECT")]) == 1


def test_an_empty_cache_falls_back_to_the_database_once(controls, shared_cache, monkeypatch,
                                                        django_assert_num_queries):
    stored(days=7)
    cache.delete(clock.CACHE_KEY)
    moment = clock.time.monotonic() + 2
    monkeypatch.setattr(clock.time, "monotonic", lambda: moment)
    with CaptureQueriesContext(connection) as captured:
        assert clock.offset() == timedelta(days=7)
    # One read (inside a savepoint, so a missing table cannot spoil the caller's transaction).
    assert [q["sql"] for q in captured if "simulatorclock" in q["sql"]] != []
    assert len([q for q in captured if q["sql"].startswith("SELECT")]) == 1
    assert cache.get(clock.CACHE_KEY) == 7 * 86400
    moment += 2
    with django_assert_num_queries(0):
        assert clock.offset() == timedelta(days=7)


def test_a_rolled_back_change_is_not_published(controls, shared_cache):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        clock_offset_set(offset=timedelta(days=3))
        raise RuntimeError
    assert clock.offset() == timedelta(0)
    assert cache.get(clock.CACHE_KEY) == 0


def test_only_forward(controls):
    with pytest.raises(ValidationError) as caught:
        clock_offset_set(offset=timedelta(days=-1))
    assert caught.value.code == "negative_offset"


def test_off_the_clock_is_real_time_even_with_an_offset_stored(controls_off, monkeypatch):
    stored(days=100)
    cache.set(clock.CACHE_KEY, 100 * 86400, timeout=None)
    moment = clock.time.monotonic() + 2
    monkeypatch.setattr(clock.time, "monotonic", lambda: moment)
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()
    assert simulated_clock_text() == ""


def test_off_the_clock_cannot_be_moved(controls_off):
    with pytest.raises(ValidationError) as caught:
        clock_offset_set(offset=timedelta(days=1))
    assert caught.value.code == "controls_off"
    assert not SimulatorClock.objects.exists()


def test_travel_moves_this_thread_only_within_the_block(controls):
    with clock.travel(-timedelta(days=355)):
        assert clock.today() == timezone.localdate() - timedelta(days=355)
    assert clock.today() == timezone.localdate()


def test_every_page_shows_the_simulated_time(controls, client, admin_user,
                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        clock_offset_set(offset=timedelta(days=339))
    expected = f"시뮬레이터 시간: {(timezone.localdate() + timedelta(days=339)).isoformat()} (실제 +339일)"
    for url in ("/", "/personal/", "/corporate/"):
        assert expected in client.get(url).content.decode()
    client.force_login(admin_user)
    assert expected in client.get("/admin/").content.decode()


def test_deploy_check_warns_when_the_controls_are_on_without_debug(settings):
    from certcenter import checks

    settings.DEBUG, settings.SIMULATOR_CONTROLS_ENABLED = False, True
    assert [w.id for w in checks.check_simulator_controls_off(None)] == ["certcenter.W003"]
    settings.SIMULATOR_CONTROLS_ENABLED = False
    assert checks.check_simulator_controls_off(None) == []
