"""The CA's public files: the CRL distribution point, the AIA caIssuers certificate, the chain."""

from django.http import HttpResponse

from certificates import pki
from certificates.ca import load_issuing_ca
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
