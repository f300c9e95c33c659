"""Signing with a customer's cloud-held key, and verifying a signature as a relying party must.

``certificate_sign`` is the signing service: the customer's PIN opens the sealed key, which signs a
CMS SignedData over the content. ``signature_verify`` is the bank's side, and trusts nothing the
signing side did: it checks every signature in the order below, each refusal with its own code and
Korean message (``error_messages``), an audit event and a use record, and records a success too.

1. the signature is valid over exactly the content shown (pki.cms);
2. the signer's certificate chains to the issuing CA (its signature, the issuer's name);
3. it was valid at the signing time, and that time is not in the future;
4. its status in the database: active (not locked, revoked, renewed, expired, awaiting reissue);
5. its status on the CRL this app publishes;
6. the identity binding: the VID recomputed from the resident number on file and the key's R;
7. it belongs to the customer who signs in or transfers;
8. the request's nonce: the one the bank issued, not used before (a replayed signature).
"""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts import crypto
from accounts.models import Customer
from certcenter.clock import now
from certificates import pki
from certificates.audit import event_record
from certificates.ca import load_issuing_ca
from certificates.models import (
    VID_PURPOSE,
    Certificate,
    CertificateEvent,
    CertificateUse,
    RevocationList,
)
from certificates.pki import cms
from certificates.publication import crl_current, crl_usable
from certificates.services import certificate_unlock_key

# How far ahead of the server's clock a signing time may be: the signer's clock may run fast.
SIGNING_TIME_SKEW = timedelta(minutes=2)
OK = "ok"

error_messages = {
    "malformed": _("서명 데이터의 형식이 올바르지 않습니다."),
    "unsupported_algorithm": _("허용되지 않는 서명 방식입니다. (SHA-256 RSA 또는 ECDSA 서명만 허용)"),
    "no_signer_certificate": _("서명에 서명자의 인증서가 들어 있지 않습니다."),
    "bad_signature": _("서명 값이 올바르지 않습니다. 서명이 위조되었거나 손상되었습니다."),
    "content_mismatch": _("서명된 원문이 화면에 표시된 내용과 일치하지 않습니다."),
    "untrusted_issuer": _("이 인증센터가 발급한 인증서가 아닙니다. (인증서 체인 확인 실패)"),
    "not_yet_valid": _("서명 시각에 인증서의 유효기간이 아직 시작되지 않았습니다."),
    "expired_at_signing": _("서명 시각에 인증서의 유효기간이 이미 지났습니다."),
    "signing_time_in_future": _("서명 시각이 현재 시각보다 뒤입니다. 서명을 받을 수 없습니다."),
    "unknown_certificate": _("등록되지 않은 인증서입니다."),
    "locked": _("비밀번호 오류 횟수 초과로 이용이 제한된 인증서입니다. 재발급 후 이용해 주세요."),
    "revoked": _("폐기된 인증서입니다."),
    "suspended": _("효력이 정지된 인증서입니다. 인증서 관리에서 효력회복 후 이용해 주세요."),
    "renewed": _("갱신되어 더 이상 쓰지 않는 이전 인증서입니다. 갱신된 인증서로 다시 시도해 주세요."),
    "expired": _("유효기간이 만료된 인증서입니다. 재발급 후 이용해 주세요."),
    "reissue_required": _("고객 정보가 변경되어 재발급이 필요한 인증서입니다."),
    "not_usable": _("사용할 수 없는 상태의 인증서입니다."),
    "on_crl": _("인증서 폐지 목록(CRL)에 등록된 인증서입니다."),
    "status_unavailable": _("인증서의 폐지 여부(CRL)를 확인할 수 없습니다. 잠시 후 다시 시도해 주세요."),
    "identity_mismatch": _("인증서의 본인 확인 정보(VID)가 등록된 고객 정보와 일치하지 않습니다."),
    "not_owner": _("이용 중인 고객 본인의 인증서가 아닙니다."),
    "nonce_expired": _("인증 요청 시간이 지났거나 이미 처리된 요청입니다. 처음부터 다시 시도해 주세요."),
    "nonce_mismatch": _("서명된 요청번호가 이번 요청의 번호와 다릅니다."),
    "replayed": _("이미 사용된 서명입니다. 같은 서명은 한 번만 쓸 수 있습니다."),
}

def refusal_text(code: str) -> str:
    """What a use record's result means, in the customer's words ("" for a success)."""
    return "" if code == OK else str(error_messages.get(code, code))


_CMS_REFUSALS = {
    cms.CmsMalformed: "malformed",
    cms.CmsUnsupported: "unsupported_algorithm",
    cms.CmsNoSignerCertificate: "no_signer_certificate",
    cms.CmsBadSignature: "bad_signature",
    cms.CmsDigestMismatch: "content_mismatch",
}

