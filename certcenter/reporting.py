"""Error reports (DEBUG pages, admin e-mails) that never show this project's secrets."""

from django.utils.regex_helper import _lazy_re_compile
from django.views.debug import SafeExceptionReporterFilter


class SecretsFilter(SafeExceptionReporterFilter):
    # Django's list plus PEPPER (PIN_PEPPER) and RESIDENT/RRN names.
    hidden_settings = _lazy_re_compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|PEPPER|RRN|RESIDENT", flags=2
    )
