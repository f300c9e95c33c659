"""Automatic renewal: the window's edges, mismatches, notices, idempotence, crashes, the command."""

import base64
import io
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone

from accounts import crypto
from accounts.services import customer_update
from certificates import lifecycle, pki
from certificates.ca import load_issuing_ca
from certificates.management.commands.renew_certificates import Command
from certificates.models import VID_PURPOSE, Certificate, CertificateEvent, SealedKey
from certificates.renewal import certificates_renew
from certificates.services import certificate_unlock_key
from tests.certificates.conftest import Crash, fail_on_call
from tests.certificates.conftest import due_moment as inside_window
from tests.conftest import PIN

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")
WINDOW = timedelta(days=30)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def fast_sealing(settings):
    # Sealing is not under test here; the smallest scrypt cost keyseal allows keeps issuing fast.
    settings.PIN_SCRYPT_N = 2**10


@pytest.fixture
def renew(django_capture_on_commit_callbacks):
    """certificates_renew with the after-commit SMS deliveries run, as they are in production."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return certificates_renew(**kwargs)

    return run


@pytest.fixture
def command(django_capture_on_commit_callbacks):
    """call_command("renew_certificates", ...) → (stdout, stderr); the clock moved if ``at``."""

    def run(*args, at=None):
        out, err = io.StringIO(), io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            if at is None:
                call_command("renew_certificates", *args, stdout=out, stderr=err)
            else:
                with time_machine.travel(at, tick=False):
                    call_command("renew_certificates", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    return run


def statuses(certificates):
    return [Certificate.objects.get(pk=c.pk).status for c in certificates]


def sms(outbox):
    return [d for d in outbox if d.kind == "sms"]


def summary_line(out):
    lines = [line for line in out.splitlines() if line.startswith(("renewed", "[dry run]"))]
    assert len(lines) == 1, out
    return lines[0]


# -- The window's edges -----------------------------------------------------------------------------

def test_expiring_in_exactly_the_window_is_renewed(renew, certificate_factory):
    old = certificate_factory()
    report = renew(now=old.not_after - WINDOW)
    assert (report.renewed, report.failed, sum(report.skipped.values())) == (1, 0, 0)
    assert Certificate.objects.get(pk=old.pk).status == Certificate.Status.RENEWED
    assert Certificate.objects.get(renewed_from=old).status == Certificate.Status.ACTIVE


def test_one_second_beyond_the_window_is_not_renewed(renew, outbox, certificate_factory):
    old = certificate_factory()
    report = renew(now=old.not_after - WINDOW - SECOND)
    assert (report.renewed, report.failed, sum(report.skipped.values())) == (0, 0, 0)
    assert Certificate.objects.get(pk=old.pk).status == Certificate.Status.ACTIVE
    assert Certificate.objects.count() == 1
    assert sms(outbox) == []


@pytest.mark.parametrize(("beyond", "renewed"), [(timedelta(0), 1), (SECOND, 0)])
def test_command_edges_with_the_clock_moved(command, beyond, renewed, certificate_factory):
    old = certificate_factory()
    out, _err = command(at=old.not_after - WINDOW - beyond)
    assert summary_line(out) == (
        f"renewed: {renewed}; skipped (reissue required): 0; expired: 0; failed: 0"
    )
    assert Certificate.objects.filter(renewed_from=old).count() == renewed
    expected = Certificate.Status.RENEWED if renewed else Certificate.Status.ACTIVE
    assert Certificate.objects.get(pk=old.pk).status == expected


def test_expiring_at_this_very_second_is_still_renewed(renew, certificate_factory):
    old = certificate_factory()
    report = renew(now=old.not_after)
    assert (report.renewed, report.expired) == (1, 0)
    assert Certificate.objects.get(pk=old.pk).status == Certificate.Status.RENEWED
    assert Certificate.objects.get(renewed_from=old).not_before == old.not_after


def test_one_second_past_expiry_it_is_expired_not_renewed(renew, certificate_factory):
    old = certificate_factory()
    report = renew(now=old.not_after + SECOND)
    assert (report.renewed, report.expired) == (0, 1)
    assert Certificate.objects.get(pk=old.pk).status == Certificate.Status.EXPIRED
    assert Certificate.objects.count() == 1


# -- What a renewal produces --------------------------------------------------------------------------

def test_renewal_certifies_the_same_key_with_a_new_serial_and_validity(
    customer, renew, settings, certificate_factory
):
    old = certificate_factory()
    old_parsed = pki.load_certificate(bytes(old.der))
    renew(now=old.not_after - timedelta(days=10))

    old.refresh_from_db()
    new = Certificate.objects.get(renewed_from=old)
    parsed = pki.load_certificate(bytes(new.der))

    assert old.status == Certificate.Status.RENEWED
    assert new.status == Certificate.Status.ACTIVE
    assert new.renewed_from_id == old.pk and old.renewed_by == new
    assert new.sealed_key_id == old.sealed_key_id
    assert SealedKey.objects.count() == 1  # renewal adds a certificate, not a key
    assert new.customer_id == old.customer_id and new.key_type == old.key_type
    assert new.subject == old.subject and parsed.subject == old_parsed.subject

    # Same public key, new serial, the new period starting where the old one ends.
    assert parsed.public_key().public_numbers() == old_parsed.public_key().public_numbers()
    assert new.serial != old.serial
    assert parsed.serial_number == new.serial_int != old_parsed.serial_number
    assert new.not_before == old.not_after
    assert new.not_after == old.not_after + timedelta(days=settings.CERTIFICATE_VALIDITY_DAYS)
    assert parsed.not_valid_before_utc == new.not_before
    assert parsed.not_valid_after_utc == new.not_after

    # Signed by the issuing CA, and still bound to the same person.
    ca = load_issuing_ca()
    parsed.verify_directly_issued_by(ca.cert)
    assert pki.identity_binding(parsed) == pki.identity_binding(old_parsed)
    vid_random = base64.b64decode(
        crypto.decrypt(old.sealed_key.vid_random_encrypted, purpose=VID_PURPOSE)
    )
    vid = pki.compute_vid(rrn=customer.resident_number, random_r=vid_random)
    assert pki.binding_matches(cert_der=bytes(new.der), real_name=customer.name, vid=vid)


def test_the_sealed_key_opens_and_matches_the_renewed_certificate(renew, certificate_factory):
    old = certificate_factory()
    renew(now=old.not_after - timedelta(days=1))
    new = Certificate.objects.get(renewed_from=old)
    key = certificate_unlock_key(certificate=new, pin=PIN)
    cert = pki.load_certificate(bytes(new.der))
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()


def test_renewal_records_an_event_and_texts_the_new_expiry_date_in_seoul(
    customer, renew, outbox, certificate_factory
):
    # Issued at 20:00 UTC, the certificate expires on a date that is one day later in Seoul.
    tomorrow = timezone.now().astimezone(UTC).date() + timedelta(days=1)
    with time_machine.travel(datetime(tomorrow.year, tomorrow.month, tomorrow.day, 20, tzinfo=UTC),
                             tick=False):
        old = certificate_factory()
    moment = old.not_after - timedelta(days=3)
    renew(now=moment)
    new = Certificate.objects.get(renewed_from=old)

    seoul_date = new.not_after.astimezone(SEOUL).strftime("%Y.%m.%d")
    assert seoul_date != new.not_after.astimezone(UTC).strftime("%Y.%m.%d")
    [notice] = sms(outbox)
    assert notice.phone == customer.phone
    assert "자동 갱신" in notice.body
    assert f"만료일: {seoul_date}" in notice.body

    # The event sits in the new certificate's history and names its predecessor.
    [event] = CertificateEvent.objects.filter(kind=CertificateEvent.Kind.RENEWED)
    assert event.certificate_id == new.pk and event.customer_id == customer.pk
    assert event.actor == CertificateEvent.Actor.SYSTEM
    assert event.staff_user is None and event.client_ip is None
    assert event.created_at == moment
    assert event.reason == f"자동 갱신: 이전 일련번호 {old.serial}"


def test_locked_and_reissue_required_certificates_are_not_renewed(renew, issue_many):
    locked, waiting = issue_many(2)
    Certificate.objects.filter(pk=locked.pk).update(status=Certificate.Status.LOCKED)
    Certificate.objects.filter(pk=waiting.pk).update(status=Certificate.Status.REISSUE_REQUIRED)
    report = renew(now=inside_window([locked, waiting]))
    assert report.renewed == 0
    assert statuses([locked, waiting]) == ["locked", "reissue_required"]


# -- Customer details no longer match -------------------------------------------------------------------

MISMATCHES = [
    ({"name": "홍길순"}, "name_changed", "이름 변경"),
    ({"resident_number": "900101-2765432"}, "resident_number_changed", "주민등록번호 불일치"),
    ({"phone": "010-5555-6666"}, "phone_changed", "휴대폰 번호 변경"),
]


@pytest.mark.parametrize(("change", "reason", "label"), MISMATCHES)
def test_a_changed_detail_stops_renewal_and_asks_for_a_reissue(
    customer, renew, outbox, change, reason, label, certificate_factory
):
    old = certificate_factory()
    customer_update(customer=customer, **change)
    moment = old.not_after - timedelta(days=5)

    report = renew(now=moment)

    assert report.renewed == 0 and report.failed == 0
    assert report.skipped == Counter({reason: 1})
    assert report.summary() == (
        f"renewed: 0; skipped (reissue required): 1 ({label} 1); expired: 0; failed: 0"
    )
    assert Certificate.objects.count() == 1
    assert Certificate.objects.get(pk=old.pk).status == Certificate.Status.REISSUE_REQUIRED
    [event] = CertificateEvent.objects.filter(kind=CertificateEvent.Kind.RENEWAL_SKIPPED)
    assert event.certificate_id == old.pk and event.customer_id == customer.pk
    assert event.actor == CertificateEvent.Actor.SYSTEM and event.created_at == moment
    assert event.reason == f"고객 정보 불일치: {label}"
    [notice] = sms(outbox)
    customer.refresh_from_db()
    assert notice.phone == customer.phone  # the number on record now
    assert "재발급" in notice.body and "자동 갱신하지 못했습니다" in notice.body

    # Asked once: the next night neither renews nor texts again.
    again = renew(now=moment + timedelta(days=1))
    assert (again.renewed, sum(again.skipped.values())) == (0, 0)
    assert len(sms(outbox)) == 1
    assert CertificateEvent.objects.filter(kind="renewal_skipped").count() == 1


def test_the_same_details_in_another_spelling_still_renew(customer, renew, certificate_factory):
    """A phone typed without dashes is the same number: no false "reissue required"."""
    old = certificate_factory()
    customer_update(customer=customer, phone="01012345678")
    report = renew(now=old.not_after - timedelta(days=5))
    assert report.renewed == 1 and not report.skipped


def test_summary_counts_skips_by_reason(command, issue_many):
    certificates = issue_many(4)
    for certificate, (change, _reason, _label) in zip(certificates, MISMATCHES, strict=False):
        customer_update(customer=certificate.customer, **change)
    out, _err = command(at=inside_window(certificates))
    assert summary_line(out) == (
        "renewed: 1; skipped (reissue required): 3 "
        "(이름 변경 1, 휴대폰 번호 변경 1, 주민등록번호 불일치 1); expired: 0; failed: 0"
    )
    assert statuses(certificates) == ["reissue_required"] * 3 + ["renewed"]


# -- Idempotence and expiry ----------------------------------------------------------------------------

def test_a_second_run_renews_nothing_and_sends_nothing(renew, outbox, issue_many):
    certificates = issue_many(3)
    moment = inside_window(certificates)
    first = renew(now=moment)
    assert first.renewed == 3
    rows, events, texts = (Certificate.objects.count(), CertificateEvent.objects.count(),
                           len(sms(outbox)))
    assert (rows, texts) == (6, 3)

    second = renew(now=moment)
    assert (second.renewed, sum(second.skipped.values()), second.expired, second.failed) == (
        0, 0, 0, 0)
    assert Certificate.objects.count() == rows
    assert CertificateEvent.objects.count() == events
    assert len(sms(outbox)) == texts


def test_certificates_past_their_expiry_are_marked_expired(renew, command, issue_many):
    active, locked, fresh = issue_many(3)
    Certificate.objects.filter(pk=locked.pk).update(status=Certificate.Status.LOCKED)
    moment = max(active.not_after, locked.not_after) + SECOND
    Certificate.objects.filter(pk=fresh.pk).update(not_after=moment + timedelta(days=100))

    out, _err = command(at=moment)

    assert summary_line(out) == (
        "renewed: 0; skipped (reissue required): 0; expired: 2; failed: 0"
    )
    assert statuses([active, locked, fresh]) == ["expired", "expired", "active"]
    events = CertificateEvent.objects.filter(kind=CertificateEvent.Kind.EXPIRED)
    assert sorted(e.certificate_id for e in events) == sorted([active.pk, locked.pk])
    assert {(e.actor, e.reason, e.created_at) for e in events} == {
        ("system", "유효기간 경과", moment)
    }
    assert renew(now=moment).expired == 0  # once


# -- Crash safety ---------------------------------------------------------------------------------------

def fail_writing_events(monkeypatch, exception):
    """Make the batch's insert of audit rows raise (after its certificates were written)."""
    real = lifecycle.insert_many

    def broken(model, columns, rows):
        if model is CertificateEvent and any(row[0] == CertificateEvent.Kind.RENEWED
                                             for row in rows):
            assert Certificate.objects.filter(renewed_from__isnull=False).exists()
            raise exception
        return real(model, columns, rows)

    monkeypatch.setattr(lifecycle, "insert_many", broken)


