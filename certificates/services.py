"""Issuing a 금융인증서 over a new server-held key, and opening that key with the customer's PIN.

Issuance runs in four steps, the order Let's Encrypt's Boulder keeps: **plan** (everything that
needs no database: key, sealed key, identity binding, serial, subject), **record** the planned
certificate (status pending) before anything is signed, so a crash never leaves a signed
certificate the database does not know, **sign** it (only once a copy signed with a throwaway
key lints clean: ``linting``), and **activate** it through the lifecycle, which on reissue
revokes the previous certificate in the same transaction.
"""

import base64
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts import crypto
from accounts.models import Customer
from certcenter.clock import now
from certificates import lifecycle, linting, notices, pki
from certificates.audit import event_record
from certificates.ca import end_entity_profile, load_issuing_ca
from certificates.linting import CertificateLintFailed
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
from verification.services import sms_notify_many

logger = logging.getLogger(__name__)


class CertificateExists(Exception):
    """The customer already holds a current certificate: reissue, don't issue."""


class KeyLocked(Exception):
    """Too many wrong PINs: only a reissue unlocks."""


class CertificateNotUsable(Exception):
    """The certificate was revoked, renewed, expired or never finished: its key is not to be used."""


class CertificateSuspended(CertificateNotUsable):
    """The certificate is on hold (효력정지): its key is not used until it is resumed."""


@dataclass(eq=False)  # not frozen: Python sets __traceback__ on an exception as it propagates
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
    """The certificate signed by the CA key, once it lints clean (else CertificateLintFailed)."""
    ca = load_issuing_ca()
    profile = end_entity_profile(ca)
    builder = profile.builder(
        public_key=plan.private_key.public_key(),
        subject=plan.subject,
        serial=plan.serial,
        not_before=plan.not_before,
        not_after=plan.not_after,
        real_name=customer.name,
        vid=plan.vid,
    )
    if linting.lint_before_signing():
        linting.certificate_check(builder, issuer_key=ca.key)
    return pki.certificate_der(profile.sign(builder, issuer_key=ca.key))


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
    certificate instead of issuing another. Raises CertificateLintFailed when the certificate
    about to be signed has lint findings: the planned certificate is failed, nothing is signed.
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
    except CertificateLintFailed as exc:
        # The CA key signed nothing; the profile (or its configuration) needs a person, so the
        # codes go to the log and the audit row, and the customer is told to call the bank.
        logger.error("pre-issuance lint refused serial %x: %s", plan.serial, ", ".join(exc.codes))
        lifecycle.certificate_fail(certificate=certificate, client_ip=client_ip, reason=exc.reason)
        raise
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
#
# A PIN check of a key is rate-limited in time as well as counted, so the count of five cannot be
# raced or hammered:
# - one check of a key at a time: a check first takes a lease on the key in the cache
#   (``cache.add``, atomic in Redis and in the in-process cache), so two concurrent guesses never
#   both run; the second is refused at once instead of queueing behind the first. No row lock is
#   held while scrypt runs (on SQLite it would stop every other writer), and a right PIN writes
#   nothing unless something was pending (a count, a pause, a new seal). With the default
#   in-process cache the lease holds per server process; several processes share it through
#   ``CACHE_URL`` (Redis). The count itself never depends on it: it moves under a guarded UPDATE
#   that never passes the limit.
# - a pause after each wrong PIN that doubles: 1 s after the first, then 2 s, 4 s, 8 s
#   (``pin_retry_delay``, kept on the key as ``pin_retry_at``), so the five tries take at least 15 s
#   whatever the client does. A person retyping six digits hardly notices it.
# A check refused for either reason (``PinCheckDelayed``) runs no scrypt and counts no failure.
# The lease ends with the check; if a worker dies mid-check, it expires by itself after
# ``PIN_CHECK_LEASE``.

PIN_CHECK_LEASE = timedelta(seconds=10)


def pin_retry_delay(failures: int) -> timedelta:
    """The pause before the next PIN check after ``failures`` wrong PINs in a row: 2^(n-1) s."""
    return timedelta(seconds=2 ** (failures - 1)) if failures > 0 else timedelta(0)


