"""The CA's public files: the CRL distribution point, the AIA caIssuers certificate, the chain;
and the OCSP responder."""

import base64
import binascii
import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from certificates import pki
from certificates.ca import load_issuing_ca
from certificates.ocsp import ocsp_respond
from certificates.pki import ocsp as pki_ocsp
from certificates.publication import crl_current


def crl(request):
    response = HttpResponse(bytes(crl_current().der), content_type="application/pkix-crl")
    # Re-signed on every revocation: a client must not keep an old copy.
    response["Cache-Control"] = "no-cache"
    return response


def issuing_ca(request):
    ca = load_issuing_ca()
    return HttpResponse(pki.certificate_der(ca.cert), content_type="application/pkix-cert")


def chain(request):
    response = HttpResponse(load_issuing_ca().chain_pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="certcenter-ca-chain.pem"'
    return response


logger = logging.getLogger(__name__)
# A one-certificate request is ~100 bytes; anything far bigger is not one we answer.
OCSP_REQUEST_MAX_BYTES = 8192


def _ocsp_request_from_path(encoded: str) -> bytes:
    # RFC 6960 A.1: base64 of the DER, URL-encoded (Django has decoded the %xx already); some
    # clients send the URL-safe alphabet or drop the padding.
    text = encoded.strip().replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


@csrf_exempt  # relying parties POST without a session; nothing here changes state
@require_http_methods(["GET", "POST"])
def ocsp(request, encoded: str | None = None):
    """RFC 6960 responder: POST application/ocsp-request, or GET /ca/ocsp/<base64 request>."""
    try:
        # Read at most one byte past the limit: a huge body is refused here, not by a 400 page.
        der = (request.read(OCSP_REQUEST_MAX_BYTES + 1) if request.method == "POST"
               else _ocsp_request_from_path(encoded or ""))
        if not der or len(der) > OCSP_REQUEST_MAX_BYTES:
            raise ValueError("empty or oversized OCSP request")
    except (ValueError, binascii.Error):
        body = pki_ocsp.error_response(pki_ocsp.ResponseStatus.MALFORMED_REQUEST)
    else:
        try:
            body = ocsp_respond(der)
        except Exception:
            # A relying party gets an OCSP answer it understands, never an HTML error page.
            logger.exception("OCSP responder failed")
            body = pki_ocsp.error_response(pki_ocsp.ResponseStatus.INTERNAL_ERROR)
    response = HttpResponse(body, content_type="application/ocsp-response")
    # Every answer reflects the status at this moment: a revocation must show at once.
    response["Cache-Control"] = "no-cache"
    return response