def fail_notifying(monkeypatch, exception):
    """Make queueing the SMS notices, the batch's last step, raise."""

    def broken(**kwargs):
        raise exception

    monkeypatch.setattr(lifecycle, "sms_notify_many", broken)


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda mp: fail_on_call(mp, 3, Crash("killed")), id="killed-while-signing"),
        pytest.param(lambda mp: fail_writing_events(mp, Crash("connection lost")),
                     id="lost-while-writing-events"),
        pytest.param(lambda mp: fail_writing_events(mp, RuntimeError("disk full")),
                     id="error-while-writing-events"),
        pytest.param(lambda mp: fail_notifying(mp, RuntimeError("queue down")),
                     id="error-while-queueing-notices"),
    ],
)
def test_a_crash_mid_batch_leaves_the_batch_untouched_and_the_next_run_finishes(
    renew, monkeypatch, outbox, inject, issue_many
):
    certificates = issue_many(4)
    moment = inside_window(certificates)
    events_before = CertificateEvent.objects.count()

    with monkeypatch.context() as patch:
        inject(patch)
        with pytest.raises((Crash, RuntimeError)):
            renew(now=moment, batch_size=10)

    assert statuses(certificates) == ["active"] * 4
    assert Certificate.objects.count() == 4
    assert not Certificate.objects.filter(renewed_from__isnull=False).exists()
    assert CertificateEvent.objects.count() == events_before
    assert sms(outbox) == []  # nothing announced for a batch that did not happen

    report = renew(now=moment, batch_size=10)
    assert (report.renewed, report.failed) == (4, 0)
    assert statuses(certificates) == ["renewed"] * 4
    assert sorted(Certificate.objects.filter(renewed_from__isnull=False)
                  .values_list("renewed_from_id", flat=True)) == sorted(c.pk for c in certificates)
    assert len(sms(outbox)) == 4


