from django.urls import path, register_converter

from certificates import views


class CertificateFormatConverter:
    regex = "pem|der"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(CertificateFormatConverter, "certfmt")

app_name = "certificates"

urlpatterns = [
    path("personal/finance-cert/issue/", views.TermsView.as_view(), name="terms"),
    path("personal/finance-cert/issue/identify/", views.IdentifyView.as_view(), name="identify"),
    path("personal/finance-cert/issue/reissue/", views.ReissueView.as_view(), name="reissue"),
    path("personal/finance-cert/issue/ars/", views.ArsView.as_view(), name="ars"),
    path("personal/finance-cert/issue/extra/", views.ExtraView.as_view(), name="extra"),
    path("personal/finance-cert/issue/sms/", views.SmsView.as_view(), name="sms"),
    path("personal/finance-cert/issue/pin/", views.PinView.as_view(), name="pin"),
    path("personal/finance-cert/issue/done/", views.DoneView.as_view(), name="done"),
    path("personal/finance-cert/issue/cancel/", views.cancel, name="cancel"),
    path("personal/finance-cert/issue/timeout/", views.timeout, name="timeout"),
    path("personal/finance-cert/issue/certificate.<certfmt:fmt>", views.certificate_download,
         name="download"),
    path("ca/crl.crl", views.crl, name="crl"),
    path("ca/issuing-ca.crt", views.issuing_ca, name="issuing_ca"),
    path("ca/chain.pem", views.chain, name="chain"),
]
