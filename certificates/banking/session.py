"""The 모의 인터넷뱅킹's state in the server-side session: who signed in, the signature requests
waiting for a PIN, and this session's transfer receipts.

A request (login or transfer) holds the bank's nonce and the exact text to be signed; it is taken
out of the session when it is signed, so it serves once, and it expires after REQUEST_TTL. The
banking session ends after BANK_IDLE_TIMEOUT without a page, at 로그아웃, and whenever the browser's
cloud connection is no longer the same customer's.
"""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from accounts.models import Customer
from certcenter.clock import now
from certificates.cloud.session import cloud_customer
from certificates.models import Certificate

BANK_SESSION_KEY = "certcenter.bank"
LOGIN_REQUEST_KEY = "certcenter.bank.login"
TRANSFER_REQUEST_KEY = "certcenter.bank.transfer"
RECEIPTS_KEY = "certcenter.bank.receipts"

BANK_IDLE_TIMEOUT = timedelta(minutes=10)  # common internet-banking practice
REQUEST_TTL = timedelta(minutes=5)  # a request shown and not signed within this is void
RECEIPTS_KEPT = 10


@dataclass(frozen=True)
class BankSession:
    customer: Customer
    certificate: Certificate
    signed_in_at: datetime


def bank_session(request) -> BankSession | None:
    """The banking session of this browser, or None (an ended one is cleared on the way)."""
    if hasattr(request, "_bank_session"):
        return request._bank_session
    data = request.session.get(BANK_SESSION_KEY)
    found = None
    if data and now().timestamp() - data["seen"] <= BANK_IDLE_TIMEOUT.total_seconds():
        customer = cloud_customer(request)
        certificate = Certificate.objects.filter(pk=data["certificate"]).first()
        if customer is not None and customer.pk == data["customer"] and certificate is not None:
            found = BankSession(customer=customer, certificate=certificate,
                                signed_in_at=datetime.fromtimestamp(data["at"], tz=UTC))
            request.session[BANK_SESSION_KEY] = {**data, "seen": now().timestamp()}
    if found is None and data:
        bank_session_end(request)
    request._bank_session = found
    return found


def bank_session_open(request, *, customer: Customer, certificate: Certificate) -> None:
    """Signed in with a verified signature.

    The session key is not cycled again here: it was when this browser proved who it is (the
    cloud connection), and the signature was accepted only from that same customer, so no one
    who knew an earlier key is let in. (Cycling costs two more session writes a login.)
    """
    moment = now().timestamp()
    request.session[BANK_SESSION_KEY] = {"customer": customer.pk, "certificate": certificate.pk,
                                         "at": moment, "seen": moment}
    request.session.pop(RECEIPTS_KEY, None)
    request.__dict__.pop("_bank_session", None)


def bank_session_end(request) -> None:
    for key in (BANK_SESSION_KEY, LOGIN_REQUEST_KEY, TRANSFER_REQUEST_KEY, RECEIPTS_KEY):
        request.session.pop(key, None)
    request._bank_session = None


# -- Signature requests ---------------------------------------------------------------------------

def request_put(request, key: str, *, nonce: str, content: str, **extra) -> dict:
    data = {"nonce": nonce, "content": content, "at": now().timestamp(), **extra}
    request.session[key] = data
    return data


def request_get(request, key: str) -> dict | None:
    """The pending request, if it has not expired (an expired one is removed)."""
    data = request.session.get(key)
    if data and now().timestamp() - data["at"] > REQUEST_TTL.total_seconds():
        request.session.pop(key, None)
        return None
    return data


def request_take(request, key: str) -> str | None:
    """The bank's nonce of the pending request, removed: it serves one signature only."""
    data = request_get(request, key)
    request.session.pop(key, None)
    return data["nonce"] if data else None


# -- Receipts -------------------------------------------------------------------------------------

def receipt_put(request, *, number: str, signature: bytes, **fields) -> None:
    receipts = dict(request.session.get(RECEIPTS_KEY) or {})
    receipts[number] = {**fields, "signature": base64.b64encode(signature).decode("ascii")}
    request.session[RECEIPTS_KEY] = dict(list(receipts.items())[-RECEIPTS_KEPT:])


def receipt_get(request, number: str) -> dict | None:
    receipt = (request.session.get(RECEIPTS_KEY) or {}).get(number)
    if receipt is None:
        return None
    return {**receipt, "signature": base64.b64decode(receipt["signature"])}