def test_a_crash_in_the_second_batch_keeps_the_first_batch_whole(
    renew, monkeypatch, outbox, issue_many
):
    certificates = sorted(issue_many(4), key=lambda c: (c.not_after, c.pk))
    moment = inside_window(certificates)
    with monkeypatch.context() as patch:
        fail_on_call(patch, 3, Crash("killed"))
        with pytest.raises(Crash):
            renew(now=moment, batch_size=2)

    assert statuses(certificates) == ["renewed", "renewed", "active", "active"]
    assert Certificate.objects.filter(renewed_from__isnull=False).count() == 2
    assert CertificateEvent.objects.filter(kind="renewed").count() == 2
    assert len(sms(outbox)) == 2

    report = renew(now=moment, batch_size=2)
    assert report.renewed == 2
    assert statuses(certificates) == ["renewed"] * 4
    assert CertificateEvent.objects.filter(kind="renewed").count() == 4


def test_one_failing_certificate_is_counted_and_the_others_renewed(
    command, outbox, issue_many
):
    certificates = issue_many(3)
    broken = certificates[1]
    Certificate.objects.filter(pk=broken.pk).update(der=b"not a certificate")
    out = io.StringIO()

    with (pytest.raises(CommandError) as raised,
          time_machine.travel(inside_window(certificates), tick=False)):
        call_command("renew_certificates", "--verbosity", "2", stdout=out)

    assert raised.value.returncode == 1
    assert f"1 certificate(s) failed to renew: {broken.serial}" in str(raised.value)
    assert summary_line(out.getvalue()) == (
        "renewed: 2; skipped (reissue required): 0; expired: 0; failed: 1"
    )
    assert re.search(rf"^  failed {broken.serial}: ValueError", out.getvalue(), re.M)
    assert statuses(certificates) == ["renewed", "active", "renewed"]
    assert not Certificate.objects.filter(renewed_from=broken).exists()


