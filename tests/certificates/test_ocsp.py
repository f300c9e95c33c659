"""The OCSP responder: the view (POST and GET), answers from the database, caching that never hides a
status change, the responder certificate on disk and its renewal, and openssl as a relying party."""

import base64
import io
import shutil
import subprocess
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID
from django.core.management import call_command
from django.urls import reverse

from certcenter.clock import now
from certificates import lifecycle, pki
from certificates import ocsp as responder
from certificates.ca import load_issuing_ca, ocsp_url
from certificates.models import Certificate, CertificateEvent
from certificates.pki import ocsp as pki_ocsp
from certificates.publication import crl_publish
from certificates.renewal import certificates_renew
from tests.certificates.pki.test_ocsp import pkilint_findings

OPENSSL = shutil.which("openssl")
OCSP_REQUEST = "application/ocsp-request"
Status = ocsp.OCSPCertStatus


@pytest.fixture(autouse=True)
def fast_sealing(settings):
    settings.PIN_SCRYPT_N = 2**10


def request_der(serial: int, *, nonce: bytes | None = None, algorithm=hashes.SHA1(),
                issuer=None) -> bytes:
    issuer = issuer or load_issuing_ca().cert
    name_hash, key_hash = pki_ocsp.issuer_hashes(issuer, algorithm)
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(name_hash, key_hash, serial,
                                                                algorithm)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def post(client, der: bytes):
    response = client.post(reverse("certificates:ocsp"), der, content_type=OCSP_REQUEST)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(response.content)


def ask(client, certificate, **kwargs):
    return post(client, request_der(certificate.serial_int, **kwargs))


def revoke(certificate, reason=Certificate.RevocationReason.KEY_COMPROMISE):
    return lifecycle.certificate_revoke(certificate=certificate, reason=reason,
                                        actor=CertificateEvent.Actor.STAFF, notify=False)


@pytest.mark.django_db
def test_new_certificates_name_the_responder_in_their_aia(certificate):
    cert = pki.load_certificate(bytes(certificate.der))
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [(d.access_method, d.access_location.value) for d in aia] == [
        (AuthorityInformationAccessOID.OCSP, ocsp_url()),
        (AuthorityInformationAccessOID.CA_ISSUERS, aia[1].access_location.value),
    ]
    assert ocsp_url().endswith("/ca/ocsp")


@pytest.mark.django_db
def test_good_then_revoked_at_once_despite_the_cache(client, certificate):
    first = ask(client, certificate)
    assert first.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert first.certificate_status is Status.GOOD
    assert first.serial_number == certificate.serial_int
    assert first.next_update_utc - first.this_update_utc == pki_ocsp.RESPONSE_VALIDITY
    with time_machine.travel(now() + timedelta(minutes=5), tick=False):
        # The same question five minutes on is answered from the cache (the same thisUpdate) ...
        assert ask(client, certificate).tbs_response_bytes == first.tbs_response_bytes
        revoke(certificate)
        certificate.refresh_from_db()
        # ... but not once the status changed.
        after = ask(client, certificate)
        assert after.this_update_utc > first.this_update_utc
    assert after.certificate_status is Status.REVOKED
    assert after.revocation_reason is x509.ReasonFlags.key_compromise
    assert after.revocation_time_utc == certificate.revoked_at.replace(microsecond=0)


@pytest.mark.django_db
def test_suspended_is_revoked_with_certificate_hold_and_resumed_is_good(client, certificate):
    moment = now()
    Certificate.objects.filter(pk=certificate.pk).update(
        status=Certificate.Status.SUSPENDED, revoked_at=moment,
        revocation_reason=Certificate.RevocationReason.CERTIFICATE_HOLD)
    held = ask(client, certificate)
    assert held.certificate_status is Status.REVOKED
    assert held.revocation_reason is x509.ReasonFlags.certificate_hold
    Certificate.objects.filter(pk=certificate.pk).update(
        status=Certificate.Status.ACTIVE, revoked_at=None, revocation_reason="")
    assert ask(client, certificate).certificate_status is Status.GOOD


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["locked", "reissue_required", "renewed", "expired"])
def test_unrevoked_statuses_are_good(client, certificate, status):
    Certificate.objects.filter(pk=certificate.pk).update(status=status)
    assert ask(client, certificate).certificate_status is Status.GOOD


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["pending", "failed"])
def test_never_signed_serials_are_unknown(client, certificate, status):
    Certificate.objects.filter(pk=certificate.pk).update(status=status)
    assert ask(client, certificate).certificate_status is Status.UNKNOWN


