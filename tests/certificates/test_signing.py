"""Signing with the cloud-held key and verifying as the bank (certificates.signing): the success,
and every refusal with its code, its audit event and its use record."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from accounts.services import customer_update
from certcenter.clock import now
from certificates import lifecycle, pki
from certificates.banking.content import login_text
from certificates.ca import ca_issuers_url, crl_url, load_issuing_ca
from certificates.models import Certificate, CertificateEvent, CertificateUse, RevocationList
from certificates.pki.cms import cms_sign
from certificates.publication import crl_publish
from certificates.services import certificate_unlock_key
from certificates.signing import (
    SIGNING_TIME_SKEW,
    SignatureRefused,
    certificate_on_crl,
    certificate_sign,
    error_messages,
    nonce_new,
    signature_verify,
)
from tests.conftest import PIN

# The bank checks the CRL on every signature: one is published, as init_ca does.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("published_crl")]
IP = "192.0.2.7"


@pytest.fixture(autouse=True)
def fast_sealing(settings):
    settings.PIN_SCRYPT_N = 2**10


@dataclass
class Signed:
    signature: bytes
    content: bytes
    nonce: str


def login_request(customer):
    nonce = nonce_new()
    return nonce, login_text(customer=customer, at=now(), nonce=nonce).encode()


def sign(certificate, customer=None):
    nonce, content = login_request(customer or certificate.customer)
    return Signed(certificate_sign(certificate=certificate, pin=PIN, content=content,
                                   client_ip=IP), content, nonce)


def sign_raw(certificate, private_key, *, cert=None, content=None, nonce=None):
    """A signature made outside the signing service (a forged or foreign one)."""
    if content is None:
        nonce, content = login_request(certificate.customer)
    cert = cert or pki.load_certificate(bytes(certificate.der))
    return Signed(cms_sign(content=content, certificate=cert, private_key=private_key), content,
                  nonce)


@pytest.fixture
def signed(certificate):
    return sign(certificate)


def verify(signed, customer, **overrides):
    arguments = {"signature": signed.signature, "content": signed.content, "customer": customer,
                 "purpose": CertificateUse.Purpose.LOGIN, "nonce": signed.nonce,
                 "expected_nonce": signed.nonce, "client_ip": IP}
    arguments.update(overrides)
    return signature_verify(**arguments)


def refused(code, signed, customer, *, certificate=None, **overrides):
    """Verify, expect the refusal ``code``, and check its audit event and use record."""
    events_before = CertificateEvent.objects.filter(kind=CertificateEvent.Kind.SIGNATURE_REFUSED)
    count_before = events_before.count()
    with pytest.raises(SignatureRefused) as caught:
        verify(signed, customer, **overrides)
    refusal = caught.value
    assert refusal.code == code
    assert refusal.message == str(error_messages[code])
    events = CertificateEvent.objects.filter(kind=CertificateEvent.Kind.SIGNATURE_REFUSED)
    assert events.count() == count_before + 1
    event = events.first()
    assert event.customer == customer
    assert event.client_ip == IP
    assert f"[{code}]" in event.reason and "로그인" in event.reason
    assert event.certificate == certificate
    use = CertificateUse.objects.first()
    if certificate is None:
        assert use is None or use.result != code
    else:
        assert (use.certificate, use.customer, use.result, use.purpose) == (
            certificate, customer, code, CertificateUse.Purpose.LOGIN)
        assert use.content_digest == hashlib.sha256(signed.content).hexdigest()
    return refusal


def flipped(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


# -- Success ---------------------------------------------------------------------------------------

def test_a_signature_is_accepted_and_recorded(certificate, customer, signed):
    assert verify(signed, customer) == certificate
    use = CertificateUse.objects.get()
    assert (use.certificate, use.customer, use.purpose, use.result, use.client_ip) == (
        certificate, customer, "01", "ok", IP)
    assert use.content_digest == hashlib.sha256(signed.content).hexdigest()
    assert use.ok
    assert not CertificateEvent.objects.filter(kind=CertificateEvent.Kind.SIGNATURE_REFUSED).exists()


def test_an_ec_certificate_signs_and_verifies(settings, certificate_factory, customer):
    settings.CERTIFICATE_KEY_TYPE = "ec-p256"
    certificate = certificate_factory()
    assert verify(sign(certificate), customer) == certificate


def test_the_transfer_purpose_is_recorded(certificate, customer, signed):
    verify(signed, customer, purpose=CertificateUse.Purpose.TRANSFER)
    assert CertificateUse.objects.get().purpose == "02"


# -- 1. The signature over exactly the content -------------------------------------------------

@pytest.mark.parametrize("garbage", [b"", b"not a signature", b"\x30\x82\x01"])
def test_garbage_is_malformed(customer, certificate, garbage):
    nonce, content = login_request(customer)
    refused("malformed", Signed(garbage, content, nonce), customer)
    assert not CertificateUse.objects.exists()  # it names no certificate to record a use on


def test_one_tampered_content_byte_is_refused(certificate, customer, signed):
    tampered = Signed(signed.signature, flipped(signed.content, len(signed.content) - 3),
                      signed.nonce)
    refused("content_mismatch", tampered, customer, certificate=certificate)


def test_a_tampered_signature_byte_is_refused(certificate, customer, signed):
    from asn1crypto import cms as asn1_cms

    value = asn1_cms.ContentInfo.load(signed.signature)["content"]["signer_infos"][0]["signature"]
    at = signed.signature.rindex(value.native) + 10
    tampered = Signed(flipped(signed.signature, at), signed.content, signed.nonce)
    refused("bad_signature", tampered, customer, certificate=certificate)


def _built(certificate, options, hash_algorithm=hashes.SHA256()):
    key = certificate_unlock_key(certificate=certificate, pin=PIN)
    nonce, content = login_request(certificate.customer)
    signature = (
        pkcs7.PKCS7SignatureBuilder().set_data(content)
        .add_signer(pki.load_certificate(bytes(certificate.der)), key, hash_algorithm,
                    rsa_padding=padding.PKCS1v15() if isinstance(key, rsa.RSAPrivateKey) else None)
        .sign(serialization.Encoding.DER, options)
    )
    return Signed(signature, content, nonce)


def test_a_signature_without_the_signer_certificate_is_refused(certificate, customer):
    signed = _built(certificate, [pkcs7.PKCS7Options.DetachedSignature,
                                  pkcs7.PKCS7Options.NoCerts])
    refused("no_signer_certificate", signed, customer)


def test_another_digest_is_refused(certificate, customer):
    signed = _built(certificate, [pkcs7.PKCS7Options.DetachedSignature], hashes.SHA512())
    refused("unsupported_algorithm", signed, customer, certificate=certificate)


# -- 2. The chain to the issuing CA ------------------------------------------------------------

def _other_ca():
    moment = now() - timedelta(days=1)
    root_key = pki.generate_private_key("rsa-2048")
    root = pki.create_root_ca(key=root_key, now=moment)  # the same names as ours
    key = pki.generate_private_key("rsa-2048")
    return key, pki.create_issuing_ca(key=key, root_key=root_key, root_cert=root, now=moment)


def test_a_certificate_from_another_ca_is_refused(certificate, customer):
    # The same key, serial, subject and identity binding, signed by a CA of the same name.
    ours = pki.load_certificate(bytes(certificate.der))
    issuer_key, issuer = _other_ca()
    foreign = pki.build_end_entity_certificate(
        issuer_key=issuer_key, issuer_cert=issuer, public_key=ours.public_key(),
        subject=ours.subject, serial=ours.serial_number, not_before=ours.not_valid_before_utc,
        not_after=ours.not_valid_after_utc, crl_url=crl_url(), ca_issuers_url=ca_issuers_url(),
        real_name=customer.name, vid=pki.identity_binding(ours)[1],
    )
    assert foreign.issuer == ours.issuer
    key = certificate_unlock_key(certificate=certificate, pin=PIN)
    refused("untrusted_issuer", sign_raw(certificate, key, cert=foreign), customer)


def test_an_issuer_name_other_than_our_ca_is_refused(certificate, customer):
    # Signed with our CA's key, but naming another issuer.
    ours = pki.load_certificate(bytes(certificate.der))
    ca = load_issuing_ca()
    other_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Other CA")])
    renamed = (
        x509.CertificateBuilder().subject_name(ours.subject).issuer_name(other_name)
        .public_key(ours.public_key()).serial_number(pki.random_serial())
        .not_valid_before(ours.not_valid_before_utc).not_valid_after(ours.not_valid_after_utc)
        .sign(ca.key, hashes.SHA256())
    )
    key = certificate_unlock_key(certificate=certificate, pin=PIN)
    refused("untrusted_issuer", sign_raw(certificate, key, cert=renamed), customer)


# -- 3. Valid at the signing time ---------------------------------------------------------------

def test_signed_before_the_certificate_was_valid(certificate, customer):
    with time_machine.travel(certificate.not_before - timedelta(seconds=1), tick=False):
        signed = sign(certificate)
    refused("not_yet_valid", signed, customer, certificate=certificate)


def test_signed_at_the_first_second_of_validity(certificate, customer):
    with time_machine.travel(certificate.not_before, tick=False):
        signed = sign(certificate)
    assert verify(signed, customer) == certificate


def test_signed_after_the_certificate_expired(certificate, customer):
    key = certificate_unlock_key(certificate=certificate, pin=PIN)  # the service refuses by then
    with time_machine.travel(certificate.not_after + timedelta(seconds=1), tick=False):
        signed = sign_raw(certificate, key)
        refused("expired_at_signing", signed, customer, certificate=certificate)


def test_signed_at_the_last_second_of_validity(certificate, customer):
    key = certificate_unlock_key(certificate=certificate, pin=PIN)
    with time_machine.travel(certificate.not_after, tick=False):
        crl_publish()  # as the hourly publish_crl has done all year
        assert verify(sign_raw(certificate, key), customer) == certificate


@pytest.mark.parametrize(("ahead", "accepted"), [
    (SIGNING_TIME_SKEW, True), (SIGNING_TIME_SKEW + timedelta(seconds=1), False),
])
def test_a_signing_time_in_the_future(certificate, customer, ahead, accepted):
    moment = now().replace(microsecond=0)
    with time_machine.travel(moment + ahead, tick=False):
        signed = sign(certificate)
    with time_machine.travel(moment, tick=False):
        if accepted:
            assert verify(signed, customer) == certificate
        else:
            refused("signing_time_in_future", signed, customer, certificate=certificate)


# -- 4. Status in the database ------------------------------------------------------------------

def test_a_certificate_we_did_not_issue_is_unknown(certificate, customer):
    # Our CA's signature, a serial the database does not know.
    ours = pki.load_certificate(bytes(certificate.der))
    ca = load_issuing_ca()
    stray = pki.build_end_entity_certificate(
        issuer_key=ca.key, issuer_cert=ca.cert, public_key=ours.public_key(),
        subject=ours.subject, serial=pki.random_serial(), not_before=ours.not_valid_before_utc,
        not_after=ours.not_valid_after_utc, crl_url=crl_url(), ca_issuers_url=ca_issuers_url(),
        real_name=customer.name, vid=pki.identity_binding(ours)[1],
    )
    key = certificate_unlock_key(certificate=certificate, pin=PIN)
    refused("unknown_certificate", sign_raw(certificate, key, cert=stray), customer)


def test_a_revoked_certificate_is_refused(certificate, customer, signed,
                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.certificate_revoke(certificate=certificate, reason="key_compromise",
                                     actor=CertificateEvent.Actor.CUSTOMER)
    refused("revoked", signed, customer, certificate=certificate)


def test_a_locked_certificate_is_refused(certificate, customer, signed):
    lifecycle.certificates_lock(sealed_key_id=certificate.sealed_key_id, customer_id=customer.pk,
                                client_ip=None, reason="test")
    refused("locked", signed, customer, certificate=certificate)


def test_a_renewed_predecessor_is_refused(certificate, customer, signed):
    lifecycle.certificates_renew(old_ids=[certificate.pk], insert_successors=lambda: [],
                                 moment=now())
    refused("renewed", signed, customer, certificate=certificate)


def test_an_expired_certificate_is_refused(certificate, customer, signed):
    lifecycle.certificates_expire(rows=[(certificate.pk, customer.pk)], moment=now())
    refused("expired", signed, customer, certificate=certificate)


def test_an_active_certificate_past_its_expiry_is_refused(certificate, customer, signed):
    # Signed while valid, verified after expiry, before the nightly job marked it expired.
    with time_machine.travel(certificate.not_after + timedelta(seconds=1), tick=False):
        refused("expired", signed, customer, certificate=certificate)


def test_a_certificate_awaiting_reissue_is_refused(certificate, customer, signed):
    lifecycle.certificates_require_reissue(rows=[(certificate.pk, customer.pk, "이름", customer.phone)],
                                           moment=now(), notice="notice")
    refused("reissue_required", signed, customer, certificate=certificate)


def test_a_certificate_that_never_finished_is_refused(certificate, customer, signed):
    Certificate.objects.filter(pk=certificate.pk).update(status=Certificate.Status.FAILED)
    refused("not_usable", signed, customer, certificate=certificate)


# -- 5. Status on the CRL -------------------------------------------------------------------------

def test_the_crl_check(certificate_factory, customer, customer_factory,
                       django_capture_on_commit_callbacks):
    certificate = certificate_factory()
    other = certificate_factory(customer=customer_factory())
    assert certificate_on_crl(serial=certificate.serial_int) is False
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.certificate_revoke(certificate=certificate, reason="key_compromise",
                                     actor=CertificateEvent.Actor.STAFF)
    assert certificate_on_crl(serial=certificate.serial_int) is True
    assert certificate_on_crl(serial=other.serial_int) is False


def test_a_serial_on_the_crl_is_refused_even_if_the_database_says_active(
        certificate, customer, signed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.certificate_revoke(certificate=certificate, reason="key_compromise",
                                     actor=CertificateEvent.Actor.STAFF)
    # The database and the CRL disagree (a restore from backup, a bad migration): the CRL wins.
    Certificate.objects.filter(pk=certificate.pk).update(status=Certificate.Status.ACTIVE,
                                                         revoked_at=None, revocation_reason="")
    refused("on_crl", signed, customer, certificate=certificate)


def test_a_crl_not_signed_by_our_ca_is_not_trusted(certificate, customer, signed):
    issuer_key, issuer = _other_ca()
    moment = now()
    crl = pki.build_crl(issuer_key=issuer_key, issuer_cert=issuer, revoked=[],
                        last_update=moment, next_update=moment + timedelta(days=7), crl_number=99)
    RevocationList.objects.create(this_update=moment, next_update=moment + timedelta(days=7),
                                  der=pki.crl_der(crl))
    refused("status_unavailable", signed, customer, certificate=certificate)


def test_without_a_crl_the_status_is_unavailable_and_none_is_signed(certificate, customer, signed):
    RevocationList.objects.all().delete()
    refused("status_unavailable", signed, customer, certificate=certificate)
    assert not RevocationList.objects.exists()  # checking a signature never signs a CRL


@pytest.mark.parametrize(("before_next_update", "code"), [
    (timedelta(seconds=1), None), (timedelta(0), "status_unavailable"),
])
def test_a_crl_past_its_next_update_is_not_relied_on(certificate, customer, signed, time_machine,
                                                     before_next_update, code):
    time_machine.move_to(now(), tick=False)
    RevocationList.objects.update(next_update=now() + before_next_update)
    if code is None:
        assert verify(signed, customer) == certificate
    else:
        refused(code, signed, customer, certificate=certificate)
    assert RevocationList.objects.count() == 1


# -- 6. Identity binding, 7. ownership -----------------------------------------------------------

def test_a_changed_resident_number_breaks_the_binding(certificate, customer, signed):
    customer_update(customer=customer, resident_number="900101-1999990")
    refused("identity_mismatch", signed, customer, certificate=certificate)


def test_another_customers_certificate_is_refused(certificate, customer, customer_factory, signed):
    intruder = customer_factory()
    refused("not_owner", signed, intruder, certificate=certificate)


# -- 8. The nonce -----------------------------------------------------------------------------------

def test_a_replayed_signature_is_refused(certificate, customer, signed):
    verify(signed, customer)
    refused("replayed", signed, customer, certificate=certificate)
    # Also when the bank has no request pending any more (it was taken by the first use).
    refused("replayed", signed, customer, certificate=certificate, expected_nonce=None)
    assert CertificateUse.objects.filter(result="ok").count() == 1


def test_no_request_pending_is_refused(certificate, customer, signed):
    refused("nonce_expired", signed, customer, certificate=certificate, expected_nonce=None)


def test_a_signature_for_another_request_is_refused(certificate, customer, signed):
    refused("nonce_mismatch", signed, customer, certificate=certificate,
            expected_nonce=nonce_new())


def test_a_nonce_that_is_not_in_the_signed_content_is_refused(certificate, customer, signed):
    elsewhere = nonce_new()
    refused("nonce_mismatch", signed, customer, certificate=certificate, nonce=elsewhere,
            expected_nonce=elsewhere)


def test_a_refused_signature_can_still_be_accepted_with_its_request(certificate, customer, signed):
    # A refusal is not a use: the same signature with the right request is then accepted.
    refused("nonce_mismatch", signed, customer, certificate=certificate, expected_nonce=nonce_new())
    assert verify(signed, customer) == certificate


def test_a_replay_racing_the_first_acceptance_is_refused_by_the_database(
        certificate, customer, signed, monkeypatch):
    # Two requests with the same signature pass the "accepted before?" check at the same moment;
    # the database keeps one accepted use per content, so the second is refused all the same.
    from certificates import signing

    check = signing._check_nonce

    def and_meanwhile(**kwargs):
        check(**kwargs)
        CertificateUse.objects.create(
            certificate=certificate, customer=customer, purpose="01", result="ok",
            content_digest=hashlib.sha256(signed.content).hexdigest(), created_at=now())

    monkeypatch.setattr(signing, "_check_nonce", and_meanwhile)
    refused("replayed", signed, customer, certificate=certificate)
    assert CertificateUse.objects.filter(result="ok").count() == 1