def test_a_transient_failure_is_retried_by_the_next_run(renew, monkeypatch, issue_many):
    certificates = issue_many(3)
    moment = inside_window(certificates)
    with monkeypatch.context() as patch:
        fail_on_call(patch, 2, RuntimeError("HSM busy"))
        report = renew(now=moment, batch_size=1)
    assert (report.renewed, report.failed) == (2, 1)
    assert "RuntimeError: HSM busy" in report.failures[0]
    assert sorted(statuses(certificates)) == ["active", "renewed", "renewed"]

    again = renew(now=moment)
    assert (again.renewed, again.failed) == (1, 0)
    assert statuses(certificates) == ["renewed"] * 3


def test_exit_status_is_non_zero_when_anything_failed(monkeypatch, capsys, issue_many):
    """Through run_from_argv, as cron runs it: CommandError becomes exit status 1."""
    monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test's transaction
    certificates = issue_many(2)
    moment = inside_window(certificates)
    Certificate.objects.filter(pk=certificates[0].pk).update(der=b"\x00")

    with time_machine.travel(moment, tick=False), pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "renew_certificates"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert "failed: 1" in captured.out
    assert "CommandError: 1 certificate(s) failed to renew" in captured.err

    Certificate.objects.filter(pk=certificates[0].pk).update(status=Certificate.Status.REVOKED)
    with time_machine.travel(moment, tick=False):
        Command().run_from_argv(["manage.py", "renew_certificates"])  # no SystemExit: status 0
    assert "failed: 0" in capsys.readouterr().out