# A certificate's status in the database → the refusal, for every status but active.
_STATUS_REFUSALS = {
    Certificate.Status.LOCKED: "locked",
    Certificate.Status.REVOKED: "revoked",
    Certificate.Status.SUSPENDED: "suspended",
    # A renewed certificate's key still works and it is on no CRL, so a generic relying party
    # would take it. The bank knows better: the customer's certificate is now its successor, the
    # signing service never signs with a predecessor, so a signature by one is an old signature
    # or someone else's software. Refusing it also ends the predecessor's use at once instead of
    # at its expiry.
    Certificate.Status.RENEWED: "renewed",
    Certificate.Status.EXPIRED: "expired",
    Certificate.Status.REISSUE_REQUIRED: "reissue_required",
    Certificate.Status.PENDING: "not_usable",
    Certificate.Status.FAILED: "not_usable",
}


class SignatureRefused(Exception):
    """A signature the bank does not accept; ``code`` names the check, ``message`` says it."""

    def __init__(self, code: str, *, certificate: Certificate | None = None):
        super().__init__(code)
        self.code = code
        self.certificate = certificate

    @property
    def message(self) -> str:
        return str(error_messages[self.code])


class CrlUnusable(Exception):
    """There is no current CRL to rely on: none published, past its nextUpdate, or not one the
    issuing CA signed."""


def nonce_new() -> str:
    """A fresh request number for the content a customer signs (128 random bits)."""
    return secrets.token_hex(16)


# -- Signing (the customer's side) -------------------------------------------------------------

@sensitive_variables("pin", "private_key")
def certificate_sign(*, certificate: Certificate, pin: str, content: bytes,
                     client_ip: str | None = None) -> bytes:
    """Sign ``content`` with the certificate's key, opened by ``pin``: a DER CMS SignedData.

    Raises what ``certificate_unlock_key`` raises (PinRefused, KeyLocked, CertificateNotUsable).
    """
    private_key = certificate_unlock_key(certificate=certificate, pin=pin, client_ip=client_ip)
    return cms.cms_sign(content=content, certificate=pki.load_certificate(bytes(certificate.der)),
                        private_key=private_key)


# -- Verifying (the bank's side) ----------------------------------------------------------------

def certificate_on_crl(*, serial: int) -> bool:
    """Whether ``serial`` is on the current CRL (checked as a relying party reads one: signed by
    the issuing CA, under its name, and not past its nextUpdate). Raises CrlUnusable."""
    latest = crl_current()
    if not crl_usable(latest):
        raise CrlUnusable
    serials = _crl_serials(latest.pk, latest.this_update, load_issuing_ca().cert)
    if serials is None:
        raise CrlUnusable
    return serial in serials


@lru_cache(maxsize=2)
def _crl_serials(number: int, this_update: datetime,
                 issuer: x509.Certificate) -> frozenset[int] | None:
    """The serials a CRL lists, or None when ``issuer`` did not sign it. Kept per CRL: its number
    and thisUpdate name the bytes (a stored CRL never changes, as its ETag says), so its DER is
    read from the database, parsed and checked once; a signature check then costs the same with
    100,000 entries as with none."""
    der = RevocationList.objects.values_list("der", flat=True).get(pk=number)
    crl = x509.load_der_x509_crl(bytes(der))
    if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):
        return None
    return frozenset(entry.serial_number for entry in crl)


def _issued_certificate(signer: x509.Certificate | None) -> Certificate | None:
    """Our record of the certificate the signature names: same serial and the very same bytes."""
    if signer is None:
        return None
    try:
        found = Certificate.objects.select_related("sealed_key").get(
            serial=f"{signer.serial_number:x}")
    except Certificate.DoesNotExist:
        return None
    if found.der is None or bytes(found.der) != pki.certificate_der(signer):
        return None
    return found


def _check_chain(signer: x509.Certificate) -> None:
    try:
        signer.verify_directly_issued_by(load_issuing_ca().cert)
    except (ValueError, TypeError, InvalidSignature):
        raise SignatureRefused("untrusted_issuer") from None


def _check_validity(signer: x509.Certificate, signed: cms.SignedContent) -> None:
    at = signed.signing_time
    if at < signer.not_valid_before_utc:
        raise SignatureRefused("not_yet_valid")
    if at > signer.not_valid_after_utc:
        raise SignatureRefused("expired_at_signing")
    if at > now() + SIGNING_TIME_SKEW:
        raise SignatureRefused("signing_time_in_future")


def _check_status(certificate: Certificate | None) -> Certificate:
    if certificate is None:
        raise SignatureRefused("unknown_certificate")
    refusal = _STATUS_REFUSALS.get(certificate.status)
    if refusal is None and certificate.not_after < now():
        refusal = "expired"  # the nightly job has not marked it yet
    if refusal is not None:
        raise SignatureRefused(refusal)
    try:
        listed = certificate_on_crl(serial=certificate.serial_int)
    except CrlUnusable:
        raise SignatureRefused("status_unavailable") from None
    if listed:
        raise SignatureRefused("on_crl")
    return certificate


