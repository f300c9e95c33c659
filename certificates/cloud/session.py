"""The cloud connection of this browser: one small dict in the server-side session.

A customer connects by proving who they are (이름, 생년월일, 휴대폰 번호 and an SMS code, as the real
service asks); from then on this session sees only that customer's certificates. Pages that use a
certificate are wrapped in ``cloud_connection_required``.
"""

from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import Customer
from certcenter.clock import now

CLOUD_SESSION_KEY = "certcenter.cloud"


def cloud_customer(request) -> Customer | None:
    """The customer this browser is connected as, or None."""
    if hasattr(request, "_cloud_customer"):
        return request._cloud_customer
    data = request.session.get(CLOUD_SESSION_KEY)
    customer = Customer.objects.filter(pk=data["customer"]).first() if data else None
    request._cloud_customer = customer
    return customer


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


def cloud_connection_required(view):
    """Send a browser that is not connected to 클라우드 연결, and back here afterwards."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if cloud_customer(request) is None:
            target = reverse("certificates:cloud_connect")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapped
