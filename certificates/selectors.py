"""Reads of certificates for the wizard, the public files and the admin: no writes here."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext

from certcenter.clock import now
from certificates.models import Certificate, CertificateEvent, CertificateUse, RenewalRun


def certificate_current(*, customer_id: int) -> Certificate | None:
    """The certificate that stands for the customer now (active, locked, reissue required or
    suspended)."""
    return Certificate.objects.current().filter(customer_id=customer_id).first()


def certificate_finished(*, pk: int) -> Certificate | None:
    return Certificate.objects.select_related("customer").filter(pk=pk).first()


def certificate_replaced_by(*, certificate: Certificate) -> Certificate | None:
    """The certificate a reissue revoked to make way for ``certificate``, if any."""
    return certificate.replaces.order_by("-revoked_at").first()


# -- 인증서 관리 (the connected customer's own certificates) ----------------------------------------

def certificates_of_customer(*, customer_id: int) -> list[Certificate]:
    """Every certificate the customer holds or held, newest first (attempts that never became a
    certificate left out), each with ``last_used_at``, ``signature_count`` (uses that passed
    verification) and ``renewed_at`` (when its successor was issued, if it was renewed)."""
    return list(
        Certificate.objects.filter(customer_id=customer_id)
        .exclude(status__in=[Certificate.Status.PENDING, Certificate.Status.FAILED])
        .annotate(
            last_used_at=Max("uses__created_at"),
            signature_count=Count("uses", filter=Q(uses__result="ok")),
            renewed_at=F("renewed_by__created_at"),
        )
        .order_by("-created_at", "-pk")
    )


def certificate_uses_recent(*, certificate_id: int, limit: int = 20) -> list[CertificateUse]:
    """The certificate's latest uses (signatures asked for and checked), newest first."""
    return list(CertificateUse.objects.filter(certificate_id=certificate_id)
                .order_by("-created_at", "-id")[:limit])


def certificate_use_problem(certificate: Certificate | None) -> str | None:
    """Why the customer cannot use their current certificate with its PIN now, or None if they can:
    "none" (no certificate), "locked", "reissue_required", "suspended" or "expired"."""
    if certificate is None:
        return "none"
    if certificate.status == Certificate.Status.LOCKED:
        return "locked"
    if certificate.status == Certificate.Status.REISSUE_REQUIRED:
        return "reissue_required"
    if certificate.status == Certificate.Status.SUSPENDED:
        return "suspended"
    if certificate.status != Certificate.Status.ACTIVE or certificate.not_after < now():
        return "expired"
    return None


# -- The staff overview (admin index) ---------------------------------------------------------------
#
# Every figure is one aggregate query over an index (status + not_after, events' created_at), so
# the page costs the same with a thousand certificates or a million: no row is read into Python.

OVERVIEW_DAYS = 30
OVERVIEW_WEEKS = 13
# The events counted per day, in the chart's order (a reissue is its own kind, not an issue).
DAILY_KINDS = (CertificateEvent.Kind.ISSUED, CertificateEvent.Kind.REISSUED,
               CertificateEvent.Kind.RENEWED, CertificateEvent.Kind.REVOKED)
# Past this many hours without a finished renewal run, staff are warned (a nightly job, plus slack).
RENEWAL_RUN_STALE_HOURS = 26


@dataclass(frozen=True)
class Overview:
    by_status: list[tuple[str, str, int]]  # (status, label, count) in the choices' order
    total: int
    days: list[date]
    per_day: dict[str, list[int]]  # event kind → counts, one per day in ``days``
    weeks: list[tuple[date, date]]  # (first day, last day) in Seoul
    expiring_per_week: list[int]

    def status_count(self, status: str) -> int:
        return next((n for value, _label, n in self.by_status if value == status), 0)

    @property
    def locked(self) -> int:
        return self.status_count(Certificate.Status.LOCKED)

    @property
    def suspended(self) -> int:
        return self.status_count(Certificate.Status.SUSPENDED)


def certificate_overview(*, moment: datetime | None = None) -> Overview:
    moment = moment or now()
    seoul = timezone.get_current_timezone()
    counts = dict(Certificate.objects.order_by().values_list("status").annotate(n=Count("*")))
    by_status = [(value, str(label), counts.get(value, 0))
                 for value, label in Certificate.Status.choices]

    today = timezone.localdate(moment)
    days = [today - timedelta(days=OVERVIEW_DAYS - 1 - i) for i in range(OVERVIEW_DAYS)]
    first = datetime.combine(days[0], time.min, tzinfo=seoul)
    rows = (CertificateEvent.objects.order_by()
            .filter(created_at__gte=first, kind__in=DAILY_KINDS)
            .annotate(day=TruncDate("created_at", tzinfo=seoul))
            .values_list("day", "kind").annotate(n=Count("*")))
    index = {day: i for i, day in enumerate(days)}
    per_day = {kind: [0] * OVERVIEW_DAYS for kind in DAILY_KINDS}
    for day, kind, n in rows:
        if day in index:  # an event stamped in the future (a moved clock) is left out
            per_day[kind][index[day]] += n

    # Weeks counted from now: week 1 is the next seven days. One pass, one FILTER per week;
    # not_after is counted (not the rows) so the (status, not_after) index alone answers.
    edges = [moment + timedelta(weeks=i) for i in range(OVERVIEW_WEEKS + 1)]
    weekly = Certificate.objects.current().order_by().filter(
        not_after__gte=edges[0], not_after__lt=edges[-1],  # the index range: 13 weeks, not all
    ).aggregate(**{
        f"w{i}": Count("not_after", filter=Q(not_after__gte=edges[i], not_after__lt=edges[i + 1]))
        for i in range(OVERVIEW_WEEKS)
    })
    weeks = [(timezone.localdate(edges[i]), timezone.localdate(edges[i + 1] - timedelta(seconds=1)))
             for i in range(OVERVIEW_WEEKS)]
    return Overview(
        by_status=by_status, total=sum(counts.values()), days=days, per_day=per_day,
        weeks=weeks, expiring_per_week=[weekly[f"w{i}"] for i in range(OVERVIEW_WEEKS)],
    )


def renewal_runs_latest(*, limit: int = 5) -> list[RenewalRun]:
    return list(RenewalRun.objects.order_by("-started_at", "-id")[:limit])


def renewal_run_warnings(*, moment: datetime | None = None) -> list[str]:
    """What staff must hear about the renewal job: the latest run failed or died, or no run
    finished within RENEWAL_RUN_STALE_HOURS. Dry runs renew nothing, so they do not count."""
    moment = moment or now()
    runs = RenewalRun.objects.filter(dry_run=False)
    warnings = []
    latest = runs.order_by("-started_at", "-id").first()
    if latest is not None and latest.outcome in (RenewalRun.Outcome.FAILED,
                                                 RenewalRun.Outcome.ABORTED):
        warnings.append(gettext("최근 갱신 실행(%(when)s)이 실패했습니다: %(outcome)s.") % {
            "when": f"{timezone.localtime(latest.started_at):%Y-%m-%d %H:%M}",
            "outcome": latest.get_outcome_display(),
        })
    since = moment - timedelta(hours=RENEWAL_RUN_STALE_HOURS)
    if not runs.filter(finished_at__gte=since, finished_at__lte=moment).exists():
        warnings.append(gettext("최근 %(hours)d시간 동안 끝까지 완료된 갱신 실행이 없습니다. "
                                "갱신 작업(cron)을 확인하세요.") % {"hours": RENEWAL_RUN_STALE_HOURS})
    return warnings

