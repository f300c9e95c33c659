"""The CA's public files: the CRL distribution point, the AIA caIssuers certificate, the chain;
and the OCSP responder."""

import logging
from datetime import timedelta

from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from certcenter.clock import now
from certificates import pki
from certificates.ca import load_issuing_ca
from certificates.ocsp import OCSP_HEADERS, ocsp_answer
from certificates.publication import crl_current, crl_usable

logger = logging.getLogger(__name__)

# A CRL is re-signed at once on every revocation, so a cache may keep a copy only briefly; asking
# again with its ETag costs one small query and a 304.
CRL_MAX_AGE = timedelta(minutes=5)


@require_safe
def crl(request):
    """The newest stored CRL, as signed: this view never signs (cron and revocations do)."""
    latest = crl_current()
    if not crl_usable(latest):
        # A relying party must not be handed a CRL past its nextUpdate: better no answer.
        logger.error("No CRL to serve: %s", "none published" if latest is None
                     else f"CRL #{latest.pk} expired at {latest.next_update.isoformat()}")
        return HttpResponse(_("인증서 폐지 목록(CRL)을 지금 제공할 수 없습니다."), status=503,
                            content_type="text/plain; charset=utf-8")
    # The CRL number (the row's pk) and its thisUpdate name the bytes: a row's DER never changes.
    etag = f'"crl-{latest.pk}-{int(latest.this_update.timestamp())}"'
    last_modified = int(latest.this_update.timestamp())
    max_age = int(min(CRL_MAX_AGE, latest.next_update - now()).total_seconds())
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = HttpResponse(bytes(latest.der), content_type="application/pkix-crl")
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response


def issuing_ca(request):
    ca = load_issuing_ca()
    return HttpResponse(pki.certificate_der(ca.cert), content_type="application/pkix-cert")


def chain(request):
    response = HttpResponse(load_issuing_ca().chain_pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="certcenter-ca-chain.pem"'
    return response


@csrf_exempt  # relying parties POST without a session; nothing here changes state
@require_http_methods(["GET", "POST"])
def ocsp(request, encoded: str | None = None):
    """RFC 6960 responder: POST application/ocsp-request, or GET /ca/ocsp/<base64 request>.

    In production ``certcenter.wsgi`` answers these paths before Django's middleware
    (``certificates.responder``); this view is the same answer for the test client and any
    other handler."""
    body = ocsp_answer(request.method, encoded, request.read)
    return HttpResponse(body, headers=dict(OCSP_HEADERS))
