"""PIN checks in time (one at a time, a doubling pause after each wrong PIN), the PIN change and the
customer's own revocation, at the service level."""

from datetime import timedelta

import pytest
from cryptography import x509
from django.core.exceptions import ValidationError
from django.utils import timezone

from certificates import pki
from certificates.models import Certificate, CertificateEvent, SealedKey
from certificates.pki import keyseal
from certificates.publication import crl_current
from certificates.services import (
    PIN_CHECK_LEASE,
    CertificateNotUsable,
    KeyLocked,
    PinCheckDelayed,
    PinRefused,
    certificate_change_pin,
    certificate_revoke_by_customer,
    certificate_unlock_key,
    pin_retry_delay,
)
from tests.conftest import PIN, run_threads_together

pytestmark = pytest.mark.django_db

WRONG = "975310"
NEW_PIN = "246802"


@pytest.fixture(autouse=True)
def fast_kdf(settings):
    settings.PIN_SCRYPT_N = 2**10


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


@pytest.fixture
def unseal_calls(monkeypatch):
    """Counts the scrypt runs (every unseal is one)."""
    calls = []
    real = keyseal.unseal_private_key

    def counting(**kwargs):
        calls.append(1)
        return real(**kwargs)

    monkeypatch.setattr(keyseal, "unseal_private_key", counting)
    return calls


def failures_of(certificate) -> int:
    return SealedKey.objects.get(pk=certificate.sealed_key_id).pin_failures


def wrong_pins(certificate, count, clock):
    for _ in range(count):
        with pytest.raises((PinRefused, KeyLocked)):
            certificate_unlock_key(certificate=certificate, pin=WRONG)
        clock.shift(pin_retry_delay(count))


def test_the_pause_doubles_with_each_wrong_pin():
    assert [pin_retry_delay(n).total_seconds() for n in range(6)] == [0, 1, 2, 4, 8, 16]


@pytest.mark.parametrize("failures", [1, 2, 3, 4])
def test_a_check_one_second_before_the_pause_ends_is_refused_uncounted(
    certificate, clock, unseal_calls, failures
):
    for _ in range(failures - 1):
        with pytest.raises(PinRefused):
            certificate_unlock_key(certificate=certificate, pin=WRONG)
        clock.shift(pin_retry_delay(failures))
    with pytest.raises(PinRefused):
        certificate_unlock_key(certificate=certificate, pin=WRONG)
    runs, events = len(unseal_calls), CertificateEvent.objects.count()

    clock.shift(pin_retry_delay(failures) - timedelta(seconds=1))
    with pytest.raises(PinCheckDelayed) as refused:
        certificate_unlock_key(certificate=certificate, pin=PIN)  # even the right PIN waits
    assert refused.value.retry_after == 1
    assert refused.value.attempts_left == 5 - failures
    assert "잠시 후 다시 시도해 주세요" in refused.value.message
    # Not checked: no scrypt, no count, no event.
    assert len(unseal_calls) == runs
    assert failures_of(certificate) == failures
    assert CertificateEvent.objects.count() == events


@pytest.mark.parametrize("failures", [1, 2, 3, 4])
def test_a_check_exactly_when_the_pause_ends_is_checked(certificate, clock, failures):
    for _ in range(failures):
        with pytest.raises(PinRefused):
            certificate_unlock_key(certificate=certificate, pin=WRONG)
        if _ < failures - 1:
            clock.shift(pin_retry_delay(failures))
    clock.shift(pin_retry_delay(failures))
    assert certificate_unlock_key(certificate=certificate, pin=PIN)
    assert failures_of(certificate) == 0


def test_a_right_pin_ends_the_pause_and_the_count(certificate, clock):
    wrong_pins(certificate, 3, clock)
    certificate_unlock_key(certificate=certificate, pin=PIN)
    # Right after a success the next check is not delayed, and counts from one again.
    with pytest.raises(PinRefused) as refused:
        certificate_unlock_key(certificate=certificate, pin=WRONG)
    assert type(refused.value) is PinRefused and refused.value.attempts_left == 4


def test_a_delayed_check_is_a_pin_refusal_with_its_own_message(certificate, clock):
    with pytest.raises(PinRefused):
        certificate_unlock_key(certificate=certificate, pin=WRONG)
    with pytest.raises(PinRefused) as refused:  # callers that catch PinRefused show this too
        certificate_unlock_key(certificate=certificate, pin=WRONG)
    assert isinstance(refused.value, PinCheckDelayed)
    assert refused.value.message.startswith("비밀번호 확인 요청이 너무 잦습니다")


