"""The overview on the admin index: figures from aggregate queries, charts with their tables,
shown to the staff who may see what they count."""

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certificates import charts
from certificates.lifecycle import certificate_revoke, certificate_suspend, certificates_lock
from certificates.models import CertificateEvent
from certificates.renewal import certificates_renew
from certificates.selectors import certificate_overview
from tests.conftest import staff_login
from verification.models import FraudReport
from verification.services import ars_call_start, fraud_report_call

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
FRAUD_LIST = reverse("admin:verification_fraudreport_changelist")
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(autouse=True)
def fast(settings):
    settings.PIN_SCRYPT_N = 2**10
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page(response):
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def table(body, caption):
    """The rows of the table with this caption, as lists of cell texts."""
    match = re.search(rf"<caption>{re.escape(caption)}</caption>(.*?)</table>", body, re.S)
    assert match, caption
    rows = re.findall(r"<tr>(.*?)</tr>", match.group(1), re.S)
    return [[re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def test_the_index_without_data(admin_client):
    body = page(admin_client.get(INDEX))
    assert "운영 현황" in body
    statuses = dict(table(body, "상태별 인증서 수")[1:])
    assert statuses["정상"] == "0" and statuses["폐기"] == "0"
    assert all(row[1:] == ["0"] * 4 for row in table(body, "최근 30일 일별 건수")[1:])
    weeks = table(body, "향후 13주 주별 만료 예정 인증서 수")[1:]
    assert len(weeks) == 13 and {row[1] for row in weeks} == {"0"}
    assert "기록된 갱신 실행이 없습니다." in body
    # Django's list of apps is still there.
    for name in ["인증서", "인증서 이력", "고객", "갱신 실행 기록"]:
        assert name in body


def test_charts_are_images_with_a_title_and_a_table(admin_client, certificate):
    body = page(admin_client.get(INDEX))
    svgs = re.findall(r"<svg class=\"ops-chart\"[^>]*>.*?</svg>", body, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        labelled = re.search(r'role="img" aria-labelledby="([^"]+)"', svg).group(1)
        assert f'<title id="{labelled}">' in svg
        assert "style=" not in svg  # the CSP allows no inline style
    assert body.count("<figure") == 3 and body.count("<figcaption>") == 3
    assert body.count('<th scope="col"') >= 9


def test_the_figures_with_data(admin_client, certificate_factory, customer_factory,
                               django_capture_on_commit_callbacks):
    first = certificate_factory(customer=customer_factory())
    second = certificate_factory(customer=customer_factory())
    third = certificate_factory(customer=customer_factory())
    certificate_factory(customer=third.customer, pin="246802", reissue_reason="lost")  # revokes third
    certificate_revoke(certificate=second, reason="key_compromise",
                       actor=CertificateEvent.Actor.SYSTEM)
    certificate_suspend(certificate=first, actor=CertificateEvent.Actor.SYSTEM)
    locked = certificate_factory(customer=customer_factory())
    certificates_lock(sealed_key_id=locked.sealed_key_id, customer_id=locked.customer_id,
                      client_ip=None, reason="test")

    overview = certificate_overview()
    assert overview.status_count("active") == 1  # the reissued one
    assert (overview.locked, overview.suspended, overview.status_count("revoked")) == (1, 1, 2)
    assert overview.total == 5
    assert [values[-1] for values in overview.per_day.values()] == [4, 1, 0, 2]

    body = page(admin_client.get(INDEX))
    statuses = dict(table(body, "상태별 인증서 수")[1:])
    assert (statuses["정상"], statuses["폐기"], statuses["효력정지"]) == ("1", "2", "1")
    assert statuses["잠김(비밀번호 오류)"] == "1"
    today = table(body, "최근 30일 일별 건수")[-1]
    assert today[1:] == ["4", "1", "0", "2"]
    assert re.search(r"<dt>효력정지</dt><dd><a [^>]+>1</a></dd>", body)


def test_renewals_are_counted_on_the_day_they_happened(certificate_factory, customer_factory,
                                                       django_capture_on_commit_callbacks):
    due = certificate_factory(customer=customer_factory())
    moment = due.not_after - timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(moment, tick=False):
        certificates_renew(now=moment)
    renewed = certificate_overview(moment=moment).per_day[CertificateEvent.Kind.RENEWED]
    assert renewed[-1] == 1 and sum(renewed) == 1
    # Thirty days on, the renewal has left the chart.
    later = certificate_overview(moment=moment + timedelta(days=30))
    assert sum(later.per_day[CertificateEvent.Kind.RENEWED]) == 0


def test_days_are_seoul_days(certificate_factory, customer_factory):
    with time_machine.travel(datetime(2026, 11, 30, 23, 59, 59, tzinfo=SEOUL), tick=False):
        certificate_factory(customer=customer_factory())
    with time_machine.travel(datetime(2026, 12, 1, 0, 0, 0, tzinfo=SEOUL), tick=False):
        certificate_factory(customer=customer_factory())
    overview = certificate_overview(moment=datetime(2026, 12, 1, 12, 0, tzinfo=SEOUL))
    assert overview.days[-1].isoformat() == "2026-12-01"
    assert overview.per_day[CertificateEvent.Kind.ISSUED][-2:] == [1, 1]
    # 30 days back: what happened 31 days ago is left out.
    later = certificate_overview(moment=datetime(2026, 12, 30, 12, 0, tzinfo=SEOUL))
    assert later.days[0].isoformat() == "2026-12-01"
    assert sum(later.per_day[CertificateEvent.Kind.ISSUED]) == 1


def test_expiring_per_week_counts_current_certificates_from_now(certificate_factory,
                                                                customer_factory):
    kept = certificate_factory(customer=customer_factory())
    gone = certificate_factory(customer=customer_factory())
    certificate_revoke(certificate=gone, reason="key_compromise",
                       actor=CertificateEvent.Actor.SYSTEM)
    expiry = kept.not_after
    assert certificate_overview(moment=expiry - timedelta(days=10)).expiring_per_week[1] == 1
    assert certificate_overview(moment=expiry - timedelta(days=7)).expiring_per_week[0] == 0
    assert certificate_overview(moment=expiry - timedelta(days=7)).expiring_per_week[1] == 1
    assert certificate_overview(
        moment=expiry - timedelta(days=7, seconds=-1)).expiring_per_week[0] == 1
    assert sum(certificate_overview(moment=expiry - timedelta(weeks=13)).expiring_per_week) == 0
    assert sum(certificate_overview(moment=expiry - timedelta(weeks=13, seconds=-1))
               .expiring_per_week) == 1


def test_the_index_costs_the_same_queries_for_any_number_of_certificates(
        admin_client, certificate_factory, customer_factory):
    certificate_factory(customer=customer_factory())
    admin_client.get(INDEX)
    with CaptureQueriesContext(connection) as few:
        page(admin_client.get(INDEX))
    for _ in range(4):
        certificate_factory(customer=customer_factory())
    with CaptureQueriesContext(connection) as more:
        page(admin_client.get(INDEX))
    assert len(more) == len(few)


def test_open_fraud_reports_are_counted_and_linked(admin_client, customer_factory):
    def shown():
        match = re.search(r"<dt>미처리 부정 사용 신고</dt><dd><a href=\"([^\"]+)\">(\d+)</a></dd>",
                          page(admin_client.get(INDEX)))
        return html.unescape(match.group(1)), int(match.group(2))

    assert shown() == (FRAUD_LIST + "?status__exact=open", 0)
    for _ in range(2):
        customer = customer_factory()
        call = ars_call_start(phone=customer.phone, purpose="issuance.ars", customer=customer)
        fraud_report_call(phone=customer.phone, challenge_id=call.pk)
    assert shown()[1] == 2
    FraudReport.objects.filter(pk=FraudReport.objects.first().pk).update(
        status=FraudReport.Status.CLEARED)
    assert shown()[1] == 1


def staff_client(username, group_name=None):
    return staff_login(username, group_name)[0]


@pytest.mark.parametrize("group", ["인증서 검토자", "인증서 관리자"])
def test_reviewers_and_officers_see_the_overview(group, certificate):
    body = page(staff_client("staff", group).get(INDEX))
    assert "운영 현황" in body and "상태별 인증서 수" in body and "최근 갱신 실행" in body


def test_staff_without_a_group_see_only_the_app_list():
    body = page(staff_client("nobody").get(INDEX))
    assert "운영 현황" not in body and "ops-chart" not in body


# -- The charts alone ----------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20),
                                            (999, 1000), (1001, 2000), (250_000, 500_000)])
def test_axis_top(value, top):
    assert charts.nice_max(value) == top


def test_a_column_chart_stacks_its_series_and_escapes_its_text():
    svg = charts.column_chart(
        title_id="t", title="<b>제목</b>", labels=["a", "b"],
        series=[charts.Series("x", [1, 0], "#000000"), charts.Series("y", [1, 2], "#111111")],
    )
    assert "<title id=\"t\">&lt;b&gt;제목&lt;/b&gt;</title>" in svg
    assert svg.count("<rect") == 3  # a zero draws nothing
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([0-9.]+)"', svg)]
    assert heights[0] + heights[1] == pytest.approx(heights[2])  # 1 + 1 stacked = 2
