"""Certificate writes: issue, reissue, revoke, unlock the sealed key, CRL; and the audit trail.

Views, admin actions and commands call these; nothing else changes a certificate's state.
"""

import base64
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.views.decorators.debug import sensitive_variables

from accounts import crypto
from accounts.models import Customer
from certcenter.clock import now
from certificates import pki
from certificates.ca import ca_issuers_url, crl_url, load_issuing_ca
from certificates.models import (
    REVOCATION_REASON_FOR_REISSUE,
    Certificate,
    CertificateEvent,
    ReissueReason,
    RevocationList,
    SealedKey,
)
from certificates.pins import error_messages as pin_errors
from certificates.pins import validate_pin
from certificates.pki import keyseal

logger = logging.getLogger(__name__)

VID_PURPOSE = "certificates.vid_random"
CRL_VALIDITY = timedelta(days=7)


class CertificateExists(Exception):
    """The customer already holds a current certificate: reissue, don't issue."""


class KeyLocked(Exception):
    """Too many wrong PINs: only a reissue unlocks."""


class CertificateNotUsable(Exception):
    """The certificate was revoked, renewed, expired or never finished: its key is not to be used."""


@dataclass(frozen=True)
class WrongPin(Exception):
    attempts_left: int

    @property
    def message(self) -> str:
        return f"비밀번호가 일치하지 않습니다. (남은 횟수 {self.attempts_left}회)"


def event_record(
    *,
    kind: str,
    actor: str,
    certificate: Certificate | None = None,
    customer: Customer | None = None,
    staff_user=None,
    client_ip: str | None = None,
    reason: str = "",
) -> CertificateEvent:
    if customer is None and certificate is not None:
        customer = certificate.customer
    return CertificateEvent.objects.create(
        kind=kind,
        actor=actor,
        certificate=certificate,
        customer=customer,
        staff_user=staff_user,
        client_ip=client_ip or None,
        reason=reason[:255],
        created_at=now(),
    )


def _pepper() -> bytes:
    return settings.PIN_PEPPER.encode()


def _subject_suffix(customer: Customer) -> str:
    # Bank code + customer number + issue sequence, the shape of the real CN's digits.
    sequence = Certificate.objects.filter(customer=customer).count() + 1
    return f"{settings.BANK_CODE}{customer.pk:010d}{sequence:04d}"


