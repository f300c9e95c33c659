"""Automatic renewal (the cron job): new certificates over the same keys, only while the customer
still matches what the certificate was issued for.

One batch is one transaction: its certificates are either all renewed (or marked) or untouched, so a
crash mid-run loses nothing and the next run finishes the job. On PostgreSQL the batch is locked with
``SKIP LOCKED``, so several runs at once share the work and never renew a certificate twice. Memory
holds one batch at a time, whatever the number of certificates.
"""

import base64
import gc
import os
import re
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import crypto
from accounts.models import RRN_PURPOSE
from certcenter.clock import now as clock_now
from certcenter.db import insert_many
from certcenter.logs import event_log
from certificates import lifecycle, linting, pki
from certificates.ca import end_entity_profile, load_issuing_ca
from certificates.models import VID_PURPOSE, Certificate, RenewalFailure, RenewalRun

# Past this many failures something is wrong with the run itself (a key, the database): stop and
# let the exit status call a person, rather than retrying the whole table.
MAX_FAILURES_PER_RUN = 1000
SKIP_NAME = "name_changed"
SKIP_RRN = "resident_number_changed"
SKIP_PHONE = "phone_changed"
SKIP_REASONS = {
    SKIP_NAME: "이름 변경",
    SKIP_RRN: "주민등록번호 불일치",
    SKIP_PHONE: "휴대폰 번호 변경",
}


def skipped_text(skipped: dict[str, int]) -> str:
    """Certificates set aside, by reason: "이름 변경 1, 휴대폰 번호 변경 1"."""
    return ", ".join(f"{SKIP_REASONS.get(reason, reason)} {n}"
                     for reason, n in sorted(skipped.items()))


@dataclass
class RenewalReport:
    renewed: int = 0
    skipped: Counter = field(default_factory=Counter)
    expired: int = 0
    failed: int = 0
    dry_run: bool = False
    failures: list[str] = field(default_factory=list)  # serials, capped
    # Every failure as (certificate pk, serial, error) until the run record has it (see
    # renewal_run_progress): the run record keeps them all, the summary only the first 20.
    unrecorded: list[tuple[int, str, str]] = field(default_factory=list, repr=False)
    batches: int = 0

    @property
    def ok(self) -> bool:
        return self.failed == 0

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        skipped = skipped_text(self.skipped)
        prefix = "[dry run] would have " if self.dry_run else ""
        return (
            f"{prefix}renewed: {self.renewed}; "
            f"skipped (reissue required): {self.skipped_total}"
            f"{f' ({skipped})' if skipped else ''}; "
            f"expired: {self.expired}; failed: {self.failed}"
        )


