"""CRL publication off the request path: the view serves stored bytes (ETag, 304, 503 when stale),
``publish_crl`` signs from cron when due, a revocation signs at once, ``init_ca`` signs the first."""

import logging
from datetime import timedelta
from io import StringIO

import pytest
from cryptography import x509
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.http import http_date

from certcenter.clock import now
from certificates import lifecycle
from certificates.ca import load_issuing_ca
from certificates.models import Certificate, CertificateEvent, RevocationList
from certificates.publication import CRL_VALIDITY, crl_current, crl_publish, crl_publish_if_due
from certificates.views import CRL_MAX_AGE

pytestmark = pytest.mark.django_db
URL = reverse("certificates:crl")


def publish_crl(*args) -> str:
    out = StringIO()
    call_command("publish_crl", *args, stdout=out)
    return out.getvalue()


# -- The view: stored bytes only --------------------------------------------------------------------

def test_a_get_serves_the_stored_crl_and_signs_nothing(client, published_crl):
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkix-crl"
    assert response.content == bytes(published_crl.der)
    assert RevocationList.objects.count() == 1
    crl = x509.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(load_issuing_ca().cert.public_key())


def test_a_get_of_a_crl_due_for_renewal_still_signs_nothing(client, published_crl, time_machine):
    # Past half its validity cron would sign a new one; the GET must not do cron's work.
    time_machine.move_to(published_crl.next_update - timedelta(seconds=1), tick=False)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.content == bytes(published_crl.der)
    assert list(RevocationList.objects.values_list("pk", flat=True)) == [published_crl.pk]


@pytest.mark.parametrize(("past_next_update", "status"), [
    (-timedelta(seconds=1), 200), (timedelta(0), 503), (timedelta(days=1), 503),
])
def test_a_crl_past_its_next_update_is_never_served(client, published_crl, time_machine, caplog,
                                                    past_next_update, status):
    time_machine.move_to(published_crl.next_update + past_next_update, tick=False)
    with caplog.at_level(logging.ERROR, logger="certificates.views"):
        response = client.get(URL)
    assert response.status_code == status
    assert RevocationList.objects.count() == 1
    if status == 503:
        assert response.content != bytes(published_crl.der)
        assert "CRL" in response.content.decode()
        assert f"CRL #{published_crl.pk} expired" in caplog.text


def test_without_any_crl_the_view_answers_503_and_signs_none(client, caplog):
    with caplog.at_level(logging.ERROR, logger="certificates.views"):
        response = client.get(URL)
    assert response.status_code == 503
    assert "none published" in caplog.text
    assert crl_current() is None
    assert not RevocationList.objects.exists()


def test_the_view_answers_get_and_head_only(client, published_crl):
    assert client.head(URL).status_code == 200
    assert client.post(URL).status_code == 405


# -- Conditional GET and caching --------------------------------------------------------------------

def test_etag_and_last_modified_name_the_crl(client, published_crl):
    response = client.get(URL)
    assert response["ETag"].startswith('"crl-') and response["ETag"].endswith('"')
    assert response["Last-Modified"] == http_date(int(published_crl.this_update.timestamp()))


def test_if_none_match_with_the_current_etag_is_304(client, published_crl):
    etag = client.get(URL)["ETag"]
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert client.get(URL, headers={"If-None-Match": '"crl-0-0"'}).status_code == 200