@sensitive_variables("pin", "rrn", "private_key", "sealed_blob", "vid_random", "vid")
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
    that activates the new one. The serial is recorded (status pending) before signing, so a crash
    never leaves a signed certificate the database does not know. A second call with the same
    ``flow_id`` returns the first call's certificate instead of issuing another.
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

    key_type = settings.CERTIFICATE_KEY_TYPE
    private_key = pki.generate_private_key(key_type)
    sealed_blob = keyseal.seal_private_key(
        private_key=private_key, pin=pin, pepper=_pepper(), n=settings.PIN_SCRYPT_N
    )
    vid_random = pki.new_vid_random()
    rrn = customer.resident_number
    vid = pki.compute_vid(rrn=rrn, random_r=vid_random)
    moment = now().replace(microsecond=0)
    serial = pki.random_serial()
    subject = pki.end_entity_subject(
        organization=settings.CERTIFICATE_ORGANIZATION,
        bank_code=settings.BANK_CODE,
        name=customer.name,
        serial_suffix=_subject_suffix(customer),
    )
    not_after = moment + timedelta(days=settings.CERTIFICATE_VALIDITY_DAYS)

    try:
        with transaction.atomic():
            sealed_key = SealedKey.objects.create(
                customer=customer,
                key_type=key_type,
                sealed_private_key=sealed_blob,
                vid_random_encrypted=crypto.encrypt(
                    base64.b64encode(vid_random).decode(), purpose=VID_PURPOSE
                ),
            )
            certificate = Certificate.objects.create(
                customer=customer,
                sealed_key=sealed_key,
                serial=f"{serial:x}",
                subject=subject.rfc4514_string(),
                key_type=key_type,
                not_before=moment,
                not_after=not_after,
                status=Certificate.Status.PENDING,
                issued_name=customer.name,
                issued_phone=customer.phone,
                flow_id=flow_id,
            )
    except IntegrityError:
        # The same flow submitted twice at once: the other request is issuing.
        existing = Certificate.objects.filter(flow_id=flow_id).first()
        if existing is None:
            raise
        return existing

    try:
        ca = load_issuing_ca()
        x509_certificate = pki.build_end_entity_certificate(
            issuer_key=ca.key,
            issuer_cert=ca.cert,
            public_key=private_key.public_key(),
            subject=subject,
            serial=serial,
            not_before=moment,
            not_after=not_after,
            policy_oid=settings.CERTIFICATE_POLICY_OID,
            crl_url=crl_url(),
            ca_issuers_url=ca_issuers_url(),
            real_name=customer.name,
            vid=vid,
        )
    except Exception:
        # Nothing was signed (or nothing signed left this process): the planned row is closed
        # and its flow freed, so the customer's next submit starts a fresh attempt.
        _issue_failed(certificate, client_ip=client_ip, reason="서명 실패")
        raise
    try:
        with transaction.atomic():
            old = (
                Certificate.objects.select_for_update()
                .current()
                .filter(customer=customer)
                .exclude(pk=certificate.pk)
                .first()
            )
            if old is not None:
                if reissue_reason is None:
                    raise CertificateExists
                for revoked in _revoke(
                    old,
                    reason=REVOCATION_REASON_FOR_REISSUE[ReissueReason(reissue_reason)],
                    replaced_by=certificate,
                ):
                    event_record(
                        kind=CertificateEvent.Kind.REVOKED, actor=CertificateEvent.Actor.CUSTOMER,
                        certificate=revoked, client_ip=client_ip,
                        reason=f"재발급: {ReissueReason(reissue_reason).label!s}",
                    )
            certificate.der = pki.certificate_der(x509_certificate)
            certificate.status = Certificate.Status.ACTIVE
            certificate.save(update_fields=["der", "status"])
            event_record(
                kind=CertificateEvent.Kind.REISSUED if old else CertificateEvent.Kind.ISSUED,
                actor=CertificateEvent.Actor.CUSTOMER,
                certificate=certificate,
                client_ip=client_ip,
                reason=str(ReissueReason(reissue_reason).label) if old else "",
            )
            if old is not None:
                transaction.on_commit(crl_regenerate)
    except (CertificateExists, IntegrityError):
        _issue_failed(certificate, client_ip=client_ip, reason="이미 유효한 인증서가 있음")
        raise CertificateExists from None
    except Exception:
        _issue_failed(certificate, client_ip=client_ip, reason="저장 실패")
        raise
    return certificate


def _issue_failed(certificate: Certificate, *, client_ip: str | None, reason: str) -> None:
    Certificate.objects.filter(pk=certificate.pk).update(
        status=Certificate.Status.FAILED, flow_id=None
    )
    event_record(
        kind=CertificateEvent.Kind.ISSUE_FAILED, actor=CertificateEvent.Actor.SYSTEM,
        certificate=certificate, client_ip=client_ip, reason=reason,
    )


@sensitive_variables("pin")
def _pin_opens(sealed_key: SealedKey, pin: str) -> bool:
    try:
        keyseal.unseal_private_key(blob=bytes(sealed_key.sealed_private_key), pin=pin,
                                   pepper=_pepper())
    except keyseal.UnsealFailed:
        return False
    return True


def _revoke(
    certificate: Certificate, *, reason: str, replaced_by: Certificate | None = None
) -> list[Certificate]:
    """Revoke ``certificate`` and every still-valid certificate it was renewed from.

    A renewal leaves the previous certificate over the same key valid until it expires, so
    revoking only the newest would leave the key usable through the older one.
    """
    moment = now()
    earlier = Certificate.objects.select_for_update().filter(
        sealed_key_id=certificate.sealed_key_id,
        status=Certificate.Status.RENEWED,
        not_after__gte=moment,
    ).exclude(pk=certificate.pk)
    revoked = [certificate, *earlier]
    for each in revoked:
        each.status = Certificate.Status.REVOKED
        each.revocation_reason = reason
        each.revoked_at = moment
        each.replaced_by = replaced_by
        each.save(update_fields=["status", "revocation_reason", "revoked_at", "replaced_by"])
    return revoked