def certificates_expire(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Mark current certificates past their expiry as expired (with an audit event each).

    A suspended one too: the hold ends with the validity (the CRL drops it then anyway), and only
    a reissue gives the customer a certificate again."""
    moment = now or clock_now()
    total = 0
    while True:
        with transaction.atomic():
            rows = list(
                Certificate.objects.past_expiry(now=moment)
                .select_for_update(skip_locked=True)
                .values_list("pk", "customer_id")[:batch_size]
            )
            if not rows:
                return total
            lifecycle.certificates_expire(rows=rows, moment=moment)
        total += len(rows)


NEW_CERTIFICATE_COLUMNS = (
    "customer_id", "sealed_key_id", "serial", "subject", "key_type", "not_before", "not_after",
    "status", "revocation_reason", "der", "issued_name", "issued_phone", "renewed_from_id",
    "created_at",
)

# What one due certificate needs, read as plain tuples: model instances cost more than signing.
_DUE_FIELDS = (
    "pk", "serial", "der", "not_after", "subject", "key_type", "issued_name", "issued_phone",
    "customer_id", "customer__name", "customer__phone", "customer__resident_number_encrypted",
    "sealed_key_id", "sealed_key__vid_random_encrypted",
)


class _Due(NamedTuple):
    pk: int
    serial: str
    der: bytes
    not_after: datetime
    subject: str
    key_type: str
    issued_name: str
    issued_phone: str
    customer_id: int
    customer_name: str
    customer_phone: str
    customer_rrn_encrypted: str
    sealed_key_id: int
    vid_random_encrypted: str


def certificates_renew(
    *,
    now: datetime | None = None,
    window_days: int | None = None,
    batch_size: int = 1000,
    limit: int | None = None,
    dry_run: bool = False,
    progress: Callable[[RenewalReport], None] | None = None,
    source: str = "shell",
) -> RenewalReport:
    """Renew every active certificate expiring within the window; see the module docstring.

    Every run is on record (``RenewalRun``): written before the first batch, brought up to date
    after each, closed with the outcome. ``source`` says who ran it ("command", "simulator",
    "shell"). An exception that ends the run is recorded and raised again; a process that dies
    leaves the record unfinished.
    """
    moment = now or clock_now()
    window_days = settings.RENEWAL_WINDOW_DAYS if window_days is None else window_days
    report = RenewalReport(dry_run=dry_run)
    run = renewal_run_start(source=source, dry_run=dry_run, window_days=window_days,
                            batch_size=batch_size, limit=limit)
    # What the process held before the run (Django, pkilint's ASN.1 specifications: ~110,000
    # objects) lives on after it: the collector's full passes, which a long run triggers now and
    # then, need not walk it again (0.1-0.2 s a pass here, ~7 % of a 3,000-certificate run when
    # one fell in it). Left alone if someone froze the heap already (a server that preloads).
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        _renew_all(report, run=run, moment=moment, window_days=window_days,
                   batch_size=batch_size, limit=limit, dry_run=dry_run, progress=progress)
    except Exception as exc:
        renewal_run_finish(run, report, error=exc)
        raise
    finally:
        if freeze:
            gc.unfreeze()
    renewal_run_finish(run, report)
    _run_logged(report, window_days=window_days, batch_size=batch_size, limit=limit)
    return report


def _renew_all(report: RenewalReport, *, run: RenewalRun, moment: datetime, window_days: int,
               batch_size: int, limit: int | None, dry_run: bool,
               progress: Callable[[RenewalReport], None] | None) -> None:
    if dry_run:
        report.expired = Certificate.objects.past_expiry(now=moment).count()
    else:
        report.expired = certificates_expire(now=moment)
    renewal_run_progress(run, report)
    ca = load_issuing_ca()
    # Renewal issues under today's profile (policy, CRL and AIA URLs), like any issuance.
    profile = end_entity_profile(ca)
    validity = timedelta(days=settings.CERTIFICATE_VALIDITY_DAYS)
    failed_pks: list[int] = []
    after_pk = 0  # a dry run changes nothing, so it pages through by primary key instead
    while len(failed_pks) < MAX_FAILURES_PER_RUN:
        processed = report.renewed + report.skipped_total + report.failed
        room = batch_size if limit is None else min(batch_size, limit - processed)
        if room <= 0:
            break
        with transaction.atomic():
            queryset = Certificate.objects.expiring(now=moment, within_days=window_days).exclude(
                pk__in=failed_pks
            )
            if dry_run:
                queryset = queryset.filter(pk__gt=after_pk).order_by("pk")
            else:
                # Soonest first. The partial index of active certificates by expiry
                # (certificate_active_expiry) gives this order, the pk only breaking ties within
                # one second; without it PostgreSQL sorted every due row (DER included) for each
                # batch, ~20 s a batch with a million due.
                queryset = queryset.select_for_update(skip_locked=True, of=("self",)).order_by(
                    "not_after", "pk"
                )
            batch = list(map(_Due._make, queryset.values_list(*_DUE_FIELDS)[:room]))
            if not batch:
                break
            after_pk = batch[-1].pk
            _renew_batch(batch, ca=ca, profile=profile, moment=moment, validity=validity,
                         report=report, failed_pks=failed_pks, dry_run=dry_run)
            report.batches += 1
            # In the batch's own transaction: the record counts exactly the batches committed,
            # and a batch costs one commit rather than two.
            renewal_run_progress(run, report)
        if progress is not None:
            progress(report)


def _run_logged(report: RenewalReport, **options) -> None:
    """The run's one log line (``renewal.run``): options and counts; failures by count only (their
    error text is in the command's output)."""
    event_log(
        "renewal.run", outcome="ok" if report.ok else "failed", dry_run=report.dry_run,
        **options, renewed=report.renewed, skipped=report.skipped_total,
        **{f"skipped_{reason}": count for reason, count in sorted(report.skipped.items())},
        expired=report.expired, failed=report.failed,
    )


def _customer_mismatch(due: _Due, der: bytes) -> tuple[str | None, bytes]:
    """(why the customer no longer matches, or None; the VID recomputed from the record)."""
    if due.customer_name != due.issued_name:
        return SKIP_NAME, b""
    if due.customer_phone != due.issued_phone:
        return SKIP_PHONE, b""
    rrn = crypto.decrypt(due.customer_rrn_encrypted, purpose=RRN_PURPOSE)
    vid_random = base64.b64decode(crypto.decrypt(due.vid_random_encrypted, purpose=VID_PURPOSE))
    vid = pki.compute_vid(rrn=rrn, random_r=vid_random)
    if not pki.binding_matches(cert_der=der, real_name=due.issued_name, vid=vid):
        return SKIP_RRN, b""
    return None, vid


def _renew_batch(batch: list[_Due], *, ca, profile, moment, validity, report, failed_pks,
                 dry_run):
    renewed_old: list[_Due] = []
    new_rows: list[tuple] = []
    notices: list[tuple[str, str]] = []
    mismatched: list[tuple[_Due, str]] = []
    not_before = moment.replace(microsecond=0)
    # pkilint costs ~10 times what signing does (3-6 ms a certificate), and the certificates of a
    # batch differ in values, not in form: lint the first of the batch and of any other form.
    lint = linting.lint_before_signing()
    linted: set[tuple] = set()
    renewed_text = _renewed_texts()
    # Bound once: the loop below runs a million times a night, and signing is all it should cost.
    builder_for, sign, issuer_key = profile.builder, profile.sign, ca.key
    load_der, random_serial, der_of = pki.load_der_certificate, pki.random_serial, pki.certificate_der
    active = Certificate.Status.ACTIVE
    for due in batch:
        try:
            der = bytes(due.der)  # PostgreSQL hands bytea over as a memoryview
            # Parsed first: a damaged certificate is a failure to report, not a changed customer.
            parsed = load_der(der)
            reason, vid = _customer_mismatch(due, der)
            if reason is not None:
                mismatched.append((due, reason))
                continue
            if dry_run:
                renewed_old.append(due)
                continue
            serial = random_serial()
            # The new period starts where the old one ends, as the customer would expect; a
            # certificate renewed late starts now.
            start = max(due.not_after, not_before)
            not_after = start + validity
            # Same key, same subject, same identity binding; a new serial and validity. The
            # subject is parsed once: each read of ``parsed.subject`` builds a new Name.
            subject = parsed.subject
            builder = builder_for(
                public_key=parsed.public_key(), subject=subject,
                serial=serial, not_before=start, not_after=not_after,
                real_name=due.issued_name, vid=vid,
            )
            if lint:
                # What makes two renewed certificates differ in form rather than in values: the
                # key type and the subject's attribute types.
                variant = (due.key_type, tuple(attribute.oid for attribute in subject))
                if variant not in linted:
                    # The subject is the one the customer was issued, so only its form is checked.
                    linting.certificate_check(builder, issuer_key=issuer_key,
                                              subject_as_configured=False)
                    linted.add(variant)
            der = der_of(sign(builder, issuer_key=issuer_key))
        except linting.CertificateLintFailed as exc:
            _failed(report, failed_pks, due, exc.reason)
            continue
        except Exception as exc:  # one bad row must not stop the bank's nightly run
            _failed(report, failed_pks, due, f"{type(exc).__name__}: {exc}")
            continue
        renewed_old.append(due)
        new_rows.append((
            due.customer_id, due.sealed_key_id, f"{serial:x}", due.subject, due.key_type, start,
            not_after, active, "", der, due.issued_name, due.issued_phone, due.pk, moment,
        ))
        notices.append((due.customer_phone, renewed_text(not_after)))
    report.renewed += len(renewed_old)
    for _due_row, reason in mismatched:
        report.skipped[reason] += 1
    if not dry_run:
        _write_batch(renewed_old=renewed_old, new_rows=new_rows, notices=notices,
                     mismatched=mismatched, moment=moment)


def _failed(report: RenewalReport, failed_pks: list[int], due: _Due, why: str) -> None:
    report.failed += 1
    failed_pks.append(due.pk)
    if len(report.failures) < 20:
        report.failures.append(f"{due.serial}: {why}")
    report.unrecorded.append((due.pk, due.serial, why))


def _write_batch(*, renewed_old: list[_Due], new_rows: list[tuple],
                 notices: list[tuple[str, str]], mismatched: list[tuple[_Due, str]],
                 moment: datetime) -> None:
    """The batch's status changes, new certificates, audit rows and notices, via the lifecycle."""
    if mismatched:
        lifecycle.certificates_require_reissue(
            rows=[(due.pk, due.customer_id, SKIP_REASONS[reason], due.customer_phone)
                  for due, reason in mismatched],
            moment=moment, notice=_reissue_required_text(),
        )
    if not renewed_old:
        return

    def insert_successors():
        insert_many(Certificate, NEW_CERTIFICATE_COLUMNS, new_rows)
        new_pks = dict(
            Certificate.objects.filter(serial__in=[row[2] for row in new_rows])
            .values_list("serial", "pk")
        )
        return [
            lifecycle.EventRow(new_pks[row[2]], due.customer_id,
                               f"자동 갱신: 이전 일련번호 {due.serial}")
            for due, row in zip(renewed_old, new_rows, strict=True)
        ]

    lifecycle.certificates_renew(
        old_ids=[due.pk for due in renewed_old], insert_successors=insert_successors,
        moment=moment, notices=notices,
    )


def _renewed_texts() -> Callable[[datetime], str]:
    """The notice of a renewal, by new expiry: one text per local day (a batch spans a few),
    and the time zone looked up once rather than per certificate."""
    zone = timezone.get_current_timezone()
    by_day: dict[date, str] = {}

    def text(not_after: datetime) -> str:
        day = not_after.astimezone(zone).date()
        if day not in by_day:
            by_day[day] = (f"[{settings.BANK_NAME}] 금융인증서가 자동 갱신되었습니다. "
                           f"새 유효기간 만료일: {day:%Y.%m.%d}")
        return by_day[day]

    return text


def _reissue_required_text() -> str:
    return (f"[{settings.BANK_NAME}] 고객 정보가 변경되어 금융인증서를 자동 갱신하지 못했습니다. "
            "인증센터에서 재발급해 주세요.")


# -- The run on record -----------------------------------------------------------------------------

# What an error message may carry that is personal: a run of digits (a resident number, a phone)
# or Hangul (a name, a subject). Serials are kept in their own column, so an error needs neither.
_PERSONAL = re.compile(r"[0-9][0-9-]{3,}|[\uac00-\ud7a3]+")


def error_text(exc: BaseException | str) -> str:
    """An error as the run record keeps it: type and message, personal-looking parts masked."""
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return _PERSONAL.sub("***", text)[:500]


def renewal_run_start(*, source: str, dry_run: bool, window_days: int, batch_size: int,
                      limit: int | None) -> RenewalRun:
    """The run's record, committed at once (outside a caller's transaction it is its own), so a
    run that dies still shows, unfinished."""
    with transaction.atomic():
        return RenewalRun.objects.create(
            started_at=clock_now(), host=socket.gethostname()[:255], pid=os.getpid(),
            source=source[:20], dry_run=dry_run, window_days=window_days, batch_size=batch_size,
            limit=limit,
        )


def _counts(report: RenewalReport) -> dict:
    return {
        "batches": report.batches, "renewed": report.renewed, "expired": report.expired,
        "failed": report.failed, "skipped": dict(report.skipped),
        "skipped_total": report.skipped_total,
    }


def renewal_run_progress(run: RenewalRun, report: RenewalReport) -> None:
    """The counts so far and the last batch's failures, in the batch's transaction if called in
    one (no savepoint: the batch's work and its record stand or fall together)."""
    with transaction.atomic(savepoint=False):
        if report.unrecorded:
            RenewalFailure.objects.bulk_create(
                RenewalFailure(run=run, certificate_id=pk, serial=serial, error=error_text(why))
                for pk, serial, why in report.unrecorded
            )
            report.unrecorded.clear()
        RenewalRun.objects.filter(pk=run.pk).update(**_counts(report))


def renewal_run_finish(run: RenewalRun, report: RenewalReport,
                       error: BaseException | None = None) -> None:
    """Close the record: the outcome and the exit status the command gives (0 only if all went)."""
    if error is not None:
        # The batch that raised was rolled back: the record keeps the counts of the batches
        # that were committed (written after each), not the rolled-back batch's.
        outcome, extra = RenewalRun.Outcome.ABORTED, {"error": error_text(error)}
        report.unrecorded.clear()
    else:
        outcome = RenewalRun.Outcome.SUCCEEDED if report.ok else RenewalRun.Outcome.FAILED
        extra = {}
        renewal_run_progress(run, report)
    RenewalRun.objects.filter(pk=run.pk).update(
        finished_at=clock_now(), outcome=outcome, exit_status=0 if outcome == "succeeded" else 1,
        **extra,
    )