def _check_binding(certificate: Certificate, signer: x509.Certificate, *,
                   customer: Customer) -> None:
    """KISA's VID, recomputed from what the bank holds: the resident number on file for the
    certificate's customer and the R kept with the key."""
    # The signing customer's row when it is the owner's (the ownership check comes next).
    holder = customer if certificate.customer_id == customer.pk else certificate.customer
    vid_random = base64.b64decode(
        crypto.decrypt(certificate.sealed_key.vid_random_encrypted, purpose=VID_PURPOSE)
    )
    vid = pki.compute_vid(rrn=holder.resident_number, random_r=vid_random)
    if not pki.binding_matches(cert_der=pki.certificate_der(signer),
                               real_name=certificate.issued_name, vid=vid):
        raise SignatureRefused("identity_mismatch")


def _check_nonce(*, certificate: Certificate, digest: str, content: bytes,
                 nonce: str | None, expected_nonce: str | None) -> None:
    """Fresh: ``expected_nonce`` is the one the bank issued for this request (None when none is
    pending: it expired or was used), ``nonce`` the one the signed request carries, which the
    signed content must contain. Single use: a content accepted once is a replay; the database
    refuses a second acceptance (see ``signature_verify``), this names it when the request is gone.
    """
    if (expected_nonce is not None and nonce is not None
            and hmac.compare_digest(nonce.encode(), expected_nonce.encode())
            and nonce.encode() in content):
        return
    if CertificateUse.objects.filter(certificate=certificate, content_digest=digest,
                                     result=OK).exists():
        raise SignatureRefused("replayed")
    raise SignatureRefused("nonce_expired" if expected_nonce is None else "nonce_mismatch")


def _use_record(*, certificate: Certificate, customer: Customer, purpose: str, digest: str,
                result: str, client_ip: str | None) -> CertificateUse:
    return CertificateUse.objects.create(
        certificate=certificate, customer=customer, purpose=purpose, content_digest=digest,
        result=result, client_ip=client_ip or None, created_at=now(),
    )


def _refusal_record(refusal: SignatureRefused, *, customer: Customer, purpose: str, digest: str,
                    client_ip: str | None) -> None:
    label = CertificateUse.Purpose(purpose).label
    event_record(
        kind=CertificateEvent.Kind.SIGNATURE_REFUSED, actor=CertificateEvent.Actor.CUSTOMER,
        certificate=refusal.certificate, customer=customer, client_ip=client_ip,
        reason=f"{label} [{refusal.code}] {refusal.message}", outcome=refusal.code,
    )
    # A use row needs a certificate: one is written when the signature names a certificate this
    # CA issued (on that certificate, with the customer who tried), not for a signature naming none.
    if refusal.certificate is not None:
        _use_record(certificate=refusal.certificate, customer=customer, purpose=purpose,
                    digest=digest, result=refusal.code, client_ip=client_ip)


def signature_verify(
    *,
    signature: bytes,
    content: bytes,
    customer: Customer,
    purpose: str,
    nonce: str | None = None,
    expected_nonce: str | None = None,
    client_ip: str | None = None,
) -> Certificate:
    """Accept ``signature`` over ``content`` from ``customer`` for ``purpose`` (a
    ``CertificateUse.Purpose``), or raise SignatureRefused; see the module's list of checks.

    Returns the signer's certificate. Every call leaves a use record (when the signature names one
    of our certificates) and every refusal an audit event.
    """
    digest = hashlib.sha256(content).hexdigest()
    certificate = None
    try:
        try:
            signed = cms.cms_verify(signature=signature, content=content)
        except cms.CmsError as exc:
            certificate = _issued_certificate(exc.signer_certificate)
            raise SignatureRefused(_CMS_REFUSALS[type(exc)]) from None
        signer = signed.signer_certificate
        certificate = _issued_certificate(signer)
        _check_chain(signer)
        _check_validity(signer, signed)
        _check_status(certificate)
        _check_binding(certificate, signer, customer=customer)
        if certificate.customer_id != customer.pk:
            raise SignatureRefused("not_owner")
        _check_nonce(certificate=certificate, digest=digest, content=content, nonce=nonce,
                     expected_nonce=expected_nonce)
        try:
            with transaction.atomic():
                _use_record(certificate=certificate, customer=customer, purpose=purpose,
                            digest=digest, result=OK, client_ip=client_ip)
        except IntegrityError:
            # The same content accepted a moment ago by a concurrent request (the database keeps
            # one accepted use per content: certificate_use_accepted_once).
            raise SignatureRefused("replayed") from None
    except SignatureRefused as refusal:
        refusal.certificate = certificate
        _refusal_record(refusal, customer=customer, purpose=purpose, digest=digest,
                        client_ip=client_ip)
        raise
    return certificate
