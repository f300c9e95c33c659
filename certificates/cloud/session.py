"""The cloud connection of this browser: one small dict in the server-side session, and the cookie
of 자동 연결.

A customer connects by proving who they are (이름, 생년월일, 휴대폰 번호 and an SMS code, as the real
service asks); from then on this session sees only that customer's certificates. Pages that use a
certificate are wrapped in ``cloud_connection_required``.

A browser registered for 자동 연결 holds a signed cookie with its device's token
(``certificates.cloud.devices``): a session that is not connected is connected by it, and a session
connected by a device ends as soon as that device is revoked (here, from another browser, or by
staff) or expires. A cookie that names no active device is ignored and deleted. Cookie changes are
written to the response by ``cloud_cookie_settle`` (the decorators below call it).
"""

from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import Customer
from certcenter.clock import now
from certcenter.http import client_ip
from certificates.audit import event_record
from certificates.cloud.devices import (
    cloud_device_for_token,
    cloud_device_register,
    cloud_device_touch,
    cloud_devices_active,
    cloud_devices_revoke,
)
from certificates.models import CertificateEvent, CloudDevice

CLOUD_SESSION_KEY = "certcenter.cloud"
DEVICE_COOKIE = "certcenter_cloud_device"
COOKIE_SALT = "certificates.cloud.device-cookie"
# A device's last use is written again at most this often while one session keeps using it.
LAST_USE_RESOLUTION = timedelta(minutes=5)

Kind, Actor = CertificateEvent.Kind, CertificateEvent.Actor

# Audit reasons (stored as written, whatever the request's language).
BY_CODE = "SMS 인증"
BY_CODE_REGISTERED = "SMS 인증, 이 브라우저 자동 연결 등록"
BY_DEVICE = "자동 연결"
ENDED = "클라우드 연결 해제"
ENDED_WITH_DEVICE = "클라우드 연결 해제, 이 브라우저 자동 연결 해제"
TAKEN_OVER = "이 브라우저에서 다른 고객이 클라우드 연결: 자동 연결 해제"


def cloud_customer(request) -> Customer | None:
    """The customer this browser is connected as, or None (connecting it by its device cookie)."""
    if hasattr(request, "_cloud_customer"):
        return request._cloud_customer
    customer = _session_customer(request)
    if customer is None:
        device = cloud_browser_device(request)
        if device is not None:
            _auto_connect(request, device)
            customer = device.customer
    request._cloud_customer = customer
    return customer


def _session_customer(request) -> Customer | None:
    data = request.session.get(CLOUD_SESSION_KEY)
    if not data:
        return None
    if data.get("device") is None:
        return Customer.objects.filter(pk=data["customer"]).first()
    device = cloud_devices_active(customer_id=data["customer"]).select_related(
        "customer").filter(pk=data["device"]).first()
    if device is None:
        # Revoked or expired: the connection it gave ends with it, in every browser.
        cloud_session_end(request)
        return None
    if now() - device.last_used_at >= LAST_USE_RESOLUTION:
        cloud_device_touch(device=device)
    return device.customer


def _auto_connect(request, device: CloudDevice) -> None:
    cloud_session_connect(request, customer=device.customer, device_id=device.pk)
    cloud_device_touch(device=device)
    event_record(kind=Kind.CLOUD_CONNECTED, actor=Actor.CUSTOMER, customer=device.customer,
                 client_ip=client_ip(request), reason=BY_DEVICE)


def cloud_session_connect(request, *, customer: Customer, device_id: int | None = None) -> None:
    """Mark this session connected as ``customer`` (a new session key: identity was just proven)."""
    request.session.cycle_key()
    request.session[CLOUD_SESSION_KEY] = {
        "customer": customer.pk, "at": now().timestamp(), "device": device_id,
    }
    request._cloud_customer = customer


def cloud_session_device(request) -> int | None:
    data = request.session.get(CLOUD_SESSION_KEY)
    return data.get("device") if data else None


def cloud_session_end(request) -> None:
    request.session.pop(CLOUD_SESSION_KEY, None)
    request._cloud_customer = None


# --- the device cookie ---------------------------------------------------------------------------

def cloud_browser_device(request) -> CloudDevice | None:
    """The active device whose token this browser holds, or None (a stale cookie is deleted)."""
    if not hasattr(request, "_cloud_browser_device"):
        device = None
        if DEVICE_COOKIE in request.COOKIES:
            token = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=COOKIE_SALT)
            device = cloud_device_for_token(token)
            if device is None:
                cloud_cookie_delete(request)  # forged, revoked or expired
        request._cloud_browser_device = device
    return request._cloud_browser_device


def cloud_cookie_set(request, token: str) -> None:
    request._cloud_cookie = token
    request._cloud_browser_device = None  # known again from the next request on


def cloud_cookie_delete(request) -> None:
    request._cloud_cookie = ""
    request._cloud_browser_device = None