# -- Dry run and options ---------------------------------------------------------------------------------

def test_dry_run_changes_nothing_and_reports_what_would_happen(
    customer_factory, command, outbox, certificate_factory, issue_many
):
    due = issue_many(3)
    customer_update(customer=due[0].customer, name="홍길순")
    moment = inside_window(due)
    gone = certificate_factory(customer=customer_factory())
    Certificate.objects.filter(pk=gone.pk).update(not_after=moment - SECOND)
    before = list(Certificate.objects.order_by("pk").values_list("pk", "status", "der"))
    events = CertificateEvent.objects.count()

    out, _err = command("--dry-run", "--batch-size", "1", at=moment)

    assert summary_line(out) == (
        "[dry run] would have renewed: 2; skipped (reissue required): 1 (이름 변경 1); "
        "expired: 1; failed: 0"
    )
    assert list(Certificate.objects.order_by("pk").values_list("pk", "status", "der")) == before
    assert CertificateEvent.objects.count() == events
    assert sms(outbox) == []

    out, _err = command(at=moment)  # the real run does what the dry run said
    assert summary_line(out) == (
        "renewed: 2; skipped (reissue required): 1 (이름 변경 1); expired: 1; failed: 0"
    )


def test_limit_stops_after_that_many_earliest_first(customer_factory, command, certificate_factory):
    start = timezone.now()
    certificates = []
    for hour in range(5):
        with time_machine.travel(start + timedelta(hours=hour), tick=False):
            certificates.append(certificate_factory(customer=customer_factory()))
    moment = certificates[0].not_after - timedelta(days=20)

    out, _err = command("--limit", "2", "--batch-size", "1", at=moment)
    assert summary_line(out).startswith("renewed: 2;")
    assert statuses(certificates) == ["renewed"] * 2 + ["active"] * 3

    out, _err = command("--limit", "2", at=moment)
    assert statuses(certificates) == ["renewed"] * 4 + ["active"]
    out, _err = command(at=moment)
    assert summary_line(out).startswith("renewed: 1;")
    assert statuses(certificates) == ["renewed"] * 5


def test_batches_cover_every_certificate(renew, issue_many):
    certificates = issue_many(5)
    moment = inside_window(certificates)
    seen = []
    report = renew(now=moment, batch_size=2, progress=lambda r: seen.append(r.renewed))
    assert report.renewed == 5
    assert seen == [2, 4, 5]  # three transactions of at most two
    assert statuses(certificates) == ["renewed"] * 5