@transaction.atomic
def certificates_revoke(
    *,
    certificates: list[Certificate],
    reason: str,
    actor: str,
    staff_user=None,
    client_ip: str | None = None,
    note: str = "",
) -> list[Certificate]:
    """Revoke certificates (staff action or customer request) in one transaction, one new CRL.

    A certificate already revoked or expired is left as it is; the ones revoked are returned
    (with any still-valid earlier certificate over the same key).
    """
    label = " ".join(filter(None, [str(Certificate.RevocationReason(reason).label), note]))
    locked = Certificate.objects.select_for_update().filter(
        pk__in=[c.pk for c in certificates]
    ).order_by("pk")
    revoked = []
    for certificate in locked:
        if not certificate.is_revocable:
            continue
        for each in _revoke(certificate, reason=reason):
            event_record(
                kind=CertificateEvent.Kind.REVOKED, actor=actor, certificate=each,
                staff_user=staff_user, client_ip=client_ip, reason=label,
            )
            revoked.append(each)
    if revoked:
        transaction.on_commit(crl_regenerate)
    return revoked


def certificate_revoke(*, certificate: Certificate, **kwargs) -> Certificate:
    """Revoke one certificate; see certificates_revoke."""
    certificates_revoke(certificates=[certificate], **kwargs)
    certificate.refresh_from_db()
    return certificate


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
    locked = failure = None
    with transaction.atomic():
        sealed_key = SealedKey.objects.select_for_update().get(pk=certificate.sealed_key_id)
        if sealed_key.is_locked:
            raise KeyLocked
        try:
            private_key = keyseal.unseal_private_key(
                blob=bytes(sealed_key.sealed_private_key), pin=pin, pepper=_pepper()
            )
        except keyseal.UnsealFailed:
            sealed_key.pin_failures = F("pin_failures") + 1
            sealed_key.save(update_fields=["pin_failures"])
            sealed_key.refresh_from_db(fields=["pin_failures"])
            left = max(settings.PIN_MAX_FAILURES - sealed_key.pin_failures, 0)
            event_record(
                kind=CertificateEvent.Kind.PIN_FAILED, actor=CertificateEvent.Actor.CUSTOMER,
                certificate=certificate, client_ip=client_ip,
                reason=f"연속 {sealed_key.pin_failures}회",
            )
            if left == 0:
                sealed_key.locked_at = now()
                sealed_key.save(update_fields=["locked_at"])
                sealed_key.certificates.filter(status=Certificate.Status.ACTIVE).update(
                    status=Certificate.Status.LOCKED
                )
                event_record(
                    kind=CertificateEvent.Kind.LOCKED, actor=CertificateEvent.Actor.SYSTEM,
                    certificate=certificate, client_ip=client_ip,
                    reason=f"비밀번호 {settings.PIN_MAX_FAILURES}회 오류",
                )
                locked = True
            else:
                failure = WrongPin(attempts_left=left)
        else:
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
            return private_key
    # Raised after the block so the failure count above is committed, not rolled back.
    if locked:
        raise KeyLocked
    raise failure


def crl_regenerate() -> RevocationList:
    """Sign a new CRL of every revoked, unexpired certificate; the newest is served."""
    ca = load_issuing_ca()
    moment = now()
    rows = (
        Certificate.objects.filter(status=Certificate.Status.REVOKED, not_after__gte=moment)
        .values_list("serial", "revoked_at", "revocation_reason")
        .iterator(chunk_size=10_000)
    )
    entries = [
        (int(serial, 16), revoked_at, pki.REVOCATION_REASONS.get(reason))
        for serial, revoked_at, reason in rows
    ]
    with transaction.atomic():
        crl_row = RevocationList.objects.create(
            this_update=moment, next_update=moment + CRL_VALIDITY, der=b"", entries=len(entries)
        )
        crl = pki.build_crl(
            issuer_key=ca.key, issuer_cert=ca.cert, revoked=entries, last_update=moment,
            next_update=moment + CRL_VALIDITY, crl_number=crl_row.pk,
        )
        crl_row.der = pki.crl_der(crl)
        crl_row.save(update_fields=["der"])
    return crl_row


def crl_current() -> RevocationList:
    """The newest CRL, re-signed first when it is due (older than half its validity)."""
    latest = RevocationList.objects.order_by("-pk").first()
    if latest is None or latest.next_update - now() < CRL_VALIDITY / 2:
        latest = crl_regenerate()
    return latest