@dataclass(eq=False)
class PinCheckDelayed(PinRefused):
    """Asked again too soon after a wrong PIN, or while another check of the key runs: the PIN was
    not checked and no failure counted.

    A subclass of PinRefused, so a caller that shows ``PinRefused.message`` shows this one's too;
    one that wants to tell them apart catches this first.
    """

    retry_after: int = 1  # seconds, at least 1

    @property
    def message(self) -> str:
        return (f"비밀번호 확인 요청이 너무 잦습니다. 잠시 후 다시 시도해 주세요. "
                f"({self.retry_after}초 후 가능)")


@sensitive_variables("pin")
def certificate_unlock_key(
    *, certificate: Certificate, pin: str, client_ip: str | None = None
) -> pki.PrivateKey:
    """Open the customer's sealed key with their PIN (certificate use).

    Raises KeyLocked, CertificateNotUsable, PinRefused (a wrong PIN, counted) or PinCheckDelayed
    (not checked: too soon, see above). ``PIN_MAX_FAILURES`` wrong PINs in a row lock the key and
    its certificate until a reissue. Call it outside ``transaction.atomic``: a wrong PIN's count is
    committed before the refusal is raised, and an enclosing transaction would roll it back.
    """
    return _key_open(certificate=certificate, pin=pin, client_ip=client_ip)


@sensitive_variables("pin", "reseal_pin", "private_key")
def _key_open(*, certificate: Certificate, pin: str, client_ip: str | None,
              reseal_pin: str | None = None) -> pki.PrivateKey:
    """Check ``pin`` against the key (under the lease); with ``reseal_pin`` seal the key again
    under that PIN in the same write that ends the check."""
    certificate.refresh_from_db(fields=["status", "not_after"])
    if certificate.status == Certificate.Status.LOCKED:
        raise KeyLocked
    if certificate.status == Certificate.Status.SUSPENDED:
        raise CertificateSuspended
    if certificate.status != Certificate.Status.ACTIVE or certificate.not_after < now():
        raise CertificateNotUsable
    sealed_key = _pin_check_begin(sealed_key_id=certificate.sealed_key_id)
    try:
        try:
            private_key = keyseal.unseal_private_key(
                blob=bytes(sealed_key.sealed_private_key), pin=pin, pepper=_pepper()
            )
        except keyseal.UnsealFailed:
            # Counted (and the pause set) before the lease ends, so the next check sees both.
            raise _pin_failed(sealed_key, certificate=certificate, client_ip=client_ip) from None
        _pin_succeeded(sealed_key, private_key=private_key, pin=reseal_pin or pin,
                       reseal=reseal_pin is not None)
    finally:
        cache.delete(_lease_key(sealed_key.pk))
    return private_key


def _lease_key(sealed_key_id: int) -> str:
    return f"certcenter:pin-check:{sealed_key_id}"


def _pin_check_begin(*, sealed_key_id: int) -> SealedKey:
    """Take the key's lease for one PIN check, or raise KeyLocked / PinCheckDelayed."""
    lease = _lease_key(sealed_key_id)
    if not cache.add(lease, True, timeout=PIN_CHECK_LEASE.total_seconds()):
        # Another check of this key is running: not checked, not counted.
        sealed_key = SealedKey.objects.only("pin_failures", "locked_at").get(pk=sealed_key_id)
        if sealed_key.is_locked:
            raise KeyLocked
        raise PinCheckDelayed(
            attempts_left=max(settings.PIN_MAX_FAILURES - sealed_key.pin_failures, 0),
            retry_after=1,
        )
    try:
        # Read under the lease: a check that just ended has committed its count and pause.
        sealed_key = SealedKey.objects.get(pk=sealed_key_id)
        if sealed_key.is_locked:
            raise KeyLocked
        moment = now()
        if sealed_key.pin_retry_at is not None and sealed_key.pin_retry_at > moment:
            wait = (sealed_key.pin_retry_at - moment).total_seconds()
            raise PinCheckDelayed(
                attempts_left=max(settings.PIN_MAX_FAILURES - sealed_key.pin_failures, 0),
                retry_after=max(math.ceil(wait), 1),
            )
    except BaseException:
        cache.delete(lease)
        raise
    return sealed_key