def cloud_cookie_settle(request, response):
    """Write the cookie change this request decided on (if any) to ``response``."""
    token = getattr(request, "_cloud_cookie", None)
    if token:
        # As safe as the session cookie: HttpOnly, SameSite=Lax, Secure unless plain-HTTP
        # development says otherwise (SESSION_COOKIE_SECURE follows DEBUG by default).
        response.set_signed_cookie(
            DEVICE_COOKIE, token, salt=COOKIE_SALT, httponly=True, samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            max_age=int(timedelta(days=settings.CLOUD_AUTO_CONNECT_DAYS).total_seconds()),
        )
    elif token == "" and DEVICE_COOKIE in request.COOKIES:
        response.delete_cookie(DEVICE_COOKIE, samesite="Lax")
    return response


def cloud_cookie_settled(view):
    """Apply the device cookie changes a view (or ``cloud_customer``) decided on."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return cloud_cookie_settle(request, view(request, *args, **kwargs))

    return wrapped


# --- connecting and disconnecting a browser ------------------------------------------------------

def cloud_connect_browser(request, *, customer: Customer, remember: bool) -> None:
    """Connect this browser as ``customer``, who has just proven who they are by an SMS code.

    ``remember`` (이 브라우저 자동 연결): a new device, its token in the cookie; a device this browser
    held before is revoked, being replaced. Without it, a device of the same customer that this
    browser holds stays this browser's; another customer's is revoked, its cookie deleted (a
    browser connects one customer: after this one disconnects, it must not fall back to the other).
    """
    held = cloud_browser_device(request)
    device_id = None
    if held is not None and (remember or held.customer_id != customer.pk):
        cloud_devices_revoke(customer_id=held.customer_id, device_ids=[held.pk])
        cloud_cookie_delete(request)
        if held.customer_id != customer.pk:
            event_record(kind=Kind.CLOUD_DISCONNECTED, actor=Actor.SYSTEM, customer=held.customer,
                         client_ip=client_ip(request), reason=TAKEN_OVER)
    elif held is not None:
        device_id = held.pk
    if remember:
        device, token = cloud_device_register(
            customer=customer, user_agent=request.META.get("HTTP_USER_AGENT", ""))
        cloud_cookie_set(request, token)
        device_id = device.pk
    cloud_session_connect(request, customer=customer, device_id=device_id)
    event_record(kind=Kind.CLOUD_CONNECTED, actor=Actor.CUSTOMER, customer=customer,
                 client_ip=client_ip(request), reason=BY_CODE_REGISTERED if remember else BY_CODE)


def cloud_disconnect_browser(request) -> bool:
    """클라우드 연결 해제: end this session's connection and this browser's device; False if it had
    neither. A device cookie is honoured here without connecting first: holding it is the proof."""
    data = request.session.get(CLOUD_SESSION_KEY) or {}
    ended: dict[int, list[int]] = {}
    if data.get("customer"):
        ended[data["customer"]] = [data["device"]] if data.get("device") else []
    held = cloud_browser_device(request)
    if held is not None:
        ended.setdefault(held.customer_id, []).append(held.pk)
    for customer in Customer.objects.filter(pk__in=ended):
        revoked = cloud_devices_revoke(customer_id=customer.pk, device_ids=ended[customer.pk])
        event_record(kind=Kind.CLOUD_DISCONNECTED, actor=Actor.CUSTOMER, customer=customer,
                     client_ip=client_ip(request), reason=ENDED_WITH_DEVICE if revoked else ENDED)
    cloud_session_end(request)
    cloud_cookie_delete(request)
    return bool(ended)


def cloud_device_disconnect(request, *, customer: Customer, device: CloudDevice | None) -> bool:
    """이용 기기 해제: revoke one of the customer's devices, or all of them (``device`` None).

    Returns whether this browser was disconnected too: always for all; for one, when it is this
    browser's (the device this session connected by, or the one whose cookie it holds).
    """
    if device is None:
        revoked = cloud_devices_revoke(customer_id=customer.pk)
        reason, this_browser = f"모든 이용 기기 해제 ({revoked}대)", True
    else:
        cloud_devices_revoke(customer_id=customer.pk, device_ids=[device.pk])
        held = cloud_browser_device(request)
        reason = f"이용 기기 해제: {device.label or f'#{device.pk}'}"
        this_browser = device.pk in (cloud_session_device(request), held and held.pk)
    event_record(kind=Kind.CLOUD_DISCONNECTED, actor=Actor.CUSTOMER, customer=customer,
                 client_ip=client_ip(request), reason=reason)
    if this_browser:
        cloud_session_end(request)
        cloud_cookie_delete(request)
    return this_browser


def cloud_connection_required(view):
    """Send a browser that is not connected to 클라우드 연결, and back here afterwards."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if cloud_customer(request) is None:
            target = reverse("certificates:cloud_connect")
            response = redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        else:
            response = view(request, *args, **kwargs)
        return cloud_cookie_settle(request, response)

    return wrapped
