"""Request helpers shared by the apps' views."""

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address as the server saw it.

    X-Forwarded-For is not trusted: behind a proxy, configure it to set REMOTE_ADDR (gunicorn's
    ``--forwarded-allow-ips``) rather than letting a client choose its own throttle bucket.
    """
    return request.META.get("REMOTE_ADDR", "")
