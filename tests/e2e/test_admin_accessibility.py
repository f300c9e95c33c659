"""Every admin page staff use passes axe-core at 1280 px with no serious or critical violation.

A staff member signs in with password and TOTP code (as in production), then each page of
``ADMIN_PAGES`` is opened and checked with axe-core (the copy shipped in ``axe-playwright-python``).
A failing page prints each violation: its rule, impact, help and the elements it found.

To check a new admin page, add a line to ``ADMIN_PAGES``: a label, the URL name, and the name of the
``StaffData`` attribute whose primary key the URL takes (or None); a page that needs a row of its
own (a renewal run's detail) gets a field in ``StaffData`` made in ``staff_data``. A URL with a
query string goes in ``ADMIN_PATHS``. ``AXE_CORE_JS=…/axe.min.js`` runs another axe-core build.
"""

import os
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from certificates import lifecycle
from certificates.models import (
    Certificate,
    CertificateEvent,
    CertificateExport,
    RenewalFailure,
    RenewalRun,
)
from certificates.publication import crl_publish
from certificates.services import certificate_issue
from tests.conftest import PIN
from tests.e2e.conftest import DEFAULT_TIMEOUT_MS
from verification import services as verification
from verification.models import Challenge, DailyFailureCount, FraudReport, HandsetMessage

# (label, URL name, the staff_data attribute whose pk the URL takes, or None)
ADMIN_PAGES = [
    ("index", "admin:index", None),
    ("certificate list", "admin:certificates_certificate_changelist", None),
    ("certificate detail", "admin:certificates_certificate_change", "certificate"),
    ("revoke one", "admin:certificates_certificate_revoke", "certificate"),
    ("suspend", "admin:certificates_certificate_suspend", "certificate"),
    ("resume", "admin:certificates_certificate_resume", "suspended"),
    ("customer list", "admin:accounts_customer_changelist", None),
    ("customer detail", "admin:accounts_customer_change", "customer"),
    ("audit list", "admin:certificates_certificateevent_changelist", None),
    ("audit detail", "admin:certificates_certificateevent_change", "event"),
    ("CRL list", "admin:certificates_revocationlist_changelist", None),
    ("CRL detail", "admin:certificates_revocationlist_change", "crl"),
    ("challenge list", "admin:verification_challenge_changelist", None),
    ("challenge detail", "admin:verification_challenge_change", "challenge"),
    ("handset message list", "admin:verification_handsetmessage_changelist", None),
    ("handset message detail", "admin:verification_handsetmessage_change", "message"),
    ("daily failure list", "admin:verification_dailyfailurecount_changelist", None),
    ("daily failure detail", "admin:verification_dailyfailurecount_change", "daily_failure"),
    ("staff user list", "admin:auth_user_changelist", None),
    ("TOTP device list", "admin:otp_totp_totpdevice_changelist", None),
    ("renewal run list", "admin:certificates_renewalrun_changelist", None),
    ("renewal run detail", "admin:certificates_renewalrun_change", "renewal_run"),
    ("export list", "admin:certificates_certificateexport_changelist", None),
    ("export detail", "admin:certificates_certificateexport_change", "export"),
    ("fraud report list", "admin:verification_fraudreport_changelist", None),
    ("fraud report detail", "admin:verification_fraudreport_change", "fraud_report"),
    ("simulator controls", "admin:simulator_simulatoraction_changelist", None),
]
# Extra pages given by path (a query string), checked like the others.
ADMIN_PATHS = [
    ("revoke many", lambda data: reverse("admin:certificates_certificate_revoke_many")
     + f"?ids={data.certificate.pk},{data.suspended.pk}"),
    ("certificate search", lambda data: reverse("admin:certificates_certificate_changelist")
     + "?q=hong&status__exact=active"),
]
BLOCKING = {"serious", "critical"}
WIDTH = 1280
PASSWORD = "correct horse battery staple"


@dataclass
class StaffData:
    customer: object
    certificate: Certificate
    suspended: Certificate
    event: CertificateEvent
    crl: object
    challenge: Challenge
    message: HandsetMessage
    daily_failure: DailyFailureCount
    renewal_run: RenewalRun
    export: CertificateExport
    fraud_report: FraudReport


