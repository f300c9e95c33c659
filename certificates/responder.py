"""The OCSP responder's own door: a WSGI application in front of Django's for /ca/ocsp.

An OCSP request is a machine's question with no session, cookie, form or page: the middleware a
customer's page needs (sessions, CSRF, CSP, axes, OTP, messages, locale) does nothing for it, yet
costs about as much as the answer's signature. ``certcenter.wsgi`` therefore wraps Django's
application in ``OCSPFrontDoor``, which answers GET and POST under the responder's path itself,
through the same ``ocsp_answer`` as the Django view, and hands every other request (and any other
method there) to Django unchanged. Like Django's handler it sends ``request_started`` and
``request_finished``, so database connections are opened, checked and closed by the same rules.
"""

from __future__ import annotations

from django.core import signals
from django.urls import reverse

from certificates.ocsp import OCSP_HEADERS, ocsp_answer

_METHODS = ("GET", "POST")


class OCSPFrontDoor:
    def __init__(self, application):
        self.application = application
        self._path: str | None = None

    @property
    def path(self) -> str:
        # Resolved on the first request, not at import: the URLconf is ready by then.
        if self._path is None:
            self._path = reverse("certificates:ocsp")
        return self._path

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        base = self.path
        if method not in _METHODS or not (path == base or path.startswith(base + "/")):
            return self.application(environ, start_response)
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            encoded = path[len(base) + 1:] if path != base else None
            # PATH_INFO arrives as latin-1 text of the URL's bytes (PEP 3333); base64 is ASCII.
            body = ocsp_answer(method, encoded, _body_reader(environ))
        finally:
            signals.request_finished.send(sender=self.__class__)
        start_response("200 OK", [*OCSP_HEADERS, ("Content-Length", str(len(body)))])
        return [body]


def _body_reader(environ):
    stream = environ.get("wsgi.input")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0

    def read(limit: int) -> bytes:
        if stream is None or length <= 0:
            return b""
        return stream.read(min(length, limit))

    return read
