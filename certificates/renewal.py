"""Automatic renewal (the cron job): new certificates over the same keys, only while the customer
still matches what the certificate was issued for.

One batch is one transaction: its certificates are either all renewed (or marked) or untouched, so a
crash mid-run loses nothing and the next run finishes the job. On PostgreSQL the batch is locked with
``SKIP LOCKED``, so several runs at once share the work and never renew a certificate twice. Memory
holds one batch at a time, whatever the number of certificates.
"""

import base64
import hmac
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import crypto
from accounts.models import RRN_PURPOSE
from certcenter.clock import now as clock_now
from certificates import pki
from certificates.ca import load_issuing_ca
from certificates.models import Certificate, CertificateEvent
from certificates.services import VID_PURPOSE
from verification.services import sms_notify_many

SKIP_NAME = "name_changed"
SKIP_RRN = "resident_number_changed"
SKIP_PHONE = "phone_changed"
SKIP_REASONS = {
    SKIP_NAME: "이름 변경",
    SKIP_RRN: "주민등록번호 불일치",
    SKIP_PHONE: "휴대폰 번호 변경",
}


@dataclass
class RenewalReport:
    renewed: int = 0
    skipped: Counter = field(default_factory=Counter)
    expired: int = 0
    failed: int = 0
    dry_run: bool = False
    failures: list[str] = field(default_factory=list)  # serials, capped

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        skipped = ", ".join(f"{SKIP_REASONS.get(k, k)} {v}" for k, v in sorted(self.skipped.items()))
        prefix = "[dry run] would have " if self.dry_run else ""
        return (
            f"{prefix}renewed: {self.renewed}; "
            f"skipped (reissue required): {sum(self.skipped.values())}"
            f"{f' ({skipped})' if skipped else ''}; "
            f"expired: {self.expired}; failed: {self.failed}"
        )


def _mismatch(certificate: Certificate, parsed, customer_rrn: str, vid_random: bytes) -> str | None:
    customer = certificate.customer
    if customer.name != certificate.issued_name:
        return SKIP_NAME
    if customer.phone != certificate.issued_phone:
        return SKIP_PHONE
    binding = pki.identity_binding(parsed)
    expected = pki.compute_vid(rrn=customer_rrn, random_r=vid_random)
    if binding is None or not hmac.compare_digest(binding[1], expected):
        return SKIP_RRN
    return None


def _due(moment: datetime, window_days: int):
    return Certificate.objects.filter(
        status=Certificate.Status.ACTIVE,
        not_after__gte=moment,
        not_after__lte=moment + timedelta(days=window_days),
    )


