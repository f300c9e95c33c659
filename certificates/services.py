"""Issuing a 금융인증서 over a new server-held key, and opening that key with the customer's PIN.

Issuance runs in four steps, the order Let's Encrypt's Boulder keeps: **plan** (everything that
needs no database: key, sealed key, identity binding, serial, subject), **record** the planned
certificate (status pending) before anything is signed, so a crash never leaves a signed
certificate the database does not know, **sign** it, and **activate** it through the lifecycle,
which on reissue revokes the previous certificate in the same transaction.
"""

import base64
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.views.decorators.debug import sensitive_variables

from accounts import crypto
from accounts.models import Customer
from certcenter.clock import now
from certificates import lifecycle, pki
from certificates.audit import event_record
from certificates.ca import ca_issuers_url, crl_url, load_issuing_ca
from certificates.models import (
    REVOCATION_REASON_FOR_REISSUE,
    VID_PURPOSE,
    Certificate,
    CertificateEvent,
    ReissueReason,
    SealedKey,
)
from certificates.pins import error_messages as pin_errors
from certificates.pins import validate_pin
from certificates.pki import keyseal

logger = logging.getLogger(__name__)


class CertificateExists(Exception):
    """The customer already holds a current certificate: reissue, don't issue."""


class KeyLocked(Exception):
    """Too many wrong PINs: only a reissue unlocks."""


class CertificateNotUsable(Exception):
    """The certificate was revoked, renewed, expired or never finished: its key is not to be used."""


@dataclass(frozen=True)
class PinRefused(Exception):
    """A wrong PIN for a certificate in use; the key stays sealed."""

    attempts_left: int

    @property
    def message(self) -> str:
        return f"비밀번호가 일치하지 않습니다. (남은 횟수 {self.attempts_left}회)"


def _pepper() -> bytes:
    return settings.PIN_PEPPER.encode()


# -- Issuance -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Plan:
    """What a new certificate will be, worked out before the database is touched."""

    private_key: pki.PrivateKey
    key_type: str
    sealed_blob: bytes
    vid_random: bytes
    vid: bytes
    serial: int
    subject: x509.Name
    not_before: datetime
    not_after: datetime

    def __repr__(self):  # never the key or the binding in a traceback or a log
        return f"_Plan(serial={self.serial:x})"


def _subject_suffix(customer: Customer) -> str:
    # Bank code + customer number + issue sequence, the shape of the real CN's digits.
    sequence = Certificate.objects.filter(customer=customer).count() + 1
    return f"{settings.BANK_CODE}{customer.pk:010d}{sequence:04d}"


@sensitive_variables("pin", "private_key", "vid_random")
def _plan(*, customer: Customer, pin: str) -> _Plan:
    key_type = settings.CERTIFICATE_KEY_TYPE
    private_key = pki.generate_private_key(key_type)
    vid_random = pki.new_vid_random()
    moment = now().replace(microsecond=0)
    return _Plan(
        private_key=private_key,
        key_type=key_type,
        sealed_blob=keyseal.seal_private_key(
            private_key=private_key, pin=pin, pepper=_pepper(), n=settings.PIN_SCRYPT_N
        ),
        vid_random=vid_random,
        vid=pki.compute_vid(rrn=customer.resident_number, random_r=vid_random),
        serial=pki.random_serial(),
        subject=pki.end_entity_subject(
            organization=settings.CERTIFICATE_ORGANIZATION, bank_code=settings.BANK_CODE,
            name=customer.name, serial_suffix=_subject_suffix(customer),
        ),
        not_before=moment,
        not_after=moment + timedelta(days=settings.CERTIFICATE_VALIDITY_DAYS),
    )


