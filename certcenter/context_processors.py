"""Values every page's base layout needs."""

from django.conf import settings


def site(request):
    return {
        "BANK_NAME": settings.BANK_NAME,
        "SIMULATED_PHONE_ENABLED": settings.SIMULATED_PHONE_ENABLED,
    }