def test_batch_size_option(command, issue_many):
    certificates = issue_many(5)
    out, _err = command("--batch-size", "2", at=inside_window(certificates))
    assert summary_line(out).startswith("renewed: 5;")
    assert statuses(certificates) == ["renewed"] * 5


def test_window_days_option_and_setting(customer_factory, command, settings, certificate_factory):
    start = timezone.now()
    certificates = []
    for days in (0, 5, 30):  # due in 5, 10 and 35 days at the moment below
        with time_machine.travel(start + timedelta(days=days), tick=False):
            certificates.append(certificate_factory(customer=customer_factory()))
    moment = certificates[0].not_after - timedelta(days=5)

    command("--window-days", "7", at=moment)
    assert statuses(certificates) == ["renewed", "active", "active"]
    settings.RENEWAL_WINDOW_DAYS = 10  # exactly 10 days away is inside
    command(at=moment)
    assert statuses(certificates) == ["renewed", "renewed", "active"]
    command("--window-days", "0", at=moment)
    assert statuses(certificates) == ["renewed", "renewed", "active"]
    command("--window-days", "35", at=moment)
    assert statuses(certificates) == ["renewed"] * 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "0"], "--batch-size must be at least 1."),
        (["--batch-size", "-5"], "--batch-size must be at least 1."),
        (["--window-days", "-1"], "--window-days must not be negative."),
        (["--limit", "0"], "--limit must be at least 1."),
        (["--batch-size", "many"], "invalid int value"),
        (["--limit", "1.5"], "invalid int value"),
        (["--window-days"], "expected one argument"),
    ],
)
def test_bad_option_values_are_refused(args, message, certificate):
    with (pytest.raises(CommandError, match=re.escape(message)),
          time_machine.travel(certificate.not_after - timedelta(days=1), tick=False)):
        call_command("renew_certificates", *args, stdout=io.StringIO())
    assert Certificate.objects.get(pk=certificate.pk).status == Certificate.Status.ACTIVE


def test_verbosity_zero_prints_nothing(command, certificate):
    out, err = command("--verbosity", "0", at=certificate.not_after - timedelta(days=1))
    assert (out, err) == ("", "")
    assert Certificate.objects.get(pk=certificate.pk).status == Certificate.Status.RENEWED


def test_progress_is_shown_on_a_terminal(command, monkeypatch, issue_many):
    module = "certificates.management.commands.renew_certificates.sys"
    monkeypatch.setattr(module, SimpleNamespace(stderr=SimpleNamespace(isatty=lambda: True)))
    certificates = issue_many(3)
    _out, err = command("--batch-size", "2", at=inside_window(certificates))
    assert "\r2 processed (2 renewed)" in err
    assert "\r3 processed (3 renewed)" in err


def test_no_progress_when_not_on_a_terminal(command, issue_many):
    certificates = issue_many(2)
    _out, err = command("--batch-size", "1", at=inside_window(certificates))
    assert "processed" not in err


# -- Two runs at once (PostgreSQL row locks) -----------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_renew_each_certificate_exactly_once(
    settings, outbox, issue_many
):
    settings.CERTIFICATE_KEY_TYPE = "ec-p256"  # fast key generation for the setup
    certificates = issue_many(40)
    outbox.clear()  # the issuance notices (sent at once: no test transaction holds them back)
    moment = inside_window(certificates)
    barrier = threading.Barrier(2)

    def run(_):
        try:
            barrier.wait(timeout=10)
            return certificates_renew(now=moment, batch_size=5)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(run, range(2)))

    assert [r.failed for r in reports] == [0, 0]
    assert sum(r.renewed for r in reports) == 40
    renewed_from = list(
        Certificate.objects.filter(renewed_from__isnull=False).values_list("renewed_from_id",
                                                                           flat=True)
    )
    assert len(renewed_from) == 40
    assert sorted(renewed_from) == sorted(c.pk for c in certificates)
    assert statuses(certificates) == ["renewed"] * 40
    assert CertificateEvent.objects.filter(kind="renewed").count() == 40
    assert Counter(d.phone for d in sms(outbox)) == Counter(
        c.customer.phone for c in certificates
    )
