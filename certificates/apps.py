from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "인증서"

    def ready(self):
        from certificates import receivers  # noqa: F401  (connects the audit-trail receivers)