@pytest.mark.django_db
def test_a_serial_this_ca_never_issued_is_unknown(client):
    answer = post(client, request_der(pki.random_serial()))
    assert answer.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status is Status.UNKNOWN


@pytest.mark.django_db
def test_nonce_is_echoed_and_never_answered_from_the_cache(client, certificate):
    first = ask(client, certificate, nonce=b"A" * 16)
    assert first.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"A" * 16
    second = ask(client, certificate, nonce=b"B" * 16)
    assert second.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"B" * 16


@pytest.mark.django_db
def test_sha256_certid_is_answered_in_kind(client, certificate):
    answer = ask(client, certificate, algorithm=hashes.SHA256())
    assert answer.certificate_status is Status.GOOD
    assert isinstance(answer.hash_algorithm, hashes.SHA256)


@pytest.mark.django_db
@pytest.mark.parametrize("alphabet", ["standard", "urlsafe", "percent", "unpadded"])
def test_get_with_the_request_in_the_path(client, certificate, alphabet):
    der = request_der(certificate.serial_int)
    encoded = {
        "standard": base64.b64encode(der).decode(),
        "urlsafe": base64.urlsafe_b64encode(der).decode(),
        "percent": urllib.parse.quote(base64.b64encode(der).decode(), safe=""),
        "unpadded": base64.urlsafe_b64encode(der).decode().rstrip("="),
    }[alphabet]
    response = client.get(reverse("certificates:ocsp") + "/" + encoded)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ocsp-response"
    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.certificate_status is Status.GOOD
    assert answer.serial_number == certificate.serial_int


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"", b"garbage", b"\x30\x03\x02\x01\x01", b"\x30" * 9000,
                                  b"\x30" * 3_000_000])
def test_malformed_posts_get_malformed_request(client, body):
    answer = post(client, body)
    assert answer.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["!!!not-base64!!!", "MAMCAQE=", "a"])
def test_malformed_gets_get_malformed_request(client, path):
    response = client.get(reverse("certificates:ocsp") + "/" + path)
    assert response.status_code == 200
    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


@pytest.mark.django_db
def test_a_request_about_another_issuer_is_unauthorized(client, certificate):
    answer = ask(client, certificate, issuer=load_issuing_ca().root_cert)
    assert answer.response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED


@pytest.mark.django_db
def test_no_signer_on_disk_means_try_later(client, certificate, monkeypatch):
    monkeypatch.setattr(responder, "SIGNER_FILE", "absent-signer.pem")
    assert ask(client, certificate).response_status is ocsp.OCSPResponseStatus.TRY_LATER


@pytest.mark.django_db
def test_an_unexpected_failure_is_internal_error_not_a_500(client, certificate, monkeypatch):
    def broken(der):
        raise RuntimeError("database down")

    monkeypatch.setattr("certificates.ocsp.ocsp_respond", broken)
    assert ask(client, certificate).response_status is ocsp.OCSPResponseStatus.INTERNAL_ERROR


@pytest.mark.django_db
def test_other_methods_are_refused(client):
    assert client.put(reverse("certificates:ocsp"), b"", content_type=OCSP_REQUEST).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["good", "revoked", "unknown"])
def test_answers_pass_pkilint_without_warnings(client, certificate, state):
    if state == "revoked":
        revoke(certificate)
    serial = pki.random_serial() if state == "unknown" else certificate.serial_int
    response = client.post(reverse("certificates:ocsp"), request_der(serial, nonce=b"n" * 16),
                           content_type=OCSP_REQUEST)
    assert ocsp.load_der_ocsp_response(response.content).certificate_status.name.lower() == state
    assert pkilint_findings(response.content) == []


# -- The responder's certificate on disk ---------------------------------------------------------

