"""Values every page's base layout needs."""

from django.conf import settings


def site(request):
    return {
        "BANK_NAME": settings.BANK_NAME,
        "SIMULATED_PHONE_ENABLED": settings.SIMULATED_PHONE_ENABLED,
        "CERTIFICATE_VALIDITY": validity_text(settings.CERTIFICATE_VALIDITY_DAYS),
        "PIN_MAX_FAILURES": settings.PIN_MAX_FAILURES,
    }


def validity_text(days: int) -> str:
    """365 → 1년, 1095 → 3년, 90 → 90일: the validity as the pages say it."""
    years, rest = divmod(days, 365)
    return f"{years}년" if years and rest <= years else f"{days}일"