def test_a_second_check_while_one_runs_is_refused_at_once(certificate, monkeypatch):
    real = keyseal.unseal_private_key
    inner = []

    def unseal_while_another_arrives(**kwargs):
        try:
            certificate_unlock_key(certificate=certificate, pin=PIN)
        except Exception as exc:  # the concurrent request's answer
            inner.append(exc)
        return real(**kwargs)

    monkeypatch.setattr(keyseal, "unseal_private_key", unseal_while_another_arrives)
    assert certificate_unlock_key(certificate=certificate, pin=PIN)
    [refusal] = inner
    assert isinstance(refusal, PinCheckDelayed)
    assert refusal.retry_after <= PIN_CHECK_LEASE.total_seconds()
    # The first check ended its hold: the next one runs at once.
    monkeypatch.setattr(keyseal, "unseal_private_key", real)
    assert certificate_unlock_key(certificate=certificate, pin=PIN)


def test_a_check_that_crashes_lets_go_of_the_key(certificate, monkeypatch):
    def crash(**kwargs):
        raise MemoryError

    monkeypatch.setattr(keyseal, "unseal_private_key", crash)
    with pytest.raises(MemoryError):
        certificate_unlock_key(certificate=certificate, pin=PIN)
    monkeypatch.undo()
    assert failures_of(certificate) == 0
    assert certificate_unlock_key(certificate=certificate, pin=PIN)


def test_a_hold_left_by_a_dead_worker_runs_out(certificate, monkeypatch):
    # A worker took the key's lease and died mid-check: the lease expires by itself. Real time:
    # the cache (Redis in CI) keeps its own clock.
    import time

    from certificates import services

    monkeypatch.setattr(services, "PIN_CHECK_LEASE", timedelta(seconds=1))
    services._pin_check_begin(sealed_key_id=certificate.sealed_key_id)  # and then nothing
    with pytest.raises(PinCheckDelayed):
        certificate_unlock_key(certificate=certificate, pin=PIN)
    time.sleep(1.2)
    assert certificate_unlock_key(certificate=certificate, pin=PIN)


def test_a_refusal_passes_through_context_managers(certificate):
    """A PIN refusal is an ordinary exception: context managers may set its traceback."""
    from contextlib import contextmanager

    @contextmanager
    def around():
        yield

    with pytest.raises(PinRefused), around():
        certificate_unlock_key(certificate=certificate, pin=WRONG)


def test_the_count_never_passes_the_limit(certificate, settings):
    # Even if two checks overlapped (a hold ran out mid-check), the count stops at the limit.
    SealedKey.objects.filter(pk=certificate.sealed_key_id).update(
        pin_failures=settings.PIN_MAX_FAILURES)
    with pytest.raises(KeyLocked):
        certificate_unlock_key(certificate=certificate, pin=WRONG)
    assert failures_of(certificate) == settings.PIN_MAX_FAILURES
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.LOCKED


def test_a_locked_key_is_refused_before_any_pause(certificate, clock, settings):
    wrong_pins(certificate, settings.PIN_MAX_FAILURES, clock)
    with pytest.raises(KeyLocked):
        certificate_unlock_key(certificate=certificate, pin=PIN)
    assert SealedKey.objects.get(pk=certificate.sealed_key_id).pin_retry_at is None


# -- 비밀번호 변경 --------------------------------------------------------------------------------

def test_changing_the_pin_reseals_the_same_key(certificate, django_capture_on_commit_callbacks,
                                               outbox):
    before = bytes(SealedKey.objects.get(pk=certificate.sealed_key_id).sealed_private_key)
    with django_capture_on_commit_callbacks(execute=True):
        certificate_change_pin(certificate=certificate, current_pin=PIN, new_pin=NEW_PIN,
                               client_ip="203.0.113.5")

    sealed = SealedKey.objects.get(pk=certificate.sealed_key_id)
    assert bytes(sealed.sealed_private_key) != before
    assert Certificate.objects.count() == 1 and SealedKey.objects.count() == 1
    key = certificate_unlock_key(certificate=certificate, pin=NEW_PIN)
    issued = pki.load_certificate(bytes(certificate.der)).public_key()
    assert key.public_key().public_numbers() == issued.public_numbers()
    with pytest.raises(PinRefused):
        certificate_unlock_key(certificate=certificate, pin=PIN)

    event = CertificateEvent.objects.get(kind=CertificateEvent.Kind.PIN_CHANGED)
    assert (event.certificate, event.actor, event.client_ip) == (certificate, "customer",
                                                                 "203.0.113.5")
    [notice] = [m for m in outbox if "비밀번호가 변경되었습니다" in m.body]
    assert "본인이 아닌 경우" in notice.body
    assert PIN not in notice.body and NEW_PIN not in notice.body


@pytest.mark.parametrize(("new_pin", "code"), [
    ("123456", "sequential"), ("111222", "repeated"), ("900101", "birth_date"),
    ("147258", "keypad"), ("12345", "format"),
])
def test_the_new_pin_keeps_the_rules_and_costs_no_try(certificate, unseal_calls, new_pin, code):
    with pytest.raises(ValidationError) as refused:
        certificate_change_pin(certificate=certificate, current_pin=WRONG, new_pin=new_pin)
    assert refused.value.code == code
    assert unseal_calls == [] and failures_of(certificate) == 0


