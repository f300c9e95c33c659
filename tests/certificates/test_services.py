"""Certificate services without the wizard: issue, PIN unlock and lock, revoke, CRL, crash safety."""

import shutil
import subprocess

import pytest
from cryptography import x509
from django.db import IntegrityError, transaction

from certificates import pki
from certificates.ca import load_issuing_ca
from certificates.lifecycle import certificate_revoke
from certificates.models import Certificate, CertificateEvent
from certificates.publication import crl_current
from certificates.services import (
    CertificateExists,
    KeyLocked,
    PinRefused,
    certificate_issue,
    certificate_unlock_key,
)
from tests.conftest import PIN

pytestmark = pytest.mark.django_db


def test_issue_twice_without_a_reason_is_refused(customer, certificate_factory):
    certificate_factory()
    with pytest.raises(CertificateExists):
        certificate_factory(pin="246802")
    assert Certificate.objects.filter(customer=customer).count() == 1


def test_same_flow_id_returns_the_same_certificate(customer):
    first = certificate_issue(customer=customer, pin=PIN, flow_id="flow-1")
    again = certificate_issue(customer=customer, pin=PIN, flow_id="flow-1")
    assert first.pk == again.pk
    assert Certificate.objects.count() == 1


def test_database_allows_one_current_certificate_per_customer(customer, certificate):
    duplicate = Certificate(
        customer=customer, sealed_key=certificate.sealed_key, serial="abc", subject="x",
        key_type="rsa-2048", not_before=certificate.not_before, not_after=certificate.not_after,
        status=Certificate.Status.LOCKED, issued_name="x", issued_phone="x",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_serial_is_recorded_before_signing(customer, monkeypatch):
    """The serial is in the database (pending) before anything is signed; a failed signing
    closes that row and frees the flow, so the customer's next submit starts afresh."""

    def crash(builder, *, issuer_key):
        assert Certificate.objects.filter(status="pending").count() == 1
        raise RuntimeError("HSM unavailable")

    monkeypatch.setattr(pki.EndEntityProfile, "sign", staticmethod(crash))
    with pytest.raises(RuntimeError):
        certificate_issue(customer=customer, pin=PIN, flow_id="flow-crash")
    failed = Certificate.objects.get()
    assert failed.status == Certificate.Status.FAILED and failed.der is None
    assert int(failed.serial, 16) > 0 and failed.flow_id is None
    assert CertificateEvent.objects.filter(kind="issue_failed", certificate=failed).exists()

    monkeypatch.undo()
    again = certificate_issue(customer=customer, pin=PIN, flow_id="flow-crash")
    assert again.status == Certificate.Status.ACTIVE and again.pk != failed.pk


def test_unlock_with_the_right_pin_opens_the_key_of_the_certificate(certificate):
    key = certificate_unlock_key(certificate=certificate, pin=PIN)
    cert = pki.load_certificate(bytes(certificate.der))
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()


def test_five_wrong_pins_lock_the_certificate(settings, certificate, pin_pause):
    for left in range(settings.PIN_MAX_FAILURES - 1, 0, -1):
        with pytest.raises(PinRefused) as caught:
            certificate_unlock_key(certificate=certificate, pin="000001")
        assert caught.value.attempts_left == left
        pin_pause()
    with pytest.raises(KeyLocked):
        certificate_unlock_key(certificate=certificate, pin="000001")
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.LOCKED
    # Locked means locked: even the right PIN no longer opens it.
    with pytest.raises(KeyLocked):
        certificate_unlock_key(certificate=certificate, pin=PIN)
    kinds = list(CertificateEvent.objects.values_list("kind", flat=True))
    assert kinds.count("pin_failed") == 5 and kinds.count("locked") == 1


def test_a_right_pin_resets_the_failure_count(certificate, pin_pause):
    for _ in range(4):
        with pytest.raises(PinRefused):
            certificate_unlock_key(certificate=certificate, pin="000001")
        pin_pause()
    certificate_unlock_key(certificate=certificate, pin=PIN)
    with pytest.raises(PinRefused) as caught:
        certificate_unlock_key(certificate=certificate, pin="000001")
    assert caught.value.attempts_left == 4


def test_only_reissue_unlocks_a_locked_certificate(certificate_factory, pin_pause):
    certificate = certificate_factory()
    for _ in range(5):
        with pytest.raises((PinRefused, KeyLocked)):
            certificate_unlock_key(certificate=certificate, pin="000001")
        pin_pause()
    new = certificate_factory(pin="246802", reissue_reason="pin")
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert certificate_unlock_key(certificate=new, pin="246802")


def test_staff_revocation_updates_the_crl(
    admin_user, django_capture_on_commit_callbacks, certificate
):
    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(certificate=certificate, reason="key_compromise", actor="staff",
                           staff_user=admin_user, note="고객 요청")
    crl = x509.load_der_x509_crl(bytes(crl_current().der))
    assert crl.get_revoked_certificate_by_serial_number(certificate.serial_int) is not None
    assert crl.is_signature_valid(load_issuing_ca().cert.public_key())
    event = CertificateEvent.objects.get(kind="revoked")
    assert event.staff_user == admin_user and "고객 요청" in event.reason


def test_ec_p256_is_selectable(settings, certificate_factory):
    settings.CERTIFICATE_KEY_TYPE = "ec-p256"
    certificate = certificate_factory()
    assert certificate.key_type == "ec-p256"
    assert pki.key_type_of(pki.load_certificate(bytes(certificate.der)).public_key()) == "ec-p256"


def test_sealed_key_holds_no_clear_key_or_pin(certificate):
    key = certificate_unlock_key(certificate=certificate, pin=PIN)
    from cryptography.hazmat.primitives import serialization

    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    blob = bytes(certificate.sealed_key.sealed_private_key)
    assert der[40:80] not in blob and PIN.encode() not in blob


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command line not installed")
def test_openssl_verifies_issued_certificates_and_sees_revocations(
    customer_factory, tmp_path, django_capture_on_commit_callbacks, certificate_factory
):
    ca = load_issuing_ca()
    good = certificate_factory(customer=customer_factory())
    bad = certificate_factory(customer=customer_factory())
    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(certificate=bad, reason="key_compromise", actor="system")
    (tmp_path / "root.pem").write_text(pki.certificate_pem(ca.root_cert))
    (tmp_path / "issuing.pem").write_text(pki.certificate_pem(ca.cert))
    (tmp_path / "crl.der").write_bytes(bytes(crl_current().der))
    subprocess.run(["openssl", "crl", "-inform", "DER", "-in", tmp_path / "crl.der", "-out",
                    tmp_path / "crl.pem"], check=True)
    for name, certificate in (("good", good), ("bad", bad)):
        (tmp_path / f"{name}.pem").write_text(
            pki.certificate_pem(pki.load_certificate(bytes(certificate.der)))
        )

    def verify(name, *extra):
        return subprocess.run(
            ["openssl", "verify", "-x509_strict", "-CAfile", tmp_path / "root.pem", "-untrusted",
             tmp_path / "issuing.pem", *extra, tmp_path / f"{name}.pem"],
            capture_output=True, text=True,
        )

    assert verify("good").returncode == 0
    assert verify("bad").returncode == 0  # without the CRL nobody knows
    crl_args = ("-crl_check", "-CRLfile", tmp_path / "crl.pem")
    ok = verify("good", *crl_args)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    revoked = verify("bad", *crl_args)
    assert revoked.returncode != 0
    assert "certificate revoked" in revoked.stdout + revoked.stderr


def test_revoking_a_renewed_certificate_revokes_its_still_valid_predecessor(
    django_capture_on_commit_callbacks, certificate_factory
):
    """Renewal keeps the key: the older certificate over it must not outlive a revocation."""
    from datetime import timedelta

    import time_machine

    from certificates.renewal import certificates_renew

    old = certificate_factory()
    with time_machine.travel(old.not_after - timedelta(days=10), tick=False):
        certificates_renew()
        new = Certificate.objects.get(renewed_from=old)
        with django_capture_on_commit_callbacks(execute=True):
            certificate_revoke(certificate=new, reason="key_compromise", actor="staff")
        crl = x509.load_der_x509_crl(bytes(crl_current().der))
    old.refresh_from_db()
    assert old.status == Certificate.Status.REVOKED
    for certificate in (old, new):
        assert crl.get_revoked_certificate_by_serial_number(certificate.serial_int) is not None


def test_a_renewed_certificate_that_expired_is_left_alone(certificate_factory):
    from datetime import timedelta

    import time_machine

    from certificates.renewal import certificates_renew

    old = certificate_factory()
    with time_machine.travel(old.not_after - timedelta(days=10), tick=False):
        certificates_renew()
    new = Certificate.objects.get(renewed_from=old)
    with time_machine.travel(old.not_after + timedelta(days=1), tick=False):
        certificate_revoke(certificate=new, reason="superseded", actor="system")
    old.refresh_from_db()
    assert old.status == Certificate.Status.RENEWED  # expired: no longer needs a CRL entry


def test_a_revoked_certificate_cannot_be_used(certificate_factory):
    from certificates.services import CertificateNotUsable

    certificate = certificate_factory()
    certificate_revoke(certificate=certificate, reason="key_compromise", actor="staff")
    with pytest.raises(CertificateNotUsable):
        certificate_unlock_key(certificate=certificate, pin=PIN)


def test_a_raised_kdf_cost_reseals_the_key_on_the_next_right_pin(settings, certificate_factory):
    from certificates.pki import keyseal

    settings.PIN_SCRYPT_N = 2**12
    certificate = certificate_factory()
    assert keyseal.kdf_parameters(bytes(certificate.sealed_key.sealed_private_key))["n"] == 2**12
    settings.PIN_SCRYPT_N = 2**14
    certificate_unlock_key(certificate=certificate, pin=PIN)
    certificate.sealed_key.refresh_from_db()
    assert keyseal.kdf_parameters(bytes(certificate.sealed_key.sealed_private_key))["n"] == 2**14
    assert certificate_unlock_key(certificate=certificate, pin=PIN)  # same PIN, same key


def test_only_the_newest_few_crls_are_kept(customer_factory, django_capture_on_commit_callbacks):
    from certificates.models import RevocationList
    from certificates.publication import CRL_KEEP, crl_publish

    for _ in range(10):
        crl_publish()
    kept = list(RevocationList.objects.order_by("pk").values_list("pk", flat=True))
    assert len(kept) == CRL_KEEP
    newest = RevocationList.objects.order_by("-pk").first()
    # The CRL number keeps counting: a relying party must see it grow.
    crl = x509.load_der_x509_crl(bytes(newest.der))
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == newest.pk
    assert kept[-1] == newest.pk
