"""Identifying a customer by user ID and resident number: a single failure outcome; throttling."""

import logging
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from accounts.services import CustomerNotFound, LookupThrottled, customer_lookup, lookup_throttles
from accounts.throttle import Throttle

pytestmark = pytest.mark.django_db

RIGHT = "900101-1234568"
WRONG = "900101-1234567"
START = datetime(2025, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Seoul"))


def lookup(user_id="hong", resident_number=RIGHT, client_ip="192.0.2.1"):
    return customer_lookup(user_id=user_id, resident_number=resident_number, client_ip=client_ip)


def fail(times, **kwargs):
    for _ in range(times):
        with pytest.raises(CustomerNotFound):
            lookup(**{"resident_number": WRONG, **kwargs})


@pytest.fixture
def not_enrolled(customer_factory):
    return customer_factory(
        user_id="nobank", resident_number="780320-1123457", internet_banking_enrolled=False
    )


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def test_lookup_finds_the_customer(customer):
    assert lookup() == customer


@pytest.mark.parametrize("typed", ["HONG", " hong ", "Hong\t", "hOnG"])
def test_user_id_is_matched_case_insensitively_and_trimmed(customer, typed):
    assert lookup(user_id=typed) == customer


@pytest.mark.parametrize(
    "number", ["9001011234568", " 900101-1234568 ", "９００１０１１２３４５６８"]
)
def test_number_forms_are_matched(customer, number):
    assert lookup(resident_number=number) == customer


@pytest.mark.parametrize(
    ("user_id", "number"),
    [
        pytest.param("nobody", RIGHT, id="unknown-id"),
        pytest.param("hong", WRONG, id="wrong-number"),
        pytest.param("hong", "900101-12345", id="malformed-number"),
        pytest.param("hong", "", id="empty-number"),
        pytest.param("hong", "901301-1234568", id="impossible-date"),
        pytest.param("", RIGHT, id="empty-id"),
        pytest.param("nobank", "780320-1123457", id="not-enrolled"),
        pytest.param("hong", "780320-1123457", id="another-customers-number"),
    ],
)
def test_every_failure_is_the_same_outcome(customer, not_enrolled, user_id, number):
    with pytest.raises(CustomerNotFound) as excinfo:
        lookup(user_id=user_id, resident_number=number)
    exc = excinfo.value
    assert type(exc) is CustomerNotFound
    assert exc.args == ()
    assert str(exc) == ""
    assert vars(exc) == {}
    # Nothing chained that would tell a malformed number from a wrong one.
    assert exc.__cause__ is None
    assert exc.__context__ is None


def test_failure_log_holds_no_resident_number(customer, caplog):
    with caplog.at_level(logging.DEBUG):
        fail(1)
    assert caplog.records
    for record in caplog.records:
        text = record.getMessage() + repr(vars(record))
        assert "1234567" not in text
        assert "900101" not in text


def test_five_failures_from_one_ip_throttle_the_sixth_even_when_correct(customer):
    for n in range(5):
        with pytest.raises(CustomerNotFound):
            lookup(user_id=f"guess{n}", client_ip="198.51.100.7")
    with pytest.raises(LookupThrottled):
        lookup(client_ip="198.51.100.7")
    # Another client is not affected.
    assert lookup(client_ip="198.51.100.8") == customer


def test_five_failures_for_one_user_from_different_ips_throttle_that_user(customer):
    for n in range(5):
        with pytest.raises(CustomerNotFound):
            lookup(resident_number=WRONG, client_ip=f"203.0.113.{n}")
    with pytest.raises(LookupThrottled):
        lookup(client_ip="203.0.113.200")
    with pytest.raises(LookupThrottled):
        lookup(user_id=" HONG ", client_ip="203.0.113.201")


def test_fewer_than_five_failures_do_not_throttle(customer):
    fail(4)
    assert lookup() == customer


def test_a_throttled_attempt_spends_no_ip_slot(customer):
    for n in range(5):
        fail(1, client_ip=f"203.0.113.{n}")
    by_ip, _ = lookup_throttles()
    with pytest.raises(LookupThrottled):
        lookup(client_ip="203.0.113.99")
    assert by_ip.failures("203.0.113.99") == 0


def test_throttle_lasts_exactly_the_window(customer, frozen):
    fail(5)
    frozen.move_to(START + timedelta(seconds=600), tick=False)
    with pytest.raises(LookupThrottled):
        lookup()
    frozen.move_to(START + timedelta(seconds=601), tick=False)
    assert lookup() == customer


def test_after_the_window_a_full_new_allowance(customer, frozen):
    fail(5)
    frozen.move_to(START + timedelta(seconds=601), tick=False)
    fail(5)
    with pytest.raises(LookupThrottled):
        lookup()


def test_success_resets_the_user_counter(customer):
    _, by_user = lookup_throttles()
    for n in range(4):
        fail(1, client_ip=f"203.0.113.{n}")
    assert by_user.failures("hong") == 4
    assert lookup(client_ip="203.0.113.50") == customer
    assert by_user.failures("hong") == 0
    for n in range(4):
        fail(1, client_ip=f"203.0.113.{10 + n}")
    assert lookup(client_ip="203.0.113.51") == customer


def test_success_with_nothing_counted_writes_nothing(customer):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert lookup(client_ip="203.0.113.60") == customer
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


def test_success_does_not_count_as_an_ip_failure(customer):
    by_ip, _ = lookup_throttles()
    fail(2)
    assert lookup() == customer
    assert by_ip.failures("192.0.2.1") == 2


def test_limit_and_window_come_from_settings(customer, settings, frozen):
    settings.LOOKUP_MAX_FAILURES = 2
    settings.LOOKUP_FAILURE_WINDOW = 60
    fail(2)
    with pytest.raises(LookupThrottled):
        lookup()
    frozen.move_to(START + timedelta(seconds=61), tick=False)
    assert lookup() == customer


def test_throttle_counts_failures_up_to_the_limit():
    throttle = Throttle("test", limit=2, window_seconds=60)
    assert throttle.failures("k") == 0 and throttle.allows("k")
    assert throttle.fail("k") is True
    assert throttle.allows("k")
    assert throttle.fail("k") is True
    assert not throttle.allows("k")
    # At the limit a further failure is not counted: the caller answers it as throttled.
    assert throttle.fail("k") is False
    assert throttle.failures("k") == 2
    throttle.reset("k")
    assert throttle.failures("k") == 0 and throttle.allows("k")
    # Scopes do not share counters.
    throttle.fail("k")
    assert Throttle("other", limit=2, window_seconds=60).failures("k") == 0


def test_throttle_window_starts_again_after_it_ran_out(frozen):
    throttle = Throttle("test", limit=2, window_seconds=60)
    throttle.fail("k")
    throttle.fail("k")
    frozen.move_to(START + timedelta(seconds=60), tick=False)
    assert not throttle.allows("k") and throttle.fail("k") is False
    frozen.move_to(START + timedelta(seconds=61), tick=False)
    assert throttle.allows("k")
    assert throttle.fail("k") is True
    assert throttle.failures("k") == 1


def test_throttle_stores_no_clear_key():
    from accounts.models import FailureCounter

    Throttle("lookup-ip", limit=5, window_seconds=60).fail("198.51.100.23")
    row = FailureCounter.objects.get()
    assert "198.51.100.23" not in row.key_hash


def test_a_successful_lookup_takes_no_ip_slot(customer):
    """Only failures count: a correct identification leaves the IP's counter as it was."""
    fail(4)
    by_ip, _ = lookup_throttles()
    for _ in range(3):
        assert lookup() == customer
    assert by_ip.failures("192.0.2.1") == 4


def test_throttled_says_whose_limit_refused(customer):
    for n in range(5):
        fail(1, user_id=f"guess{n}", client_ip="198.51.100.7")
    with pytest.raises(LookupThrottled) as by_ip_only:
        lookup(client_ip="198.51.100.7")
    assert by_ip_only.value.per_user is False
    fail(5, client_ip="198.51.100.8")
    with pytest.raises(LookupThrottled) as by_user:
        lookup(client_ip="198.51.100.9")
    assert by_user.value.per_user is True


# --- Concurrency (PostgreSQL applies row locks for real; SQLite serializes whole writes) ----------

def run_at_once(n, target):
    """Run ``target(i)`` in n threads released together; return what each returned or raised."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        try:
            barrier.wait(timeout=10)
            results[i] = target(i)
        except Exception as exc:  # collected for the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_lookups_get_only_the_last_slot(customer):
    for n in range(4):
        fail(1, client_ip=f"203.0.113.{n}")

    def attempt(i):
        try:
            lookup(resident_number=WRONG, client_ip=f"198.51.100.{i}")
        except (CustomerNotFound, LookupThrottled) as exc:
            return type(exc)
        return "found"

    results = run_at_once(8, attempt)
    assert results.count(CustomerNotFound) == 1, results
    assert results.count(LookupThrottled) == 7, results
    _, by_user = lookup_throttles()
    assert by_user.failures("hong") == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_never_exceed_the_limit():
    throttle = Throttle("race", limit=5, window_seconds=600)
    results = run_at_once(20, lambda i: throttle.fail("same-key"))
    assert all(isinstance(r, bool) for r in results), results
    assert results.count(True) == 5
    assert throttle.failures("same-key") == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("earlier_failures", [0, 4])
def test_concurrent_correct_lookups_from_one_ip_all_pass(customer_factory, earlier_failures):
    """Lookups in flight take no slot: 12 customers behind one address all get through, even
    with four failures from that address on record (a load test refused some of them)."""
    people = [customer_factory() for _ in range(12)]
    for n in range(earlier_failures):
        fail(1, user_id=f"typo{n}", client_ip="198.51.100.50")

    def attempt(i):
        return customer_lookup(user_id=people[i].user_id, resident_number=people[i].resident_number,
                               client_ip="198.51.100.50")

    results = run_at_once(12, attempt)
    assert results == people, results
    by_ip, _ = lookup_throttles()
    assert by_ip.failures("198.51.100.50") == earlier_failures


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_lookups_from_one_ip_are_capped_at_exactly_five(customer_factory):
    people = [customer_factory() for _ in range(12)]

    def attempt(i):
        try:
            lookup(user_id=people[i].user_id, resident_number=WRONG, client_ip="198.51.100.60")
        except (CustomerNotFound, LookupThrottled) as exc:
            return type(exc)
        return "found"

    results = run_at_once(12, attempt)
    assert results.count(CustomerNotFound) == 5, results
    assert results.count(LookupThrottled) == 7, results
    by_ip, by_user = lookup_throttles()
    assert by_ip.failures("198.51.100.60") == 5
    # The seven refused were not counted against their IDs either (both counters or neither).
    assert sum(by_user.failures(p.user_id) for p in people) == 5