def _record(*, customer: Customer, plan: _Plan, flow_id: str) -> Certificate:
    """The sealed key and the planned (pending) certificate; raises IntegrityError when the same
    flow is already issuing."""
    with transaction.atomic():
        sealed_key = SealedKey.objects.create(
            customer=customer,
            key_type=plan.key_type,
            sealed_private_key=plan.sealed_blob,
            vid_random_encrypted=crypto.encrypt(
                base64.b64encode(plan.vid_random).decode(), purpose=VID_PURPOSE
            ),
        )
        return Certificate.objects.create(
            customer=customer,
            sealed_key=sealed_key,
            serial=f"{plan.serial:x}",
            subject=plan.subject.rfc4514_string(),
            key_type=plan.key_type,
            not_before=plan.not_before,
            not_after=plan.not_after,
            status=Certificate.Status.PENDING,
            issued_name=customer.name,
            issued_phone=customer.phone,
            flow_id=flow_id,
        )


def _sign(*, customer: Customer, plan: _Plan) -> bytes:
    ca = load_issuing_ca()
    return pki.certificate_der(pki.build_end_entity_certificate(
        issuer_key=ca.key,
        issuer_cert=ca.cert,
        public_key=plan.private_key.public_key(),
        subject=plan.subject,
        serial=plan.serial,
        not_before=plan.not_before,
        not_after=plan.not_after,
        policy_oid=settings.CERTIFICATE_POLICY_OID,
        crl_url=crl_url(),
        ca_issuers_url=ca_issuers_url(),
        real_name=customer.name,
        vid=plan.vid,
    ))


def _activate(*, certificate: Certificate, der: bytes, reissue_reason: str | None,
              client_ip: str | None) -> None:
    """Activate ``certificate``; on reissue revoke the current one first, in one transaction."""
    with transaction.atomic():
        old = (
            Certificate.objects.select_for_update().current()
            .filter(customer_id=certificate.customer_id).exclude(pk=certificate.pk).first()
        )
        label = ""
        if old is not None:
            if reissue_reason is None:
                raise CertificateExists
            label = str(ReissueReason(reissue_reason).label)
            lifecycle.certificates_revoke(
                certificates=[old],
                reason=REVOCATION_REASON_FOR_REISSUE[ReissueReason(reissue_reason)],
                actor=CertificateEvent.Actor.CUSTOMER, client_ip=client_ip,
                replaced_by=certificate, event_reason=f"재발급: {label}", notify=False,
            )
        lifecycle.certificate_activate(certificate=certificate, der=der, client_ip=client_ip,
                                       reissue_label=label)


@sensitive_variables("pin")
def certificate_issue(
    *,
    customer: Customer,
    pin: str,
    flow_id: str,
    reissue_reason: str | None = None,
    client_ip: str | None = None,
) -> Certificate:
    """Issue a 금융인증서 over a new server-held key sealed under ``pin``.

    With ``reissue_reason`` the customer's current certificate is revoked in the same transaction
    that activates the new one. A second call with the same ``flow_id`` returns the first call's
    certificate instead of issuing another.
    """
    validate_pin(pin, customer=customer)
    existing = Certificate.objects.filter(flow_id=flow_id).first()
    if existing is not None:
        return existing
    current = Certificate.objects.current().filter(customer=customer).select_related("sealed_key")
    current = current.first()
    if current is not None and reissue_reason is None:
        raise CertificateExists
    if current is not None and _pin_opens(current.sealed_key, pin):
        raise ValidationError(pin_errors["same_as_previous"], code="same_as_previous")

    plan = _plan(customer=customer, pin=pin)
    try:
        certificate = _record(customer=customer, plan=plan, flow_id=flow_id)
    except IntegrityError:
        # The same flow submitted twice at once: the other request is issuing.
        existing = Certificate.objects.filter(flow_id=flow_id).first()
        if existing is None:
            raise
        return existing
    try:
        der = _sign(customer=customer, plan=plan)
    except Exception:
        # Nothing was signed (or nothing signed left this process): the planned row is closed
        # and its flow freed, so the customer's next submit starts a fresh attempt.
        lifecycle.certificate_fail(certificate=certificate, client_ip=client_ip, reason="서명 실패")
        raise
    try:
        _activate(certificate=certificate, der=der, reissue_reason=reissue_reason,
                  client_ip=client_ip)
    except (CertificateExists, IntegrityError):
        lifecycle.certificate_fail(certificate=certificate, client_ip=client_ip,
                                   reason="이미 유효한 인증서가 있음")
        raise CertificateExists from None
    except Exception:
        lifecycle.certificate_fail(certificate=certificate, client_ip=client_ip, reason="저장 실패")
        raise
    return certificate