@pytest.fixture
def fresh_ca_dir(settings, tmp_path):
    """A CA of its own in a temporary CA_DIR, for tests that replace the responder."""
    from certificates.ca import ca_create, clear_ca_cache

    original = settings.CA_DIR
    settings.CA_DIR = tmp_path
    clear_ca_cache()
    ca_create(directory=tmp_path)
    yield tmp_path
    settings.CA_DIR = original
    clear_ca_cache()


def test_init_ca_adds_a_missing_responder_and_keeps_an_existing_one(fresh_ca_dir, db):
    out = io.StringIO()
    call_command("init_ca", stdout=out)
    assert "Created the OCSP responder" in out.getvalue()
    before = (fresh_ca_dir / responder.SIGNER_FILE).read_bytes()
    out = io.StringIO()
    call_command("init_ca", stdout=out)
    assert "OCSP" not in out.getvalue()
    assert (fresh_ca_dir / responder.SIGNER_FILE).read_bytes() == before
    assert oct((fresh_ca_dir / responder.SIGNER_FILE).stat().st_mode & 0o777) == "0o600"


def test_renew_ocsp_signer_renews_only_when_due_or_forced(fresh_ca_dir):
    responder.signer_ensure()
    issued = responder.load_signer().cert
    ends = issued.not_valid_after_utc
    out = io.StringIO()
    call_command("renew_ocsp_signer", stdout=out)
    assert "not due" in out.getvalue()
    assert responder.load_signer().cert.serial_number == issued.serial_number
    # Exactly two days before the end it is still not due; one second later it is.
    with time_machine.travel(ends - responder.SIGNER_RENEW_BEFORE, tick=False):
        call_command("renew_ocsp_signer", stdout=io.StringIO())
        assert responder.load_signer().cert.serial_number == issued.serial_number
    with time_machine.travel(ends - responder.SIGNER_RENEW_BEFORE + timedelta(seconds=1), tick=False):
        out = io.StringIO()
        call_command("renew_ocsp_signer", stdout=out)
        assert "Renewed" in out.getvalue()
    renewed = responder.load_signer().cert
    assert renewed.serial_number != issued.serial_number
    assert renewed.not_valid_after_utc > ends
    out = io.StringIO()
    call_command("renew_ocsp_signer", "--force", stdout=out)
    assert "Renewed" in out.getvalue()
    assert responder.load_signer().cert.serial_number != renewed.serial_number


@pytest.mark.django_db
def test_answers_are_signed_by_the_renewed_signer_at_once(client, fresh_ca_dir):
    responder.signer_ensure()
    serial = pki.random_serial()
    before = post(client, request_der(serial))
    responder.signer_renew(force=True)
    after = post(client, request_der(serial))
    assert before.certificates[0].serial_number != after.certificates[0].serial_number
    assert after.certificates == [responder.load_signer().cert]


# -- Against the CRL, step by step ---------------------------------------------------------------

def crl_says(serial: int):
    crl = x509.load_der_x509_crl(bytes(crl_publish().der))
    entry = crl.get_revoked_certificate_by_serial_number(serial)
    if entry is None:
        return ("good", None, None)
    try:
        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        reason = None
    return ("revoked", entry.revocation_date_utc, reason)


def ocsp_says(client, serial: int):
    answer = post(client, request_der(serial))
    if answer.certificate_status is Status.REVOKED:
        return ("revoked", answer.revocation_time_utc, answer.revocation_reason)
    return (answer.certificate_status.name.lower(), None, None)


