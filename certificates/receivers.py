"""Failed identity checks from the verification app go into the certificates' audit trail."""

from django.dispatch import receiver

from certificates.audit import verification_failure_record
from verification.models import Challenge
from verification.outcomes import AUDIT_LABELS
from verification.signals import challenge_failed


@receiver(challenge_failed, dispatch_uid="certificates.challenge_failed")
def record_failed_verification(sender, challenge, reason, client_ip=None, **kwargs):
    channel = "ARS" if challenge.channel == Challenge.Channel.ARS else "SMS"
    verification_failure_record(
        customer=challenge.customer, client_ip=client_ip,
        reason=f"{channel} 인증 실패: {AUDIT_LABELS.get(reason, reason)}",
    )
