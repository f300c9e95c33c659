"""Probes for load balancers and monitors: ``/healthz`` (the process answers) and ``/readyz`` (what
it depends on works), as JSON with 200 or 503.

Written here rather than taken from django-health-check: its database check writes and deletes a
row on every call (a table of its own to migrate), it answers 500 rather than 503, and its JSON says
"working" or not without a reason. These checks only read, and each says in a few words what failed,
never a host name, a path or an exception's text (which may carry either).

``ProbeMiddleware`` answers both paths first in the middleware stack: a load balancer calls by the
server's IP address (not an ``ALLOWED_HOSTS`` name) and over plain HTTP (no HTTPS redirect), and
neither answer uses the Host header, so neither check is needed for them. No session, no cookie,
no CSRF: the probes write nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import resolve
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

PROBE_PATHS = frozenset({"/healthz", "/readyz"})


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    reason: str


Check = Callable[[], CheckResult]


def failed_because(name: str, what: str, exc: BaseException) -> CheckResult:
    """A failed check naming the exception's class only: its text may hold a host, user or path."""
    return CheckResult(name, False, f"{what} ({type(exc).__name__})")


def database_check() -> CheckResult:
    """One ``SELECT 1`` on the default database (opening a connection if there is none)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 -- any failure is "not ready", never a 500
        return failed_because("database", "database unavailable", exc)
    return CheckResult("database", True, "answered")


# One key per process: two processes probing at once must not read each other's value.
_CACHE_PROBE_KEY = f"readyz:{uuid.uuid4().hex}"


def cache_check() -> CheckResult:
    """A short-lived write and read-back in the shared cache (throttles and OCSP answers live there)."""
    token = uuid.uuid4().hex
    try:
        cache.set(_CACHE_PROBE_KEY, token, timeout=30)
        read = cache.get(_CACHE_PROBE_KEY)
    except Exception as exc:  # noqa: BLE001
        return failed_because("cache", "cache unavailable", exc)
    if read != token:
        return CheckResult("cache", False, "cache did not return the value just stored")
    return CheckResult("cache", True, "read and write")


def probe_response(checks: Iterable[Check]) -> JsonResponse:
    """Run every check (a failing one does not stop the rest); 200 if all passed, else 503."""
    results = [check() for check in checks]
    ready = all(result.ok for result in results)
    response = JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": [asdict(r) for r in results]},
        status=200 if ready else 503,
    )
    add_never_cache_headers(response)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and answers; touches nothing else (a database outage is ``/readyz``'s)."""
    return probe_response([])


class ProbeMiddleware:
    """Answer ``GET``/``HEAD`` on the probe paths before host validation and HTTPS redirects.

    The views are found through the URLconf, so that stays the one place that names them. Goes
    first in ``MIDDLEWARE``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in PROBE_PATHS and request.method in ("GET", "HEAD"):
            match = resolve(request.path_info)
            return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)