@pytest.fixture
def staff_data(live_customer, customer_factory, e2e_settings):
    """One of everything the admin lists: certificates (one suspended), their audit rows, a CRL, an
    SMS challenge with a wrong entry (a daily failure count), a handset message."""
    e2e_settings.PIN_SCRYPT_N = 2**10
    e2e_settings.SIMULATOR_CONTROLS_ENABLED = True  # the 시뮬레이터 제어 page
    certificate = certificate_issue(customer=live_customer, pin=PIN, flow_id="a11y-1")
    other = customer_factory()
    suspended = certificate_issue(customer=other, pin=PIN, flow_id="a11y-2")
    lifecycle.certificate_suspend(certificate=suspended, actor=CertificateEvent.Actor.STAFF,
                                  note="점검")
    challenge = verification.sms_send(customer=live_customer, phone=live_customer.phone,
                                      purpose="issue", flow_id="a11y-1")
    verification.sms_verify(challenge_id=challenge.pk, code="000000")
    # A failed renewal run (the index warns about it; its page lists the failure) and an export.
    run = RenewalRun.objects.create(
        started_at=timezone.now(), finished_at=timezone.now(), outcome="failed", exit_status=1,
        host="cron1", pid=4242, source="command", window_days=30, batch_size=500, renewed=3,
        failed=1, skipped={"name_changed": 1}, skipped_total=1,
    )
    RenewalFailure.objects.create(run=run, certificate=certificate, serial=certificate.serial,
                                  error="ValueError: error parsing asn1 value")
    export = CertificateExport.objects.create(
        staff_user=get_user_model().objects.create_user("exporter", is_staff=True),
        filters={"status__exact": "active"}, started_at=timezone.now(), row_count=1,
    )
    # A 본인이 요청하지 않음 report on a third customer's call.
    reporter = customer_factory()
    call = verification.ars_call_start(phone=reporter.phone, purpose="issuance.ars",
                                       customer=reporter)
    fraud_report, _ = verification.fraud_report_call(phone=reporter.phone, challenge_id=call.pk)
    return StaffData(
        customer=live_customer, certificate=certificate, suspended=suspended,
        event=CertificateEvent.objects.filter(certificate=certificate).first(),
        crl=crl_publish(), challenge=Challenge.objects.get(pk=challenge.pk),
        message=HandsetMessage.objects.first(),
        daily_failure=DailyFailureCount.objects.first(),
        renewal_run=run, export=export, fraud_report=fraud_report,
    )


@pytest.fixture
def staff_user(transactional_db, e2e_settings):
    """A superuser with a confirmed TOTP device; staff must give its code (as in production)."""
    e2e_settings.STAFF_OTP_REQUIRED = True
    e2e_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = get_user_model().objects.create_user("alice", password=PASSWORD, is_staff=True,
                                                is_superuser=True)
    TOTPDevice.objects.create(user=user, name="인증 앱", confirmed=True)
    return user


@pytest.fixture
def admin_page(browser, live_server):
    """A 1280 px page, not signed in."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="ko-KR",
                                  timezone_id="Asia/Seoul")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    # As in tests/e2e/conftest.py: any Content-Security-Policy refusal fails the test, except those
    # of axe-core itself (injected by page.evaluate, so without a URL), which tries inline styles.
    refused: list[str] = []
    context.on("console", lambda message: refused.append(message.text)
               if "Content Security Policy" in message.text and message.location.get("url")
               else None)
    try:
        yield context.new_page()
    finally:
        context.close()
    assert refused == [], refused


def sign_in(page, live_server, user, *, password=PASSWORD) -> None:
    """Fill the admin login form: user name, password and the device's current TOTP code."""
    device = TOTPDevice.objects.get(user=user)
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.fill("#id_otp_token",
              f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}")
    page.click("input[type=submit]")


# AXE_CORE_JS=/path/to/axe.min.js checks with another axe-core build (e.g. `npm pack axe-core`).
_axe = Axe.from_file(os.environ["AXE_CORE_JS"]) if os.environ.get("AXE_CORE_JS") else Axe()


def axe_report(page, label: str) -> list[str]:
    """The serious and critical violations on ``page``, one readable block each."""
    results = _axe.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"][:5])
        found.append(f"[{label}] {violation['id']} ({violation['impact']}): {violation['help']}"
                     f" — {len(violation['nodes'])} element(s): {targets}")
    return found


def _pages(data: StaffData):
    for label, name, attribute in ADMIN_PAGES:
        args = [getattr(data, attribute).pk] if attribute else []
        yield label, reverse(name, args=args)
    for label, build in ADMIN_PATHS:
        yield label, build(data)


def test_the_login_and_lockout_pages_pass_axe(admin_page, live_server, staff_user, settings):
    admin_page.goto(live_server.url + reverse("admin:login"))
    problems = axe_report(admin_page, "login (password and OTP code)")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(admin_page, live_server, staff_user, password="wrong password")
    assert admin_page.get_by_role("heading", name="로그인이 잠겼습니다").is_visible()
    problems += axe_report(admin_page, "lockout")
    assert problems == [], "\n" + "\n".join(problems)


def test_every_admin_page_passes_axe(admin_page, live_server, staff_user, staff_data,
                                     artifacts_dir):
    sign_in(admin_page, live_server, staff_user)
    admin_page.wait_for_url(live_server.url + reverse("admin:index"))
    problems = []
    for label, path in _pages(staff_data):
        response = admin_page.goto(live_server.url + path)
        assert response.status == 200, (label, path, response.status)
        problems += axe_report(admin_page, label)
        admin_page.screenshot(path=artifacts_dir / f"admin-{label.replace(' ', '-')}-{WIDTH}.png")
    print("\n".join(problems))
    assert problems == [], "\n" + "\n".join(problems)
