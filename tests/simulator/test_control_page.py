"""The 시뮬레이터 제어 admin page: who sees it, moving the clock, renewal from the page, faults."""

import html
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certcenter import clock
from certcenter.models import SimulatorClock
from certificates.models import Certificate, RenewalRun, RevocationList
from simulator.models import SimulatorAction
from verification.backends import locmem
from verification.models import ChannelFault

pytestmark = pytest.mark.django_db

PAGE = "/admin/simulator/simulatoraction/"
CONTROL_URLS = [PAGE, PAGE + "clock/", PAGE + "renewal/", PAGE + "faults/", PAGE + "faults/clear/",
                PAGE + "scenarios/"]
EXPIRING = reverse("admin:certificates_certificate_changelist") + "?expiring=soon"


@pytest.fixture(autouse=True)
def fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PIN_SCRYPT_N = 2**10


def text(response) -> str:
    return html.unescape(response.content.decode())


def move(client, days, django_capture_on_commit_callbacks):
    """Press 앞으로 이동 (committed, as outside a test's transaction), then load the page."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE + "clock/", {"action": "forward", "days": days})
    assert response.status_code == 302
    return client.get(response["Location"])


# --- who may use it ------------------------------------------------------------------------------


def test_reverse_names_match_the_urls():
    assert reverse("admin:simulator_simulatoraction_changelist") == PAGE
    assert reverse("admin:simulator_clock") == PAGE + "clock/"


def test_linked_from_the_admin_index_for_a_controller(controls, controller_client):
    response = controller_client.get("/admin/")
    assert response.status_code == 200
    assert f'href="{PAGE}"' in text(response)
    assert "시뮬레이터 제어" in text(response)
    page = controller_client.get(PAGE)
    assert page.status_code == 200
    assert "시뮬레이터 제어" in text(page)


def test_staff_without_the_permission_neither_see_nor_use_it(controls, client):
    user = User.objects.create_user("reviewer", is_staff=True)
    client.force_login(user)
    assert PAGE not in text(client.get("/admin/"))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE + "clock/", {"action": "forward", "days": 5}).status_code == 403
    assert clock.offset() == timedelta(0)


def test_anonymous_visitors_are_sent_to_the_sign_in(controls, client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_with_the_second_factor_required_a_password_only_session_is_sent_to_sign_in(
        controls, controller_client, settings):
    settings.STAFF_OTP_REQUIRED = True
    response = controller_client.post(PAGE + "clock/", {"action": "forward", "days": 5})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert clock.offset() == timedelta(0)


@pytest.mark.parametrize("url", CONTROL_URLS)
def test_off_every_control_url_is_a_404(controls_off, controller, url):
    anonymous, staff = Client(), Client()
    staff.force_login(controller)
    for client in (anonymous, staff):
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "forward", "days": 5}).status_code == 404
    assert not SimulatorClock.objects.exists()


def test_off_the_page_is_not_on_the_admin_index(controls_off, admin_client):
    assert PAGE not in text(admin_client.get("/admin/"))
    assert admin_client.get("/admin/simulator/").status_code == 404  # the app's index: nothing in it


def test_off_a_superuser_cannot_move_the_clock_either(controls_off, admin_client):
    assert admin_client.post(PAGE + "clock/", {"action": "forward", "days": 340}).status_code == 404
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()


# --- the clock -----------------------------------------------------------------------------------


def test_moving_forward_shows_everywhere_logs_and_republishes(
        controls, controller_client, controller, published_crl, django_capture_on_commit_callbacks):
    response = move(controller_client, 339, django_capture_on_commit_callbacks)
    simulated = (timezone.localdate() + timedelta(days=339)).isoformat()
    assert f"시뮬레이터 시간이 {simulated} (실제 +339일)이 되었습니다." in text(response)
    # The notice on admin pages and on the customer's pages.
    assert f"시뮬레이터 시간: {simulated} (실제 +339일)" in text(response)
    assert f"시뮬레이터 시간: {simulated} (실제 +339일)" in text(Client().get("/"))
    action = SimulatorAction.objects.get()
    assert (action.kind, action.staff_user) == ("clock", controller)
    assert "+339일 이동" in action.detail
    # A CRL signed at the simulated time: the one before would be past its nextUpdate.
    newest = RevocationList.objects.latest()
    assert newest.pk != published_crl.pk
    assert newest.this_update.date() >= timezone.now().date() + timedelta(days=338)
    assert Client().get(reverse("certificates:crl")).status_code == 200


def test_moving_forward_adds_up(controls, controller_client, django_capture_on_commit_callbacks):
    move(controller_client, 100, django_capture_on_commit_callbacks)
    move(controller_client, 40, django_capture_on_commit_callbacks)
    assert clock.offset() == timedelta(days=140)


@pytest.mark.parametrize("days", ["0", "-3", "abc", "", "1826"])
def test_a_bad_number_of_days_is_refused_in_korean(controls, controller_client, days):
    response = controller_client.post(PAGE + "clock/", {"action": "forward", "days": days})
    assert response.status_code == 400
    assert 'role="alert"' in text(response)
    assert clock.offset() == timedelta(0)


def test_moving_to_a_date(controls, controller_client, django_capture_on_commit_callbacks):
    target = timezone.localdate() + timedelta(days=339)
    with django_capture_on_commit_callbacks(execute=True):
        controller_client.post(PAGE + "clock/", {"action": "date", "day": target.isoformat()})
    assert clock.today() == target
    assert clock.offset().days == 339


def test_a_date_not_after_the_simulated_today_is_refused(controls, controller_client):
    today = timezone.localdate().isoformat()
    response = controller_client.post(PAGE + "clock/", {"action": "date", "day": today}, follow=True)
    assert "시계는 앞으로만 옮길 수 있습니다." in text(response)
    assert clock.offset() == timedelta(0)


def test_back_to_real_time(controls, controller_client, django_capture_on_commit_callbacks):
    move(controller_client, 200, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = controller_client.post(PAGE + "clock/", {"action": "reset"})
    response = controller_client.get(response["Location"])
    assert clock.offset() == timedelta(0)
    assert "시뮬레이터 시간:" not in text(Client().get("/"))
    assert "시뮬레이터 시계가 실제 시간으로 돌아왔습니다." in text(response)
    assert list(SimulatorAction.objects.values_list("detail", flat=True))[0].startswith("실제 시간으로")


# --- the expiring filter and renewal -------------------------------------------------------------


def test_the_expiring_filter_follows_the_moved_clock(controls, controller_client, admin_client,
                                                     certificate, django_capture_on_commit_callbacks):
    assert certificate.pk not in [c.pk for c in admin_client.get(EXPIRING).context["cl"].result_list]
    move(controller_client, 340, django_capture_on_commit_callbacks)
    assert certificate.pk in [c.pk for c in admin_client.get(EXPIRING).context["cl"].result_list]


def test_renewal_from_the_page_runs_the_job_and_shows_its_summary(
        controls, outbox, controller_client, certificate, django_capture_on_commit_callbacks):
    move(controller_client, 340, django_capture_on_commit_callbacks)
    locmem.clear_outbox()
    with django_capture_on_commit_callbacks(execute=True):
        response = controller_client.post(PAGE + "renewal/")
    response = controller_client.get(response["Location"])
    summary = "renewed: 1; skipped (reissue required): 0; expired: 0; failed: 0"
    assert f"자동 갱신 결과: {summary}" in text(response)
    assert summary in text(response.client.get(PAGE))  # 마지막 실행
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.RENEWED
    renewed = certificate.renewed_by
    # The new period starts where the old one ends, one year on from the simulated date.
    assert renewed.not_before == certificate.not_after
    assert [d.body for d in outbox if d.kind == "sms"] == [
        f"[KB국민은행] 금융인증서가 자동 갱신되었습니다. 새 유효기간 만료일: "
        f"{timezone.localtime(renewed.not_after):%Y.%m.%d}"
    ]
    assert SimulatorAction.objects.filter(kind="renewal", detail=summary).exists()
    # On record like the cron job's runs, named by where it ran from.
    run = RenewalRun.objects.get()
    assert (run.source, run.renewed, run.finished_at is not None) == ("simulator", 1, True)


def test_renewal_dry_run_from_the_page_changes_nothing(
        controls, controller_client, certificate, django_capture_on_commit_callbacks):
    move(controller_client, 340, django_capture_on_commit_callbacks)
    response = controller_client.post(PAGE + "renewal/", {"dry_run": "on"}, follow=True)
    assert "[dry run] would have renewed: 1" in text(response)
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE


# --- faults --------------------------------------------------------------------------------------


def test_a_fault_set_and_cleared_on_the_page(controls, controller_client, controller,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = controller_client.post(
            PAGE + "faults/", {"phone": "010-1234-5678", "kind": "sms_delayed", "seconds": "90"},
            follow=True)
    assert "채널 장애를 설정했습니다" in text(response)
    fault = ChannelFault.objects.get()
    assert (fault.phone, fault.channel, fault.kind, fault.seconds) == (
        "+821012345678", "sms", "sms_delayed", 90)
    assert "010-1234-5678" in text(response)
    with django_capture_on_commit_callbacks(execute=True):
        controller_client.post(PAGE + "faults/", {"phone": "", "kind": "ars_busy"})
    assert ChannelFault.objects.get(phone="").kind == "ars_busy"
    with django_capture_on_commit_callbacks(execute=True):
        controller_client.post(PAGE + "faults/clear/", {"fault": fault.pk})
    assert list(ChannelFault.objects.values_list("kind", flat=True)) == ["ars_busy"]
    with django_capture_on_commit_callbacks(execute=True):
        controller_client.post(PAGE + "faults/clear/")
    assert not ChannelFault.objects.exists()
    assert list(SimulatorAction.objects.order_by("id").values_list("detail", "staff_user")) == [
        ("SMS 지연 도착 (90초) → 010-1234-****", controller.pk),
        ("ARS 통화 중 → 모든 휴대폰", controller.pk),
        (f"장애 해제 1건 (#{fault.pk})", controller.pk),
        ("장애 해제 1건 (전체)", controller.pk),
    ]


@pytest.mark.parametrize(("data", "message"), [
    ({"phone": "02-123-4567", "kind": "sms_lost"}, "휴대폰 번호"),
    ({"phone": "", "kind": "bogus"}, "장애 종류를 목록에서 고르세요."),
    ({"phone": "", "kind": "sms_delayed", "seconds": "99999"}, "3600"),
])
def test_a_bad_fault_is_refused_in_korean(controls, controller_client, data, message):
    response = controller_client.post(PAGE + "faults/", data)
    assert response.status_code == 400
    assert message in text(response)
    assert not ChannelFault.objects.exists()


def test_get_on_an_action_url_changes_nothing(controls, controller_client):
    for url in CONTROL_URLS[1:]:
        assert controller_client.get(url).status_code == 302
    assert not SimulatorAction.objects.exists()


def test_renewal_without_a_ca_is_a_message_not_a_500(controls, controller_client, monkeypatch):
    def no_ca():
        raise FileNotFoundError("CA_DIR has no CA: run init_ca")

    monkeypatch.setattr("certificates.renewal.load_issuing_ca", no_ca)
    response = controller_client.post(PAGE + "renewal/", follow=True)
    assert response.status_code == 200
    assert "자동 갱신을 실행하지 못했습니다: CA_DIR has no CA: run init_ca" in text(response)
