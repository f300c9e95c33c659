"""The overview on the admin index: warnings about the renewal job, charts and their numbers.

``{% staff_overview %}`` in ``templates/admin/index.html``; each part is shown only to staff who
may view what it counts (certificates, renewal runs).
"""

from django import template
from django.urls import reverse
from django.utils.translation import gettext

from certificates import charts, selectors
from certificates.models import CertificateEvent
from verification.selectors import fraud_reports_open

register = template.Library()


@register.inclusion_tag("admin/certificates/overview.html", takes_context=True)
def staff_overview(context):
    request = context["request"]
    user = request.user
    shown = {"certificates": user.has_perm("certificates.view_certificate"),
             "runs": user.has_perm("certificates.view_renewalrun")}
    data = {"shown": shown}
    if shown["runs"]:
        data["run_warnings"] = selectors.renewal_run_warnings()
        data["runs"] = selectors.renewal_runs_latest()
    if shown["certificates"]:
        data.update(_certificate_figures())
    return data


def _certificate_figures() -> dict:
    overview = selectors.certificate_overview()
    status_rows = [(label, n) for _value, label, n in overview.by_status]
    series = [charts.Series(str(CertificateEvent.Kind(kind).label), overview.per_day[kind],
                            charts.COLOURS[i])
              for i, kind in enumerate(selectors.DAILY_KINDS)]
    day_labels = [f"{day:%m/%d}" for day in overview.days]
    week_labels = [f"{first:%m/%d}" for first, _last in overview.weeks]
    changelist = reverse("admin:certificates_certificate_changelist")
    fraud_count = fraud_reports_open().count()  # 본인이 요청하지 않음, waiting for staff
    fraud_url = reverse("admin:verification_fraudreport_changelist") + "?status__exact=open"
    return {
        "overview": overview,
        "status_chart": charts.bar_chart(
            title_id="ops-chart-status", rows=status_rows,
            title=gettext("상태별 인증서 (전체 %(total)s건)") % {"total": f"{overview.total:,}"},
        ),
        "total": f"{overview.total:,}",
        "status_rows": [(value, label, f"{n:,}") for value, label, n in overview.by_status],
        "daily_chart": charts.column_chart(
            title_id="ops-chart-daily", labels=day_labels, series=series, label_every=5,
            title=gettext("최근 %(days)d일 일별 발급·재발급·갱신·폐기 건수")
            % {"days": selectors.OVERVIEW_DAYS},
        ),
        "daily_series": series,
        "daily_rows": [(day, [f"{each.values[i]:,}" for each in series])
                       for i, day in enumerate(overview.days)],
        "weekly_chart": charts.column_chart(
            title_id="ops-chart-weekly", labels=week_labels,
            series=[charts.Series(gettext("만료 예정"), overview.expiring_per_week,
                                  charts.COLOURS[0])],
            title=gettext("향후 %(weeks)d주 주별 만료 예정 인증서") % {"weeks": selectors.OVERVIEW_WEEKS},
        ),
        "weekly_rows": [(week, f"{n:,}") for week, n
                        in zip(overview.weeks, overview.expiring_per_week, strict=True)],
        "changelist": changelist,
        "fraud_count": fraud_count,
        "fraud_url": fraud_url,
    }