@sensitive_variables("pin")
def _pin_opens(sealed_key: SealedKey, pin: str) -> bool:
    try:
        keyseal.unseal_private_key(blob=bytes(sealed_key.sealed_private_key), pin=pin,
                                   pepper=_pepper())
    except keyseal.UnsealFailed:
        return False
    return True


# -- Using the key ------------------------------------------------------------------------------

@sensitive_variables("pin")
def certificate_unlock_key(
    *, certificate: Certificate, pin: str, client_ip: str | None = None
) -> pki.PrivateKey:
    """Open the customer's sealed key with their PIN (certificate use).

    Wrong PINs are counted under a row lock, so two concurrent guesses cannot both get the last try;
    ``PIN_MAX_FAILURES`` in a row lock the key and its certificate until a reissue.
    """
    certificate.refresh_from_db(fields=["status", "not_after"])
    if certificate.status == Certificate.Status.LOCKED:
        raise KeyLocked
    if certificate.status != Certificate.Status.ACTIVE or certificate.not_after < now():
        raise CertificateNotUsable
    with transaction.atomic():
        sealed_key = SealedKey.objects.select_for_update().get(pk=certificate.sealed_key_id)
        if sealed_key.is_locked:
            raise KeyLocked
        try:
            private_key = keyseal.unseal_private_key(
                blob=bytes(sealed_key.sealed_private_key), pin=pin, pepper=_pepper()
            )
        except keyseal.UnsealFailed:
            refusal = _pin_failed(sealed_key, certificate=certificate, client_ip=client_ip)
        else:
            _pin_succeeded(sealed_key, private_key=private_key, pin=pin)
            return private_key
    # Raised after the block so the failure count above is committed, not rolled back.
    raise refusal


def _pin_failed(sealed_key: SealedKey, *, certificate: Certificate,
                client_ip: str | None) -> Exception:
    sealed_key.pin_failures = F("pin_failures") + 1
    sealed_key.save(update_fields=["pin_failures"])
    sealed_key.refresh_from_db(fields=["pin_failures"])
    event_record(
        kind=CertificateEvent.Kind.PIN_FAILED, actor=CertificateEvent.Actor.CUSTOMER,
        certificate=certificate, client_ip=client_ip, reason=f"연속 {sealed_key.pin_failures}회",
    )
    left = max(settings.PIN_MAX_FAILURES - sealed_key.pin_failures, 0)
    if left:
        return PinRefused(attempts_left=left)
    sealed_key.locked_at = now()
    sealed_key.save(update_fields=["locked_at"])
    lifecycle.certificates_lock(
        sealed_key_id=sealed_key.pk, customer_id=certificate.customer_id, client_ip=client_ip,
        reason=f"비밀번호 {settings.PIN_MAX_FAILURES}회 오류",
    )
    return KeyLocked()


@sensitive_variables("pin", "private_key")
def _pin_succeeded(sealed_key: SealedKey, *, private_key: pki.PrivateKey, pin: str) -> None:
    changed = []
    if sealed_key.pin_failures:
        sealed_key.pin_failures = 0
        changed.append("pin_failures")
    blob = bytes(sealed_key.sealed_private_key)
    if keyseal.needs_rehash(blob, n=settings.PIN_SCRYPT_N, r=keyseal.DEFAULT_R,
                            p=keyseal.DEFAULT_P):
        # The KDF cost was raised since this key was sealed: the PIN is at hand now.
        sealed_key.sealed_private_key = keyseal.seal_private_key(
            private_key=private_key, pin=pin, pepper=_pepper(), n=settings.PIN_SCRYPT_N
        )
        changed.append("sealed_private_key")
    if changed:
        sealed_key.save(update_fields=changed)
