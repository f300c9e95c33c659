"""Staff sign-in to admin: lockout by user name and by address (django-axes), the TOTP second factor
(django-otp), the enrolment command, and the deploy checks."""

import base64
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from certcenter import checks
from certcenter.envfile import generate_secrets
from tests.test_settings import start_django

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
PASSWORD = "correct horse battery staple"
OFFICE = "203.0.113.10"
ELSEWHERE = "198.51.100.20"
START = datetime(2025, 3, 4, 1, 0, 0, tzinfo=UTC)  # 10:00 in Seoul


@pytest.fixture(autouse=True)
def staff_login_settings(settings):
    """The documented defaults, whatever a local .env says; a fast hasher (6+ sign-ins a test)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    settings.TRUSTED_PROXY_COUNT = 0
    return settings


@pytest.fixture
def otp_required(settings):
    settings.STAFF_OTP_REQUIRED = True


def make_staff(username):
    return User.objects.create_user(username, password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def alice():
    return make_staff("alice")


@pytest.fixture
def bob():
    return make_staff("bob")


def sign_in(username, password=PASSWORD, *, ip=OFFICE, client=None, forwarded=None, **otp):
    """POST the admin login form as a browser at ``ip`` would; returns (client, response)."""
    client = client or Client()
    extra = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    data = {"username": username, "password": password, "next": INDEX, **otp}
    return client, client.post(LOGIN, data, **extra)


def reaches_admin(client):
    response = client.get(INDEX)
    return response.status_code == 200


def fail(username, times, **kwargs):
    for _ in range(times):
        _client, response = sign_in(username, "wrong password", **kwargs)
    return response


def current_token(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


# --- lockout (django-axes) --------------------------------------------------------------------


def test_four_wrong_passwords_then_the_right_one_lets_staff_in(alice):
    response = fail("alice", 4)
    assert response.status_code == 200  # the login form again, not the lockout
    client, response = sign_in("alice")
    assert response.status_code == 302
    assert reaches_admin(client)


def test_five_wrong_passwords_then_the_right_one_is_refused(alice):
    fifth = fail("alice", 5)
    assert fifth.status_code == 429
    client, response = sign_in("alice")
    assert response.status_code == 429
    assert not reaches_admin(client)


def test_the_lockout_page_is_korean_and_says_how_long(alice):
    fail("alice", 5)
    _client, response = sign_in("alice")
    body = response.content.decode()
    assert response.status_code == 429
    assert "로그인이 잠겼습니다" in body
    assert "5번 실패" in body
    assert "30분" in body
    assert PASSWORD not in body


def test_a_locked_user_name_is_refused_from_another_address(alice):
    fail("alice", 5, ip=OFFICE)
    client, response = sign_in("alice", ip=ELSEWHERE)
    assert response.status_code == 429
    assert not reaches_admin(client)


def test_a_locked_address_is_refused_for_another_user_name(alice, bob):
    # Password spraying: one wrong guess each for many names from one address.
    for name in ["alice", "admin", "root", "staff", "carol"]:
        sign_in(name, "wrong password", ip=OFFICE)
    client, response = sign_in("bob", ip=OFFICE)
    assert response.status_code == 429
    assert not reaches_admin(client)


def test_another_user_from_another_address_is_unaffected(alice, bob):
    fail("alice", 5, ip=OFFICE)
    client, response = sign_in("bob", ip=ELSEWHERE)
    assert response.status_code == 302
    assert reaches_admin(client)


def test_the_counters_are_rows_in_the_database(alice):
    """The database handler: every app server reads the same counters."""
    fail("alice", 5, ip=OFFICE)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == ("alice", OFFICE, 5)


def test_still_locked_one_second_before_the_cool_off_ends(alice):
    with time_machine.travel(START, tick=False) as traveller:
        fail("alice", 5)
        traveller.move_to(START + timedelta(minutes=29, seconds=59))
        client, response = sign_in("alice")
        assert response.status_code == 429
        assert not reaches_admin(client)


def test_still_refused_at_exactly_the_cool_off(alice):
    # axes counts a failure exactly 30 minutes old (then forgets it): the password is not checked.
    with time_machine.travel(START, tick=False) as traveller:
        fail("alice", 5)
        traveller.move_to(START + timedelta(minutes=30))
        client, response = sign_in("alice")
        assert response.status_code == 200
        assert not reaches_admin(client)


def test_the_lockout_ends_one_second_after_the_cool_off(alice):
    with time_machine.travel(START, tick=False) as traveller:
        fail("alice", 5)
        traveller.move_to(START + timedelta(minutes=30, seconds=1))
        client, response = sign_in("alice")
        assert response.status_code == 302
        assert reaches_admin(client)


@pytest.mark.parametrize(("later", "status"), [(timedelta(minutes=49, seconds=59), 429),
                                              (timedelta(minutes=50, seconds=1), 302)])
def test_an_attempt_during_the_lockout_starts_the_cool_off_again(alice, later, status):
    with time_machine.travel(START, tick=False) as traveller:
        fail("alice", 5)
        traveller.move_to(START + timedelta(minutes=20))
        assert sign_in("alice")[1].status_code == 429
        # Now 30 minutes from that try (50:00), no longer from the fifth failure (30:00).
        traveller.move_to(START + later)
        assert sign_in("alice")[1].status_code == status


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(settings, alice, bob):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    for name in ["admin", "root", "staff", "carol", "dave"]:
        sign_in(name, "wrong password", ip=proxy, forwarded="6.6.6.6, " + ELSEWHERE)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ELSEWHERE}
    # The attacker's address is locked; a colleague behind the same proxy is not.
    assert sign_in("alice", ip=proxy, forwarded=ELSEWHERE)[1].status_code == 429
    client, response = sign_in("bob", ip=proxy, forwarded=OFFICE)
    assert response.status_code == 302


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(alice):
    # A client forging a new X-Forwarded-For on every try is still one address.
    for n, name in enumerate(["admin", "root", "staff", "carol", "dave"]):
        sign_in(name, "wrong password", ip=OFFICE, forwarded=f"192.0.2.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {OFFICE}
    assert sign_in("alice", ip=OFFICE, forwarded="192.0.2.99")[1].status_code == 429


def test_staff_see_and_reset_attempts_in_admin(alice, bob):
    fail("alice", 5, ip=OFFICE)
    attempt = AccessAttempt.objects.get()
    admin_client = Client()
    admin_client.force_login(bob)
    listing = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert "alice" in listing.content.decode()
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.exists()
    client, response = sign_in("alice", ip=OFFICE)
    assert response.status_code == 302


def test_the_stored_form_data_hides_the_password_and_the_otp_code(alice):
    sign_in("alice", "wrong password", otp_token="123456")
    post_data = AccessAttempt.objects.get().post_data
    assert "wrong password" not in post_data
    assert "123456" not in post_data


# --- the second factor (django-otp) ------------------------------------------------------------


@pytest.fixture
def device(alice):
    return TOTPDevice.objects.create(user=alice, name="인증 앱", confirmed=True)


def test_with_otp_required_the_password_alone_does_not_reach_admin(otp_required, device):
    client, response = sign_in("alice")
    assert response.status_code == 200
    assert "token_required" in codes(response)
    assert not reaches_admin(client)


def test_with_otp_required_staff_without_a_device_are_refused(otp_required, alice):
    client, response = sign_in("alice", otp_token="123456")
    assert response.status_code == 200
    assert "no_device" in codes(response)
    assert "staff_enrol_totp" in response.content.decode()
    assert not reaches_admin(client)


def test_a_valid_totp_code_lets_staff_in(otp_required, device):
    with time_machine.travel(START, tick=False):
        client, response = sign_in("alice", otp_token=current_token(device))
        assert response.status_code == 302
        assert response["Location"] == INDEX
        assert reaches_admin(client)


def test_a_wrong_totp_code_is_refused(otp_required, device):
    with time_machine.travel(START, tick=False):
        wrong = f"{(int(current_token(device)) + 1) % 10**6:06d}"
        client, response = sign_in("alice", otp_token=wrong)
        assert response.status_code == 200
        assert "invalid_token" in codes(response)
        assert PASSWORD not in response.content.decode()  # not written back into the form
        assert not reaches_admin(client)


def test_a_code_from_long_ago_is_refused(otp_required, device):
    with time_machine.travel(START, tick=False) as traveller:
        old = current_token(device)
        traveller.move_to(START + timedelta(minutes=5))
        client, response = sign_in("alice", otp_token=old)
        assert "invalid_token" in codes(response)
        assert not reaches_admin(client)


def test_a_code_is_accepted_once(otp_required, device):
    with time_machine.travel(START, tick=False):
        token = current_token(device)
        first, _response = sign_in("alice", otp_token=token)
        assert reaches_admin(first)
        second, response = sign_in("alice", otp_token=token)
        assert "invalid_token" in codes(response)
        assert not reaches_admin(second)


def test_with_otp_required_a_password_only_session_is_not_staff(otp_required, alice):
    client = Client()
    client.force_login(alice)  # as a session from before OTP was switched on would be
    response = client.get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_the_otp_login_page_asks_for_the_code(otp_required):
    body = Client().get(LOGIN).content.decode()
    assert 'name="otp_token"' in body
    assert 'autocomplete="one-time-code"' in body
    assert "OTP 인증번호" in body


def test_a_locked_out_user_is_refused_even_with_a_valid_code(otp_required, device):
    with time_machine.travel(START, tick=False):
        fail("alice", 5)
        client, response = sign_in("alice", otp_token=current_token(device))
        assert response.status_code == 429
        assert not reaches_admin(client)


def test_with_otp_not_required_admin_works_with_the_password_alone(alice):
    """As with DEBUG on (``make run``): STAFF_OTP_REQUIRED follows DEBUG, see the test below."""
    assert 'name="otp_token"' not in Client().get(LOGIN).content.decode()
    client, response = sign_in("alice")
    assert response.status_code == 302
    assert reaches_admin(client)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"DEBUG": "True"}, ["False", "5", "0:30:00"]),
        ({"DEBUG": "False"}, ["True", "5", "0:30:00"]),
        ({"DEBUG": "False", "STAFF_OTP_REQUIRED": "False", "AXES_COOLOFF_MINUTES": "15"},
         ["False", "5", "0:15:00"]),
    ],
)
def test_otp_follows_debug_and_the_documented_defaults(environment, expected):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.STAFF_OTP_REQUIRED, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)"
    )
    result = start_django(
        {**generate_secrets(), "ENV_FILE": "/nonexistent", **environment},
        drop=("STAFF_OTP_REQUIRED", "AXES_FAILURE_LIMIT", "AXES_COOLOFF_MINUTES"),
        code=code,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected


def codes(response):
    form = response.context["form"]
    return [error.code for error in form.errors.as_data().get("__all__", [])]


# --- enrolment: manage.py staff_enrol_totp ----------------------------------------------------


def enrol(username, *args):
    out = io.StringIO()
    call_command("staff_enrol_totp", username, *args, stdout=out)
    return out.getvalue()


def otpauth_url(output):
    return re.search(r"otpauth://\S+", output).group(0)


def test_the_command_creates_a_confirmed_device_and_prints_its_url_and_a_qr(alice):
    output = enrol("alice")
    device = TOTPDevice.objects.get(user=alice)
    assert device.confirmed
    url = otpauth_url(output)
    assert url == device.config_url
    parsed = urlparse(url)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp")
    assert unquote(parsed.path) == "/CertCenter:alice"
    secret = parse_qs(parsed.query)["secret"][0]
    assert base64.b32decode(secret) == device.bin_key
    assert "▀" in output or "▄" in output  # the terminal QR code
    assert "▀" not in enrol("alice", "--no-qr")


def test_the_printed_url_is_what_the_authenticator_app_needs(otp_required, alice):
    """Set up an 'app' from the printed secret only, and sign in with its code."""
    secret = parse_qs(urlparse(otpauth_url(enrol("alice"))).query)["secret"][0]
    with time_machine.travel(START, tick=False):
        token = f"{totp(base64.b32decode(secret)):06d}"
        client, response = sign_in("alice", otp_token=token)
        assert response.status_code == 302
        assert reaches_admin(client)


def test_enrolling_again_replaces_the_device_and_ends_its_sessions(otp_required, alice):
    enrol("alice")
    first = TOTPDevice.objects.get(user=alice)
    with time_machine.travel(START, tick=False):
        client, _response = sign_in("alice", otp_token=current_token(first))
        assert reaches_admin(client)
        enrol("alice")
        second = TOTPDevice.objects.get(user=alice)
        assert second.key != first.key
        assert not reaches_admin(client)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: User.objects.create_user("carol", password=PASSWORD), "스태프 권한"),
        (lambda: User.objects.create_user("carol", password=PASSWORD, is_staff=True,
                                          is_active=False), "비활성"),
        (lambda: None, "No user"),
    ],
)
def test_the_command_refuses_unknown_inactive_and_non_staff_users(make, message):
    make()
    with pytest.raises(CommandError, match=message):
        enrol("carol")
    assert not TOTPDevice.objects.exists()


def test_admin_never_shows_a_device_secret(alice, device):
    client = Client()
    client.force_login(alice)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    qr = client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk]))
    assert qr.status_code == 403


# --- deploy checks ------------------------------------------------------------------------------


def test_the_handset_on_without_debug_is_a_deploy_warning(settings):
    settings.DEBUG = False
    settings.SIMULATED_PHONE_ENABLED = True
    assert [w.id for w in checks.check_simulated_phone_off(None)] == ["certcenter.W001"]
    err = io.StringIO()
    call_command("check", "--deploy", stdout=io.StringIO(), stderr=err)
    assert "certcenter.W001" in err.getvalue()


@pytest.mark.parametrize(("debug", "handset"), [(False, False), (True, True), (True, False)])
def test_no_handset_warning_otherwise(settings, debug, handset):
    settings.DEBUG = debug
    settings.SIMULATED_PHONE_ENABLED = handset
    assert checks.check_simulated_phone_off(None) == []


def test_the_handset_check_runs_only_with_deploy(settings):
    settings.DEBUG = False
    settings.SIMULATED_PHONE_ENABLED = True
    err = io.StringIO()
    call_command("check", stdout=io.StringIO(), stderr=err)
    assert "certcenter.W001" not in err.getvalue()


def test_otp_off_without_debug_is_a_deploy_warning(settings):
    settings.DEBUG = False
    settings.STAFF_OTP_REQUIRED = False
    assert [w.id for w in checks.check_staff_otp_required(None)] == ["certcenter.W002"]
    settings.STAFF_OTP_REQUIRED = True
    assert checks.check_staff_otp_required(None) == []
    settings.DEBUG = True
    settings.STAFF_OTP_REQUIRED = False
    assert checks.check_staff_otp_required(None) == []
