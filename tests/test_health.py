"""/healthz and /readyz: JSON 200/503 for load balancers, each dependency failing in turn, nothing
signed, no path or secret in an answer, and any Host over plain HTTP."""

import shutil
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection

from certcenter import health
from certificates import health as ca_health
from certificates import pki
from certificates.ca import FILES, clear_ca_cache
from certificates.models import RevocationList
from certificates.ocsp import load_signer
from certificates.pki import ocsp as pki_ocsp

pytestmark = pytest.mark.django_db
CHECKS = ["database", "cache", "ca_key", "crl", "ocsp_signer"]


@pytest.fixture(autouse=True)
def fresh_ca_check():
    ca_health.ca_failure_forget()
    yield
    ca_health.ca_failure_forget()


def readyz(client, **extra):
    response = client.get("/readyz", **extra)
    body = response.json()
    return response, {check["name"]: check for check in body["checks"]}


def failing(checks) -> list[str]:
    return [name for name, check in checks.items() if not check["ok"]]


# -- /healthz ---------------------------------------------------------------------------------------

def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": []}
    assert "no-store" in response["Cache-Control"]


def test_healthz_answers_while_the_database_is_down(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        assert client.get("/healthz").status_code == 200


# -- /readyz: all well ------------------------------------------------------------------------------

def test_readyz_is_200_when_every_dependency_works(client, published_crl):
    response, checks = readyz(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"
    assert list(checks) == CHECKS
    assert failing(checks) == []
    assert all(check["reason"] for check in checks.values())


def test_readyz_signs_nothing_and_decrypts_no_key(client, published_crl):
    with (mock.patch.object(pki, "build_crl", side_effect=AssertionError("signed a CRL")),
          mock.patch.object(pki_ocsp, "response_build", side_effect=AssertionError("signed OCSP")),
          mock.patch("certificates.ca.pki.load_encrypted_private_key",
                     side_effect=AssertionError("decrypted the CA key again"))):
        for _ in range(3):
            response, _checks = readyz(client)
            assert response.status_code == 200
    assert RevocationList.objects.count() == 1


def test_probes_answer_a_load_balancer_calling_by_ip_over_http(client, published_crl, settings):
    settings.ALLOWED_HOSTS = ["bank.example"]
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.0.0.7:8000")
        assert response.status_code == 200, path
    # Only the probes: any other page still refuses an unknown Host.
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_probes_take_only_get_and_head(client, published_crl):
    assert client.head("/readyz").status_code == 200
    assert client.post("/readyz").status_code == 405


def test_probes_set_no_cookie(client, published_crl):
    response = client.get("/readyz")
    assert not response.cookies


# -- /readyz: each dependency failing ---------------------------------------------------------------

def test_database_down_is_503(client, published_crl):
    refused = OperationalError('connection to server at "10.9.8.7", port 5432 failed: '
                               'password authentication failed for user "certcenter"')
    with mock.patch.object(connection, "cursor", side_effect=refused):
        response, checks = readyz(client)
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "database" in failing(checks)
    assert checks["database"]["reason"] == "database unavailable (OperationalError)"
    assert checks["cache"]["ok"] and checks["ca_key"]["ok"]
    assert "10.9.8.7" not in response.content.decode()
    assert "certcenter" not in response.content.decode()


def test_cache_raising_is_503(client, published_crl):
    with mock.patch.object(cache, "set", side_effect=ConnectionError("redis://10.9.8.7:6379")):
        response, checks = readyz(client)
    assert response.status_code == 503
    assert failing(checks) == ["cache"]
    assert checks["cache"]["reason"] == "cache unavailable (ConnectionError)"
    assert "10.9.8.7" not in response.content.decode()


def test_a_cache_that_loses_what_it_stored_is_503(client, published_crl):
    with mock.patch.object(cache, "get", return_value=None):
        response, checks = readyz(client)
    assert response.status_code == 503
    assert failing(checks) == ["cache"]


def test_ca_missing_is_503_without_naming_the_directory(client, published_crl, settings, tmp_path):
    settings.CA_DIR = tmp_path
    response, checks = readyz(client)
    assert response.status_code == 503
    assert checks["ca_key"] == {"name": "ca_key", "ok": False, "reason": "CA not found (run init_ca)"}
    assert not checks["ocsp_signer"]["ok"]
    assert str(tmp_path) not in response.content.decode()


def test_a_wrong_ca_passphrase_is_503_without_the_passphrase(client, published_crl, settings):
    settings.CA_KEY_PASSPHRASE = "not-the-passphrase-42"
    response, checks = readyz(client)
    assert response.status_code == 503
    assert checks["ca_key"]["reason"] == "CA passphrase does not open the CA key"
    assert not checks["ocsp_signer"]["ok"]
    assert "not-the-passphrase-42" not in response.content.decode()


def test_a_failed_ca_load_is_remembered_for_a_while(client, published_crl, settings, tmp_path):
    clock = [1000.0]
    with mock.patch.object(ca_health.time, "monotonic", side_effect=lambda: clock[0]):
        good_dir = settings.CA_DIR
        settings.CA_DIR = tmp_path
        assert not readyz(client)[1]["ca_key"]["ok"]
        settings.CA_DIR = good_dir  # fixed, but not looked at again yet
        assert not readyz(client)[1]["ca_key"]["ok"]
        clock[0] += ca_health.CA_RETRY_SECONDS
        assert readyz(client)[1]["ca_key"]["ok"]


def test_no_crl_yet_is_503(client):
    response, checks = readyz(client)
    assert response.status_code == 503
    assert failing(checks) == ["crl"]
    assert checks["crl"]["reason"] == "no CRL published (run publish_crl)"


def test_a_crl_one_second_before_its_next_update_is_ready(client, published_crl, time_machine):
    time_machine.move_to(published_crl.next_update - timedelta(seconds=1), tick=False)
    assert readyz(client)[1]["crl"]["ok"]


def test_a_crl_past_its_next_update_is_503(client, published_crl, time_machine):
    time_machine.move_to(published_crl.next_update, tick=False)
    response, checks = readyz(client)
    assert response.status_code == 503
    assert "crl" in failing(checks)
    assert "nextUpdate" in checks["crl"]["reason"]


def test_a_crl_unreadable_is_503(client, published_crl):
    with mock.patch.object(ca_health, "crl_current", side_effect=OperationalError("db at 10.9.8.7")):
        response, checks = readyz(client)
    assert response.status_code == 503
    assert checks["crl"]["reason"] == "CRL not readable (OperationalError)"


@pytest.fixture
def ca_without_signer(settings, tmp_path):
    """A copy of the session's CA without the OCSP signer's file."""
    for name in FILES:
        shutil.copy(settings.CA_DIR / name, tmp_path / name)
    settings.CA_DIR = tmp_path
    yield tmp_path
    clear_ca_cache()


def test_ocsp_signer_missing_is_503(client, published_crl, ca_without_signer):
    response, checks = readyz(client)
    assert response.status_code == 503
    assert failing(checks) == ["ocsp_signer"]
    assert checks["ocsp_signer"]["reason"] == "no OCSP signer (run init_ca or renew_ocsp_signer)"
    assert str(ca_without_signer) not in response.content.decode()


def test_ocsp_signer_expired_is_503(client, published_crl, time_machine):
    time_machine.move_to(load_signer().cert.not_valid_after_utc, tick=False)
    response, checks = readyz(client)
    assert response.status_code == 503
    assert not checks["ocsp_signer"]["ok"]
    assert checks["ocsp_signer"]["reason"] == "OCSP signer outside its validity (run renew_ocsp_signer)"


def test_ocsp_signer_one_second_before_its_end_is_ready(client, published_crl, time_machine):
    time_machine.move_to(load_signer().cert.not_valid_after_utc - timedelta(seconds=1), tick=False)
    assert readyz(client)[1]["ocsp_signer"]["ok"]


def test_ocsp_signer_unreadable_is_503(client, published_crl):
    with mock.patch.object(ca_health, "load_signer", side_effect=ValueError("bad key in /srv/ca")):
        response, checks = readyz(client)
    assert checks["ocsp_signer"]["reason"] == "OCSP signer unreadable (ValueError)"
    assert "/srv/ca" not in response.content.decode()


def test_every_check_runs_even_when_the_first_fails(client, published_crl):
    first_fails = (lambda: health.CheckResult("database", False, "x"),
                   *ca_health.READINESS_CHECKS[1:])
    with mock.patch.object(ca_health, "READINESS_CHECKS", first_fails):
        response, checks = readyz(client)
    assert response.status_code == 503
    assert list(checks) == CHECKS
    assert failing(checks) == ["database"]
