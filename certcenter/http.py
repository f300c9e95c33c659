"""Request helpers shared by the apps' views."""

import ipaddress
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The customer's address, for throttles and the audit trail.

    Behind ``TRUSTED_PROXY_COUNT`` reverse proxies (each appending to X-Forwarded-For) the address
    is taken that many entries from the right, the last one a trusted proxy saw; entries further
    left are whatever the client chose to send. With no proxy configured the header is ignored and
    the socket's peer (REMOTE_ADDR) is used.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def setting_or_404(name: str):
    """A view decorator: the view answers only while ``settings.<name>`` is on; otherwise a 404,
    before anything else runs (the simulator's demo switches)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not getattr(settings, name):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