@pytest.mark.django_db
def test_ocsp_and_the_crl_agree_through_issue_revoke_suspend_resume_renew(
    client, certificate_factory, django_capture_on_commit_callbacks
):
    seen = []

    def agree(*, crl: bool = True):
        for serial in seen:
            answer = ocsp_says(client, serial)
            if crl:
                assert answer == crl_says(serial), serial
            else:
                row = Certificate.objects.get(serial=f"{serial:x}")
                expected = ("revoked", row.revoked_at.replace(microsecond=0),
                            pki.REVOCATION_REASONS[row.revocation_reason])
                assert answer == (expected if row.status in ("revoked", "suspended")
                                  else ("good", None, None))

    first = certificate_factory()
    seen.append(first.serial_int)
    agree()
    revoke(first)
    assert ocsp_says(client, first.serial_int)[0] == "revoked"
    agree()
    second = certificate_factory()
    seen.append(second.serial_int)
    agree()
    # Suspension (효력정지) as its helper will leave the row; the CRL side is that helper's.
    Certificate.objects.filter(pk=second.pk).update(
        status=Certificate.Status.SUSPENDED, revoked_at=now(),
        revocation_reason=Certificate.RevocationReason.CERTIFICATE_HOLD)
    assert ocsp_says(client, second.serial_int)[2] is x509.ReasonFlags.certificate_hold
    agree(crl=False)
    Certificate.objects.filter(pk=second.pk).update(
        status=Certificate.Status.ACTIVE, revoked_at=None, revocation_reason="")
    agree()
    with django_capture_on_commit_callbacks(execute=True):
        report = certificates_renew(window_days=400)
    assert report.renewed == 1
    renewed = Certificate.objects.get(renewed_from=second)
    seen.append(renewed.serial_int)
    assert [ocsp_says(client, s)[0] for s in seen] == ["revoked", "good", "good"]
    agree()
    revoke(renewed)  # revoking the successor revokes the still-valid predecessor over its key
    assert [ocsp_says(client, s)[0] for s in seen] == ["revoked", "revoked", "revoked"]
    agree()


# -- openssl as the relying party, over HTTP -----------------------------------------------------

def openssl_ocsp(tmp_path, live_server, certificate, *extra):
    ca = load_issuing_ca()
    (tmp_path / "issuing.pem").write_text(pki.certificate_pem(ca.cert))
    (tmp_path / "chain.pem").write_text(ca.chain_pem)
    (tmp_path / "cert.pem").write_text(pki.certificate_pem(pki.load_certificate(bytes(certificate.der))))
    result = subprocess.run(
        [OPENSSL, "ocsp", "-issuer", "issuing.pem", "-cert", "cert.pem",
         "-url", live_server.url + reverse("certificates:ocsp"), "-resp_text",
         "-CAfile", "chain.pem", *extra],
        capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False,
    )
    return result.stdout + result.stderr


@pytest.mark.skipif(OPENSSL is None, reason="openssl command not installed")
def test_openssl_ocsp_says_good_then_revoked(live_server, transactional_db, certificate_factory,
                                             tmp_path):
    certificate = certificate_factory()
    output = openssl_ocsp(tmp_path, live_server, certificate)
    assert "Response verify OK" in output, output
    assert "cert.pem: good" in output, output
    assert "OCSP Nonce" in output  # openssl asks with a nonce; the answer carries it back
    revoke(certificate)
    output = openssl_ocsp(tmp_path, live_server, certificate)
    assert "Response verify OK" in output, output
    assert "cert.pem: revoked" in output, output
    assert "Reason: keyCompromise" in output, output
    # Without a nonce (answers are cached then) it still says revoked.
    output = openssl_ocsp(tmp_path, live_server, certificate, "-no_nonce")
    assert "cert.pem: revoked" in output, output


@pytest.mark.skipif(OPENSSL is None, reason="openssl command not installed")
def test_get_over_http_with_an_openssl_built_request(live_server, transactional_db,
                                                     certificate_factory, tmp_path):
    certificate = certificate_factory()
    ca = load_issuing_ca()
    (tmp_path / "issuing.pem").write_text(pki.certificate_pem(ca.cert))
    (tmp_path / "cert.pem").write_text(pki.certificate_pem(pki.load_certificate(bytes(certificate.der))))
    subprocess.run([OPENSSL, "ocsp", "-issuer", "issuing.pem", "-cert", "cert.pem",
                    "-reqout", "req.der", "-no_nonce"], cwd=tmp_path, check=True,
                   capture_output=True)
    encoded = urllib.parse.quote(base64.b64encode((tmp_path / "req.der").read_bytes()).decode(),
                                 safe="")
    with urllib.request.urlopen(f"{live_server.url}/ca/ocsp/{encoded}", timeout=30) as reply:  # noqa: S310
        assert reply.headers["Content-Type"] == "application/ocsp-response"
        answer = ocsp.load_der_ocsp_response(reply.read())
    assert answer.certificate_status is Status.GOOD
    assert answer.serial_number == certificate.serial_int