def test_the_new_pin_must_differ_from_the_current_one(certificate, unseal_calls):
    with pytest.raises(ValidationError) as refused:
        certificate_change_pin(certificate=certificate, current_pin=PIN, new_pin=PIN)
    assert refused.value.code == "same_as_current"
    assert unseal_calls == []
    assert not CertificateEvent.objects.filter(kind=CertificateEvent.Kind.PIN_CHANGED).exists()


def test_a_wrong_current_pin_is_counted_and_changes_nothing(certificate, outbox):
    before = bytes(SealedKey.objects.get(pk=certificate.sealed_key_id).sealed_private_key)
    with pytest.raises(PinRefused) as refused:
        certificate_change_pin(certificate=certificate, current_pin=WRONG, new_pin=NEW_PIN)
    assert refused.value.attempts_left == 4
    assert bytes(SealedKey.objects.get(pk=certificate.sealed_key_id).sealed_private_key) == before
    assert CertificateEvent.objects.filter(kind=CertificateEvent.Kind.PIN_FAILED).count() == 1
    assert not CertificateEvent.objects.filter(kind=CertificateEvent.Kind.PIN_CHANGED).exists()
    assert not [m for m in outbox if "비밀번호가 변경되었습니다" in m.body]


def test_a_locked_or_unusable_certificate_cannot_change_its_pin(certificate, certificate_factory):
    SealedKey.objects.filter(pk=certificate.sealed_key_id).update(locked_at=timezone.now())
    Certificate.objects.filter(pk=certificate.pk).update(status=Certificate.Status.LOCKED)
    with pytest.raises(KeyLocked):
        certificate_change_pin(certificate=certificate, current_pin=PIN, new_pin=NEW_PIN)
    Certificate.objects.filter(pk=certificate.pk).update(status=Certificate.Status.ACTIVE,
                                                         not_after=timezone.now())
    with pytest.raises(CertificateNotUsable):
        certificate_change_pin(certificate=certificate, current_pin=PIN, new_pin=NEW_PIN)


# -- 인증서 해지 ----------------------------------------------------------------------------------

def test_the_customer_revokes_with_the_pin(certificate, django_capture_on_commit_callbacks,
                                           outbox):
    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke_by_customer(certificate=certificate, pin=PIN, client_ip="203.0.113.5")
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert certificate.revocation_reason == Certificate.RevocationReason.CESSATION_OF_OPERATION
    event = CertificateEvent.objects.get(kind=CertificateEvent.Kind.REVOKED)
    assert (event.actor, event.client_ip) == ("customer", "203.0.113.5")
    entry = x509.load_der_x509_crl(bytes(crl_current().der)).get_revoked_certificate_by_serial_number(
        certificate.serial_int)
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.cessation_of_operation
    assert [m for m in outbox if "폐기되었습니다" in m.body]


def test_a_wrong_pin_revokes_nothing(certificate):
    with pytest.raises(PinRefused):
        certificate_revoke_by_customer(certificate=certificate, pin=WRONG)
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE


# -- Concurrency (PostgreSQL: SQLite lets one writer in at a time anyway) --------------------------

THREADS = 8


def run_together(function, count=THREADS):
    return run_threads_together(function, count)


def postgres_only(test):
    for mark in (pytest.mark.postgres, pytest.mark.django_db(transaction=True)):
        test = mark(test)
    return test


def guess_wrong(certificate_pk):
    return lambda: certificate_unlock_key(certificate=Certificate.objects.get(pk=certificate_pk),
                                          pin=WRONG)


@postgres_only
def test_concurrent_wrong_pins_are_checked_one_at_a_time(certificate, clock):
    results = run_together(guess_wrong(certificate.pk))

    counted = [r for r in results if type(r) is PinRefused]
    delayed = [r for r in results if isinstance(r, PinCheckDelayed)]
    assert len(counted) == 1 and counted[0].attempts_left == 4, results
    assert len(delayed) == THREADS - 1, results
    assert failures_of(certificate) == 1
    assert CertificateEvent.objects.filter(kind=CertificateEvent.Kind.PIN_FAILED).count() == 1


@postgres_only
def test_bursts_of_concurrent_wrong_pins_never_pass_the_limit(certificate, clock, settings):
    limit = settings.PIN_MAX_FAILURES
    for burst in range(1, limit + 3):
        clock.shift(pin_retry_delay(limit))
        results = run_together(guess_wrong(certificate.pk))
        assert not [r for r in results if not isinstance(r, PinRefused | KeyLocked)], results
        assert failures_of(certificate) == min(burst, limit)
        if burst > limit:
            assert all(isinstance(r, KeyLocked) for r in results), results

    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.LOCKED
    kinds = list(CertificateEvent.objects.values_list("kind", flat=True))
    assert kinds.count(CertificateEvent.Kind.PIN_FAILED) == limit
    assert kinds.count(CertificateEvent.Kind.LOCKED) == 1
