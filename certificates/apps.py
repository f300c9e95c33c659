from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "인증서"

    def ready(self):
        from certificates import receivers  # noqa: F401  (connects the audit-trail receivers)
        from certificates.wizard.steps import ARS_PURPOSE, PURPOSE_LABEL, SMS_PURPOSE
        from verification.purposes import purpose_register

        purpose_register(ARS_PURPOSE, PURPOSE_LABEL)
        purpose_register(SMS_PURPOSE, PURPOSE_LABEL)

        from certificates.cloud.services import CLOUD_PURPOSE_LABEL, CLOUD_SMS_PURPOSE

        purpose_register(CLOUD_SMS_PURPOSE, CLOUD_PURPOSE_LABEL)

        from certificates.manage.hold import (
            RESUME_ARS_PURPOSE,
            RESUME_PURPOSE_LABEL,
            RESUME_SMS_PURPOSE,
        )

        purpose_register(RESUME_ARS_PURPOSE, RESUME_PURPOSE_LABEL)
        purpose_register(RESUME_SMS_PURPOSE, RESUME_PURPOSE_LABEL)