def certificates_expire(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Mark current certificates past their expiry as expired (with an audit event each)."""
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
            Certificate.objects.filter(pk__in=[pk for pk, _ in rows]).update(
                status=Certificate.Status.EXPIRED
            )
            CertificateEvent.objects.bulk_create(
                CertificateEvent(
                    kind=CertificateEvent.Kind.EXPIRED, actor=CertificateEvent.Actor.SYSTEM,
                    certificate_id=pk, customer_id=customer_id, created_at=moment,
                    reason="유효기간 경과",
                )
                for pk, customer_id in rows
            )
        total += len(rows)


def certificates_renew(
    *,
    now: datetime | None = None,
    window_days: int | None = None,
    batch_size: int = 500,
    limit: int | None = None,
    dry_run: bool = False,
    progress: Callable[[RenewalReport], None] | None = None,
) -> RenewalReport:
    """Renew every active certificate expiring within the window; see the module docstring."""
    moment = now or clock_now()
    window_days = settings.RENEWAL_WINDOW_DAYS if window_days is None else window_days
    report = RenewalReport(dry_run=dry_run)
    if dry_run:
        report.expired = Certificate.objects.past_expiry(now=moment).count()
    else:
        report.expired = certificates_expire(now=moment)
    ca = load_issuing_ca()
    validity = timedelta(days=settings.CERTIFICATE_VALIDITY_DAYS)
    failed_pks: list[int] = []
    last_seen = (None, 0)  # dry runs page through instead of changing rows
    while limit is None or report.renewed + sum(report.skipped.values()) + report.failed < limit:
        room = batch_size if limit is None else min(
            batch_size, limit - report.renewed - sum(report.skipped.values()) - report.failed
        )
        with transaction.atomic():
            queryset = _due(moment, window_days).exclude(pk__in=failed_pks)
            if dry_run:
                if last_seen[0] is not None:
                    queryset = queryset.filter(pk__gt=last_seen[1])
                queryset = queryset.order_by("pk")
            else:
                queryset = queryset.select_for_update(skip_locked=True, of=("self",)).order_by(
                    "not_after", "pk"
                )
            batch = list(queryset.select_related("customer", "sealed_key")[:room])
            if not batch:
                break
            last_seen = (True, batch[-1].pk)
            _renew_batch(batch, ca=ca, moment=moment, validity=validity, report=report,
                         failed_pks=failed_pks, dry_run=dry_run)
        if progress is not None:
            progress(report)
    return report


def _renew_batch(batch, *, ca, moment, validity, report, failed_pks, dry_run):
    renewed_old, new_rows, events, notices = [], [], [], []
    mismatched: list[tuple[Certificate, str]] = []
    not_before = moment.replace(microsecond=0)
    for certificate in batch:
        try:
            parsed = pki.load_certificate(bytes(certificate.der))
            customer_rrn = crypto.decrypt(
                certificate.customer.resident_number_encrypted, purpose=RRN_PURPOSE
            )
            vid_random = base64.b64decode(
                crypto.decrypt(certificate.sealed_key.vid_random_encrypted, purpose=VID_PURPOSE)
            )
            reason = _mismatch(certificate, parsed, customer_rrn, vid_random)
            if reason is not None:
                mismatched.append((certificate, reason))
                continue
            if dry_run:
                renewed_old.append(certificate)
                continue
            serial = pki.random_serial()
            # The new period starts where the old one ends, as the customer would expect; a
            # certificate renewed late starts now.
            start = max(certificate.not_after, not_before)
            renewed = pki.renew_certificate(
                issuer_key=ca.key, issuer_cert=ca.cert, old_cert=parsed, serial=serial,
                not_before=start, not_after=start + validity,
            )
        except Exception as exc:  # one bad row must not stop the bank's nightly run
            report.failed += 1
            failed_pks.append(certificate.pk)
            if len(report.failures) < 20:
                report.failures.append(f"{certificate.serial}: {type(exc).__name__}: {exc}")
            continue
        renewed_old.append(certificate)
        new_rows.append(Certificate(
            customer_id=certificate.customer_id, sealed_key_id=certificate.sealed_key_id,
            serial=f"{serial:x}", subject=certificate.subject, key_type=certificate.key_type,
            not_before=start, not_after=start + validity, status=Certificate.Status.ACTIVE,
            der=pki.certificate_der(renewed), issued_name=certificate.issued_name,
            issued_phone=certificate.issued_phone, renewed_from_id=certificate.pk,
        ))
    report.renewed += len(renewed_old)
    for _certificate, reason in mismatched:
        report.skipped[reason] += 1
    if dry_run:
        return

    if mismatched:
        Certificate.objects.filter(pk__in=[c.pk for c, _ in mismatched]).update(
            status=Certificate.Status.REISSUE_REQUIRED
        )
        for certificate, reason in mismatched:
            events.append(CertificateEvent(
                kind=CertificateEvent.Kind.RENEWAL_SKIPPED, actor=CertificateEvent.Actor.SYSTEM,
                certificate_id=certificate.pk, customer_id=certificate.customer_id,
                created_at=moment, reason=f"고객 정보 불일치: {SKIP_REASONS[reason]}",
            ))
            notices.append((certificate.customer.phone, _reissue_required_text()))
    if renewed_old:
        # Old rows leave "active" before the new ones arrive: one current certificate per customer.
        Certificate.objects.filter(pk__in=[c.pk for c in renewed_old]).update(
            status=Certificate.Status.RENEWED
        )
        created = Certificate.objects.bulk_create(new_rows)
        for old, new in zip(renewed_old, created, strict=True):
            events.append(CertificateEvent(
                kind=CertificateEvent.Kind.RENEWED, actor=CertificateEvent.Actor.SYSTEM,
                certificate_id=new.pk, customer_id=old.customer_id, created_at=moment,
                reason=f"자동 갱신: 이전 일련번호 {old.serial}",
            ))
            notices.append((old.customer.phone, _renewed_text(new.not_after)))
    CertificateEvent.objects.bulk_create(events)
    sms_notify_many(messages=notices)


def _renewed_text(not_after: datetime) -> str:
    expiry = timezone.localtime(not_after).strftime("%Y.%m.%d")
    return (f"[{settings.BANK_NAME}] 금융인증서가 자동 갱신되었습니다. 새 유효기간 만료일: {expiry}")


def _reissue_required_text() -> str:
    return (f"[{settings.BANK_NAME}] 고객 정보가 변경되어 금융인증서를 자동 갱신하지 못했습니다. "
            "인증센터에서 재발급해 주세요.")
