"""Failed identity checks from the verification app go into the certificates' audit trail."""

from django.conf import settings
from django.dispatch import receiver

from certificates.audit import repeated_failure_record, verification_failure_record
from verification.models import Challenge
from verification.outcomes import AUDIT_LABELS, Outcome
from verification.signals import challenge_failed

# Entries on a challenge that takes none any more: nothing is counted against them, so a client
# (a script at the handset's keypad, a form posted again and again) can send them without end.
# A wrong entry is not here: a challenge takes only a few, each a guess staff want to see.
ENDLESS = frozenset({Outcome.EXPIRED, Outcome.EXHAUSTED, Outcome.CANCELLED, Outcome.DAILY_CAP})


@receiver(challenge_failed, dispatch_uid="certificates.challenge_failed")
def record_failed_verification(sender, challenge, reason, client_ip=None, **kwargs):
    channel = "ARS" if challenge.channel == Challenge.Channel.ARS else "SMS"
    text = f"{channel} 인증 실패: {AUDIT_LABELS.get(reason, reason)}"
    outcome = f"{channel.lower()}_{reason}"  # for the log line, e.g. sms_wrong
    if reason not in ENDLESS:
        verification_failure_record(customer=challenge.customer, client_ip=client_ip, reason=text,
                                    outcome=outcome)
        return
    # Per customer (or phone, for a challenge without one), channel and outcome; one row a window.
    subject = (f"customer:{challenge.customer_id}" if challenge.customer_id is not None
               else f"phone:{challenge.phone}")
    repeated_failure_record(
        key=f"verification:{challenge.channel}:{reason}:{subject}", reason=text,
        window_seconds=settings.SMS_SEND_WINDOW, customer_id=challenge.customer_id,
        client_ip=client_ip, outcome=outcome,
    )
