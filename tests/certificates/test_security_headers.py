"""Every page a customer or staff member sees carries a strict Content-Security-Policy and a
Permissions-Policy: no inline script or style is allowed, and no browser feature we do not use."""

import pytest
from django.test import Client
from django.urls import reverse

from certcenter import views
from tests.conftest import PIN
from verification import services as verification

pytestmark = pytest.mark.django_db

SIMULATED = "verification.backends.simulated.SimulatedBackend"


def directives(response):
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_strict_headers(response):
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert policy[directive] == ["'self'"], (directive, policy[directive])
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions


@pytest.mark.parametrize(
    "url", ["/", "/personal/", "/corporate/", reverse("certificates:terms"), "/admin/login/"]
)
def test_menu_pages_and_admin_login(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_strict_headers(response)


def test_every_wizard_step_issue_and_reissue(wizard_factory, settings):
    settings.SMS_RESEND_COOLDOWN = 0
    settings.ARS_RECALL_COOLDOWN = 0
    seen = set()
    for kind in ("issue", "reissue"):
        wizard = wizard_factory(client=Client())
        order = ["terms", "identify", "reissue", "ars", "extra", "sms", "pin"]
        for step in order:
            if step == "reissue" and kind == "issue":
                continue
            page = wizard.get(step)
            assert page.status_code == 200, (kind, step)
            assert_strict_headers(page)
            # A refused submit renders the step again with its errors.
            refused = wizard.post(step, {})
            assert_strict_headers(refused)
            seen.add(step)
            response = wizard.reissue() if step == "reissue" else (
                wizard.pin(PIN if kind == "issue" else "246802") if step == "pin"
                else getattr(wizard, step)()
            )
            assert response.status_code == 302, (kind, step)
            assert_strict_headers(response)
        done = wizard.get("done")
        assert done.status_code == 200 and "발급 완료" in done.content.decode()
        assert_strict_headers(done)
    assert seen == {"terms", "identify", "reissue", "ars", "extra", "sms", "pin"}


def test_timeout_page(client):
    response = client.get(reverse("certificates:timeout"))
    assert response.status_code == 200
    assert_strict_headers(response)


def test_handset_pages(client, settings, customer, django_capture_on_commit_callbacks):
    settings.ARS_BACKEND = SIMULATED
    with django_capture_on_commit_callbacks(execute=True):
        call = verification.ars_call_start(phone=customer.phone, purpose="issue.ars")
    phone_page = reverse("verification:handset_phone", kwargs={"phone": customer.phone})
    for response in (
        client.get(reverse("verification:handset_list")),
        client.get(phone_page),
        client.post(
            reverse("verification:handset_key_in",
                    kwargs={"phone": customer.phone, "challenge_id": call.pk}),
            {"digits": "x"},
        ),
    ):
        assert response.status_code in (200, 400)
        assert_strict_headers(response)
    assert "전화 수신 중" in client.get(phone_page).content.decode()


def test_error_pages(client, monkeypatch):
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404
    assert_strict_headers(not_found)

    bad_host = client.get("/", HTTP_HOST="attacker.example")
    assert bad_host.status_code == 400
    assert_strict_headers(bad_host)

    csrf = Client(enforce_csrf_checks=True).post(reverse("certificates:terms"), {})
    assert csrf.status_code == 403
    assert "보안 확인 정보가 만료되었습니다" in csrf.content.decode()
    assert_strict_headers(csrf)

    def broken(self, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.HomeView, "get_context_data", broken)
    server_error = Client(raise_request_exception=False).get("/")
    assert server_error.status_code == 500
    assert "일시적인 오류가 발생했습니다" in server_error.content.decode()
    assert_strict_headers(server_error)


def test_admin_pages_under_the_policy(admin_client, customer):
    for url in (
        reverse("admin:index"),
        reverse("admin:accounts_customer_changelist"),
        reverse("admin:accounts_customer_change", args=[customer.pk]),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_strict_headers(response)
