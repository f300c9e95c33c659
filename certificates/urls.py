"""URLs of the certificates app: the wizard's steps (from the step registry) and the CA's files."""

from django.urls import include, path, register_converter

from certificates import views
from certificates.wizard import views as wizard
from certificates.wizard.steps import STEPS


class CertificateFormatConverter:
    regex = "pem|der"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(CertificateFormatConverter, "certfmt")

app_name = "certificates"
WIZARD = "personal/finance-cert/issue/"

urlpatterns = [
    *(path(WIZARD + step.path, step.view.as_view(), name=step.name) for step in STEPS),
    path(WIZARD + "cancel/", wizard.cancel, name="cancel"),
    path(WIZARD + "timeout/", wizard.timeout, name="timeout"),
    path(WIZARD + "certificate.<certfmt:fmt>", wizard.certificate_download, name="download"),
    path("personal/finance-cert/cloud/", include("certificates.cloud.urls")),
    path("personal/finance-cert/manage/", include("certificates.manage.urls")),
    path("bank/", include("certificates.banking.urls")),
    path("ca/crl.crl", views.crl, name="crl"),
    path("ca/issuing-ca.crt", views.issuing_ca, name="issuing_ca"),
    path("ca/chain.pem", views.chain, name="chain"),
    path("ca/ocsp", views.ocsp, name="ocsp"),
    path("ca/ocsp/<path:encoded>", views.ocsp, name="ocsp_get"),
]