def test_if_modified_since_the_crl_is_304(client, published_crl):
    last_modified = client.get(URL)["Last-Modified"]
    assert client.get(URL, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = http_date(int(published_crl.this_update.timestamp()) - 1)
    response = client.get(URL, headers={"If-Modified-Since": earlier})
    assert response.status_code == 200
    assert response.content == bytes(published_crl.der)


def test_a_new_crl_answers_an_old_etag_with_the_new_bytes(client, published_crl, certificate,
                                                          django_capture_on_commit_callbacks):
    etag = client.get(URL)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.certificate_revoke(certificate=certificate, reason="key_compromise",
                                     actor=CertificateEvent.Actor.STAFF)
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    crl = x509.load_der_x509_crl(response.content)
    assert crl.get_revoked_certificate_by_serial_number(certificate.serial_int) is not None


def test_a_cache_keeps_the_crl_briefly_and_never_past_its_next_update(client, published_crl,
                                                                       time_machine):
    time_machine.move_to(published_crl.this_update, tick=False)
    assert client.get(URL)["Cache-Control"] == f"public, max-age={int(CRL_MAX_AGE.total_seconds())}"
    time_machine.move_to(published_crl.next_update - timedelta(seconds=42), tick=False)
    assert client.get(URL)["Cache-Control"] == "public, max-age=42"


# -- Signing: on revocation, from cron, at init_ca ----------------------------------------------------

def test_a_revocation_signs_a_new_crl_at_once(published_crl, certificate,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.certificate_revoke(certificate=certificate, reason="key_compromise",
                                     actor=CertificateEvent.Actor.STAFF)
    newest = crl_current()
    assert newest.pk > published_crl.pk
    entry = x509.load_der_x509_crl(bytes(newest.der)).get_revoked_certificate_by_serial_number(
        certificate.serial_int)
    certificate.refresh_from_db()
    # The time as recorded, in UTC whichever way the database driver hands it over.
    assert entry.revocation_date_utc == certificate.revoked_at.replace(microsecond=0)
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.key_compromise


def test_a_suspended_certificate_is_on_the_crl_as_certificate_hold(certificate):
    # The suspension contract: status suspended, revoked_at when, reason certificate_hold.
    Certificate.objects.filter(pk=certificate.pk).update(
        status=Certificate.Status.SUSPENDED, revoked_at=now(),
        revocation_reason=Certificate.RevocationReason.CERTIFICATE_HOLD)
    crl = x509.load_der_x509_crl(bytes(crl_publish().der))
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_int)
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.certificate_hold


def test_crl_current_is_a_read(published_crl, time_machine):
    time_machine.move_to(published_crl.next_update + timedelta(days=30), tick=False)
    assert crl_current() == published_crl
    assert RevocationList.objects.count() == 1


@pytest.mark.parametrize(("since_this_update", "due"), [
    (CRL_VALIDITY / 2 - timedelta(seconds=1), False), (CRL_VALIDITY / 2, True),
])
def test_a_crl_is_due_at_half_its_validity(published_crl, time_machine, since_this_update, due):
    time_machine.move_to(published_crl.this_update + since_this_update, tick=False)
    published = crl_publish_if_due()
    assert (published is not None) is due
    assert RevocationList.objects.count() == (2 if due else 1)


def test_publish_crl_signs_the_first_crl():
    out = publish_crl()
    newest = crl_current()
    assert out == (f"Published CRL #{newest.pk}: 0 entries, next update "
                   f"{newest.next_update.isoformat()}.\n")


def test_publish_crl_signs_nothing_when_not_due(published_crl):
    out = publish_crl()
    assert out.startswith(f"CRL #{published_crl.pk} is current (0 entries, next update ")
    assert "not due, nothing signed" in out
    assert RevocationList.objects.count() == 1


def test_publish_crl_force_signs_anyway(published_crl):
    out = publish_crl("--force")
    assert out.startswith("Published CRL #")
    assert crl_current().pk > published_crl.pk


def test_publish_crl_when_due_signs_a_crl_valid_from_now(published_crl, time_machine):
    time_machine.move_to(published_crl.this_update + CRL_VALIDITY / 2, tick=False)
    assert publish_crl().startswith("Published CRL #")
    assert crl_current().this_update == now()
    assert crl_current().next_update == now() + CRL_VALIDITY


def test_publish_crl_without_a_ca_fails(settings, tmp_path):
    settings.CA_DIR = str(tmp_path)
    with pytest.raises(CommandError, match="init_ca"):
        publish_crl()
    assert not RevocationList.objects.exists()


def test_init_ca_publishes_the_first_crl_once():
    out = StringIO()
    call_command("init_ca", stdout=out)  # the test run's CA exists: only the CRL is new
    assert "Published the first CRL" in out.getvalue()
    first = crl_current()
    out = StringIO()
    call_command("init_ca", stdout=out)
    assert "CRL" not in out.getvalue()
    assert crl_current() == first