def _pin_failed(sealed_key: SealedKey, *, certificate: Certificate,
                client_ip: str | None) -> Exception:
    """Count a wrong PIN, end the lease with the pause it earns, lock at the limit."""
    limit = settings.PIN_MAX_FAILURES
    with transaction.atomic():
        # Never past the limit, even if a lease ran out mid-check and two checks overlapped.
        SealedKey.objects.filter(pk=sealed_key.pk, pin_failures__lt=limit).update(
            pin_failures=F("pin_failures") + 1
        )
        failures = SealedKey.objects.values_list("pin_failures", flat=True).get(pk=sealed_key.pk)
        event_record(
            kind=CertificateEvent.Kind.PIN_FAILED, actor=CertificateEvent.Actor.CUSTOMER,
            certificate=certificate, client_ip=client_ip, reason=f"연속 {failures}회",
            outcome=f"pin_wrong_{failures}_of_{limit}",
        )
        moment = now()
        if failures < limit:
            SealedKey.objects.filter(pk=sealed_key.pk).update(
                pin_retry_at=moment + pin_retry_delay(failures)
            )
            return PinRefused(attempts_left=limit - failures)
        SealedKey.objects.filter(pk=sealed_key.pk).update(locked_at=moment, pin_retry_at=None)
        lifecycle.certificates_lock(
            sealed_key_id=sealed_key.pk, customer_id=certificate.customer_id, client_ip=client_ip,
            reason=f"비밀번호 {limit}회 오류",
        )
    return KeyLocked()


@sensitive_variables("pin", "private_key")
def _pin_succeeded(sealed_key: SealedKey, *, private_key: pki.PrivateKey, pin: str,
                   reseal: bool) -> None:
    """Reset the count and the pause, in one write with any new seal of the key; a right PIN on
    a key with nothing pending writes nothing."""
    changes = {}
    if sealed_key.pin_failures or sealed_key.pin_retry_at is not None:
        changes.update(pin_failures=0, pin_retry_at=None)
    blob = bytes(sealed_key.sealed_private_key)
    # Sealed again when the PIN changes, or when the KDF cost was raised since this key was
    # sealed (the PIN is at hand now).
    if reseal or keyseal.needs_rehash(blob, n=settings.PIN_SCRYPT_N, r=keyseal.DEFAULT_R,
                                      p=keyseal.DEFAULT_P):
        changes["sealed_private_key"] = keyseal.seal_private_key(
            private_key=private_key, pin=pin, pepper=_pepper(), n=settings.PIN_SCRYPT_N
        )
    if changes:
        SealedKey.objects.filter(pk=sealed_key.pk).update(**changes)


# -- Managing the certificate (인증서 관리) ----------------------------------------------------------

change_pin_errors = {
    "same_as_current": _("현재 비밀번호와 같은 비밀번호로는 변경할 수 없습니다."),
}


@sensitive_variables("current_pin", "new_pin")
def certificate_change_pin(
    *, certificate: Certificate, current_pin: str, new_pin: str, client_ip: str | None = None
) -> Certificate:
    """Seal the certificate's key again under ``new_pin`` (비밀번호 변경): same key, same certificate.

    The new PIN is checked against the PIN rules and the current PIN before the current PIN is
    tried, so a refused new PIN costs no try. The current PIN is checked as every use checks it
    (counted, paused, locking at the limit): raises what certificate_unlock_key raises, or
    ValidationError for the new PIN. The customer gets a notice SMS.
    """
    validate_pin(new_pin, customer=certificate.customer)
    if constant_time_compare(new_pin, current_pin):
        raise ValidationError(change_pin_errors["same_as_current"], code="same_as_current")
    _key_open(certificate=certificate, pin=current_pin, client_ip=client_ip, reseal_pin=new_pin)
    moment = now()
    with transaction.atomic():
        event_record(kind=CertificateEvent.Kind.PIN_CHANGED, actor=CertificateEvent.Actor.CUSTOMER,
                     certificate=certificate, client_ip=client_ip)
        sms_notify_many(messages=[(
            certificate.customer.phone, notices.notice_text(what=notices.PIN_CHANGED, at=moment),
        )])
    return certificate


@sensitive_variables("pin")
def certificate_revoke_by_customer(
    *, certificate: Certificate, pin: str, client_ip: str | None = None
) -> Certificate:
    """The customer revokes their own certificate (인증서 해지), proving it with the PIN.

    RFC 5280 reason cessationOfOperation; the lifecycle re-signs the CRL and sends the notice.
    Raises what certificate_unlock_key raises.
    """
    certificate_unlock_key(certificate=certificate, pin=pin, client_ip=client_ip)
    return lifecycle.certificate_revoke(
        certificate=certificate, reason=Certificate.RevocationReason.CESSATION_OF_OPERATION,
        actor=CertificateEvent.Actor.CUSTOMER, client_ip=client_ip, note="고객 해지",
    )
