"""The certificate center's menu pages (인증센터 → 개인 / 기업 → 금융인증서)."""

from django.views.generic import TemplateView


class HomeView(TemplateView):
    template_name = "home.html"


class CorporateView(TemplateView):
    template_name = "corporate.html"


class PersonalFinanceCertView(TemplateView):
    template_name = "finance_cert.html"
