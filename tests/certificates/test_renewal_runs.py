"""Renewal runs on record: every caller of the renewal service leaves a run record, a run that
dies stays unfinished, and admin lists them and warns when the job failed or stopped."""

import html
import io
import os
import socket
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from accounts.services import customer_update
from certificates.models import Certificate, RenewalFailure, RenewalRun
from certificates.renewal import certificates_renew, error_text
from certificates.selectors import renewal_run_warnings
from tests.certificates.conftest import Crash, due_moment, fail_on_call
from tests.conftest import staff_login

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:certificates_renewalrun_changelist")
INDEX = reverse("admin:index")


@pytest.fixture(autouse=True)
def fast(settings):
    settings.PIN_SCRYPT_N = 2**10
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_command(*args, at):
    out = io.StringIO()
    with time_machine.travel(at, tick=False):
        call_command("renew_certificates", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def page(response):
    return html.unescape(response.content.decode())


def staff_client(username, group_name=None):
    return staff_login(username, group_name)[0]


# -- What a run records -------------------------------------------------------------------------

def test_the_command_records_its_run(issue_many):
    certificates = issue_many(3)
    moment = due_moment(certificates)
    run_command("--batch-size", "2", "--window-days", "30", at=moment)

    run = RenewalRun.objects.get()
    assert (run.source, run.host, run.pid) == ("command", socket.gethostname(), os.getpid())
    assert (run.dry_run, run.window_days, run.batch_size, run.limit) == (False, 30, 2, None)
    assert (run.renewed, run.skipped_total, run.expired, run.failed, run.batches) == (3, 0, 0, 0, 2)
    assert run.outcome == RenewalRun.Outcome.SUCCEEDED and run.exit_status == 0
    assert run.started_at == moment and run.finished_at == moment
    assert not run.failure_rows.exists()


def test_skips_by_reason_and_expiries_are_counted(issue_many, customer_factory,
                                                  certificate_factory):
    due = issue_many(2)
    customer_update(customer=due[0].customer, name="홍길순")
    moment = due_moment(due)
    with time_machine.travel(moment - timedelta(days=400)):
        certificate_factory(customer=customer_factory())  # past its expiry at ``moment``
    certificates_renew(now=moment, limit=5)

    run = RenewalRun.objects.get()
    assert (run.renewed, run.expired, run.skipped_total) == (1, 1, 1)
    assert run.skipped == {"name_changed": 1}
    assert (run.source, run.limit) == ("shell", 5)


def test_a_dry_run_is_recorded_as_one(issue_many):
    certificates = issue_many(2)
    run_command("--dry-run", at=due_moment(certificates))
    run = RenewalRun.objects.get()
    assert run.dry_run and run.renewed == 2 and run.outcome == RenewalRun.Outcome.SUCCEEDED
    assert Certificate.objects.filter(status="renewed").count() == 0


def test_failures_are_recorded_with_their_error_and_no_personal_data(issue_many):
    certificates = issue_many(3)
    broken = certificates[1]
    Certificate.objects.filter(pk=broken.pk).update(der=b"not a certificate")
    with pytest.raises(CommandError):
        run_command(at=due_moment(certificates))

    run = RenewalRun.objects.get()
    assert (run.renewed, run.failed, run.outcome, run.exit_status) == (2, 1, "failed", 1)
    failure = RenewalFailure.objects.get()
    assert (failure.run, failure.certificate_id, failure.serial) == (run, broken.pk, broken.serial)
    assert failure.error.startswith("ValueError: ")
    customer = broken.customer
    for personal in (customer.name, customer.phone, customer.phone[-8:], customer.user_id):
        assert personal not in failure.error


def test_error_text_masks_what_could_be_personal():
    text = error_text(RuntimeError("홍길동 900101-1234567 +821012345678 at step 3"))
    assert text == "RuntimeError: *** *** +*** at step 3"
    assert len(error_text("x" * 2000)) == 500


def test_an_error_that_ends_the_run_is_recorded_and_raised(issue_many, monkeypatch):
    from certificates import lifecycle

    certificates = issue_many(4)
    real, calls = lifecycle.sms_notify_many, []

    def down_on_the_second_batch(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("queue down")
        return real(**kwargs)

    monkeypatch.setattr(lifecycle, "sms_notify_many", down_on_the_second_batch)
    with pytest.raises(RuntimeError):
        certificates_renew(now=due_moment(certificates), batch_size=2)

    run = RenewalRun.objects.get()
    assert run.outcome == RenewalRun.Outcome.ABORTED and run.exit_status == 1
    assert run.error == "RuntimeError: queue down" and run.finished_at is not None
    # The first batch was committed and counted; the second was rolled back and is not.
    assert (run.batches, run.renewed) == (1, 2)
    assert Certificate.objects.filter(status="renewed").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_mid_way_stays_on_record_unfinished(issue_many, monkeypatch):
    """No test transaction around it: the record is committed on its own before the first batch
    and after each, and nothing closes it when the process dies."""
    certificates = issue_many(4)
    moment = due_moment(certificates)
    fail_on_call(monkeypatch, 3, Crash("killed"))
    with pytest.raises(Crash):
        certificates_renew(now=moment, batch_size=2)

    run = RenewalRun.objects.get()
    assert run.finished_at is None and run.exit_status is None
    assert run.outcome == RenewalRun.Outcome.RUNNING
    assert (run.batches, run.renewed) == (1, 2)
    assert Certificate.objects.filter(status="renewed").count() == 2

    # Staff see it as the latest run, not finished: the index warns.
    monkeypatch.undo()
    with time_machine.travel(moment + timedelta(hours=1), tick=False):
        warnings = renewal_run_warnings()
    assert any("완료된 갱신 실행이 없습니다" in w for w in warnings)


# -- The index's warnings -----------------------------------------------------------------------

def make_run(*, finished_ago: timedelta | None, outcome="succeeded", dry_run=False,
             started_ago=None):
    moment = timezone.now()
    started = moment - (started_ago or finished_ago or timedelta(hours=1)) - timedelta(minutes=5)
    return RenewalRun.objects.create(
        started_at=started, finished_at=None if finished_ago is None else moment - finished_ago,
        outcome=outcome, host="cron1", pid=4242, source="command", dry_run=dry_run,
        window_days=30, batch_size=500,
    )


def test_no_run_ever_is_warned_about():
    assert renewal_run_warnings() == ["최근 26시간 동안 끝까지 완료된 갱신 실행이 없습니다. "
                                      "갱신 작업(cron)을 확인하세요."]


def test_a_run_finished_within_26_hours_is_enough():
    with time_machine.travel(timezone.now(), tick=False):
        make_run(finished_ago=timedelta(hours=26))
        assert renewal_run_warnings() == []


def test_a_run_finished_26_hours_and_a_second_ago_is_not():
    with time_machine.travel(timezone.now(), tick=False):
        make_run(finished_ago=timedelta(hours=26, seconds=1))
        assert len(renewal_run_warnings()) == 1


def test_dry_runs_do_not_count_as_the_job_having_run():
    make_run(finished_ago=timedelta(hours=1), dry_run=True)
    assert len(renewal_run_warnings()) == 1


@pytest.mark.parametrize("outcome", ["failed", "aborted"])
def test_a_failed_latest_run_is_warned_about(outcome):
    make_run(finished_ago=timedelta(hours=2))
    make_run(finished_ago=timedelta(hours=1), outcome=outcome)
    warnings = renewal_run_warnings()
    assert len(warnings) == 1 and "실패했습니다" in warnings[0]


def test_the_index_shows_the_warnings(admin_client):
    make_run(finished_ago=timedelta(hours=1), outcome="failed")
    body = page(admin_client.get(INDEX))
    assert "최근 갱신 실행(" in body and "실패했습니다: 일부 실패" in body
    make_run(finished_ago=timedelta(minutes=1))
    body = page(admin_client.get(INDEX))
    assert "실패했습니다" not in body and "완료된 갱신 실행이 없습니다" not in body


# -- Admin: list, filters, detail ---------------------------------------------------------------

def test_the_list_and_its_filters(admin_client):
    ok = make_run(finished_ago=timedelta(hours=1))
    dry = make_run(finished_ago=timedelta(hours=2), dry_run=True)
    failed = make_run(finished_ago=timedelta(days=3), outcome="failed")
    unfinished = make_run(finished_ago=None, outcome="running", started_ago=timedelta(days=10))

    def listed(query=""):
        response = admin_client.get(CHANGELIST + query)
        assert response.status_code == 200
        return {run.pk for run in response.context["cl"].result_list}

    assert listed() == {ok.pk, dry.pk, failed.pk, unfinished.pk}
    assert listed("?outcome__exact=failed") == {failed.pk}
    assert listed("?outcome__exact=running") == {unfinished.pk}
    assert listed("?dry_run__exact=1") == {dry.pk}
    # The date filter's "지난 7일" link, as DateFieldListFilter writes it.
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    week = urlencode({"started_at__gte": str(today - timedelta(days=7)),
                      "started_at__lt": str(today + timedelta(days=1))})
    assert listed(f"?{week}") == {ok.pk, dry.pk, failed.pk}
    assert admin_client.get(CHANGELIST + "?host=cron1").status_code == 400  # undeclared lookup


def test_the_detail_page_lists_the_failures_read_only(admin_client, issue_many):
    certificates = issue_many(2)
    Certificate.objects.filter(pk=certificates[0].pk).update(der=b"\x00")
    certificates_renew(now=due_moment(certificates))
    run = RenewalRun.objects.get()
    url = reverse("admin:certificates_renewalrun_change", args=[run.pk])
    response = admin_client.get(url)
    body = page(response)
    assert response.status_code == 200
    assert "실패 1건" in body and "ValueError" in body
    assert '<th scope="row">' in body  # the failures are a table with row headers
    assert 'name="_save"' not in body
    assert admin_client.post(url, {"outcome": "succeeded"}).status_code == 403
    assert admin_client.get(reverse("admin:certificates_renewalrun_add")).status_code == 403
    assert admin_client.get(reverse("admin:certificates_renewalrun_delete",
                                    args=[run.pk])).status_code == 403


@pytest.mark.parametrize("group", ["인증서 검토자", "인증서 관리자"])
def test_both_staff_groups_read_the_runs(group):
    run = make_run(finished_ago=timedelta(hours=1))
    client = staff_client("staff", group)
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(reverse("admin:certificates_renewalrun_change", args=[run.pk])).status_code == 200


def test_staff_without_a_group_do_not():
    client = staff_client("nobody")
    assert client.get(CHANGELIST).status_code == 403
    body = page(client.get(INDEX))
    assert "갱신 실행" not in body and "운영 현황" not in body
