"""Failed identity checks from the verification app go into the certificates' audit trail."""

from django.dispatch import receiver

from certificates.audit import event_record
from certificates.models import CertificateEvent
from verification.signals import challenge_failed

_REASONS = {
    "wrong": "번호 불일치",
    "expired": "시간 초과",
    "exhausted": "입력 횟수 초과",
    "cancelled": "취소된 요청에 입력",
}


@receiver(challenge_failed, dispatch_uid="certificates.challenge_failed")
def record_failed_verification(sender, challenge, reason, client_ip=None, **kwargs):
    channel = "ARS" if challenge.channel == "ars" else "SMS"
    event_record(
        kind=CertificateEvent.Kind.VERIFICATION_FAILED,
        actor=CertificateEvent.Actor.CUSTOMER,
        customer=challenge.customer,
        client_ip=client_ip,
        reason=f"{channel} 인증 실패: {_REASONS.get(reason, reason)}",
    )
