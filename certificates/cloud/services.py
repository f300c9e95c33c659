"""클라우드 연결's code request: 이름, 생년월일, 휴대폰 번호 → an SMS 인증번호 to that customer's phone.

Threat model. The page is open to anyone, so whatever it answers must not tell whether the details
belong to a customer of the bank (that alone is personal information). Hence:

- The answer to a request is the same whether the details matched or not ("입력하신 정보가 등록된
  정보와 일치하면 인증번호가 발송됩니다"); a request that matched no one is then answered, code
  entry by code entry, as a real code would be (``certificates.cloud.pending``). Only the owner of
  the phone learns more, by receiving the code.
- Verification's own refusals to send (resend cooldown, sends per phone, the customer's daily cap
  on wrong codes) exist only for a phone on record, so they are not shown either: such a request is
  answered like one that matched no one. The connect page keeps a resend cooldown of its own, per
  session and phone, so a customer pressing 재전송 too early is still told to wait.
- The client IP's throttle counts every request, matched or not. Counting mismatches only (as
  identification does) would tell on its own: four wrong details and one candidate, then a sixth
  request — refused exactly when the candidate was wrong too.
- What is left: verification's daily cap on wrong codes is the customer's and lasts the day,
  while the imitation counts per session. Someone who spends a day's wrong codes on a person in
  one session and continues in another can tell — and has sent that person several codes, each
  saying what it is for and not to pass it on. The time a request takes differs by the sending
  (a few milliseconds); the throttle keeps the samples few.

The wizard's SMS step may say "does not match": there the customer is already identified by ID,
resident number and an ARS call, so it reveals nothing new.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from accounts.throttle import Throttle
from certificates.audit import repeated_failure_record
from verification import services as verification

# What the code is for (verification names it in the text message).
CLOUD_SMS_PURPOSE = "cloud.sms"
CLOUD_PURPOSE_LABEL = _("금융인증서 클라우드 연결")

MISMATCH = "클라우드 연결: 입력 정보 불일치"
REFUSED_IP = "클라우드 연결 제한: IP별 인증번호 요청 횟수 초과"
NOT_SENT = "클라우드 연결: 인증번호 발송 제한"


class ConnectThrottled(Exception):
    """Too many code requests from this client IP within ``LOOKUP_FAILURE_WINDOW``."""


@dataclass(frozen=True)
class CodeRequest:
    """What a request came to, for the session only (the page shows the same either way):
    the challenge sent and its customer, or None for both."""

    challenge_id: str | None = None
    customer_id: int | None = None


def connect_throttle() -> Throttle:
    return Throttle("cloud-connect-ip", settings.LOOKUP_MAX_FAILURES, settings.LOOKUP_FAILURE_WINDOW)


def cloud_customer_match(*, name: str, birth_date: date, phone: str) -> Customer | None:
    """The one enrolled personal customer with exactly these details, or None.

    Two customers sharing name, birth date and phone cannot be told apart by what was typed:
    neither is connected (the same answer as no match).
    """
    matches = list(Customer.objects.filter(
        name=name, birth_date=birth_date, phone=phone, internet_banking_enrolled=True,
        kind=Customer.Kind.PERSONAL,
    )[:2])
    return matches[0] if len(matches) == 1 else None


def cloud_code_request(*, name: str, birth_date: date, phone: str, flow_id: str,
                       client_ip: str) -> CodeRequest:
    """Send a code if the details are one customer's; raises ConnectThrottled for the client IP.

    ``phone`` is in E.164 form (``normalize_phone``). Refusals are on the audit trail once per
    window per client IP (on no customer's, since which one was meant is not known).
    """
    window = settings.LOOKUP_FAILURE_WINDOW
    # ``fail`` counts this request unless the limit was reached: one statement, so concurrent
    # requests never exceed it.
    if not connect_throttle().fail(client_ip):
        repeated_failure_record(key=f"cloud-connect-refused:ip:{client_ip}", reason=REFUSED_IP,
                                window_seconds=window, customer_id=None, client_ip=client_ip,
                                outcome="cloud_throttled_ip")
        raise ConnectThrottled
    customer = cloud_customer_match(name=name, birth_date=birth_date, phone=phone)
    if customer is None:
        repeated_failure_record(key=f"cloud-connect:ip:{client_ip}", reason=MISMATCH,
                                window_seconds=window, customer_id=None, client_ip=client_ip,
                                outcome="cloud_mismatch")
        return CodeRequest()
    try:
        challenge = verification.sms_send(phone=customer.phone, purpose=CLOUD_SMS_PURPOSE,
                                          flow_id=flow_id, customer=customer)
    except verification.SendThrottled as refused:
        repeated_failure_record(
            key=f"cloud-connect-not-sent:{refused.reason}:customer:{customer.pk}",
            reason=f"{NOT_SENT} ({refused.reason})", window_seconds=window,
            customer_id=customer.pk, client_ip=client_ip,
            outcome=f"cloud_not_sent_{refused.reason}",
        )
        return CodeRequest()
    return CodeRequest(challenge_id=str(challenge.pk), customer_id=customer.pk)
