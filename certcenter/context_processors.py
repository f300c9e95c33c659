"""Values every page's base layout needs."""

from django.conf import settings
from django.utils.translation import gettext as _

from certcenter import clock


def site(request):
    return {
        "BANK_NAME": settings.BANK_NAME,
        "SIMULATED_PHONE_ENABLED": settings.SIMULATED_PHONE_ENABLED,
        "CERTIFICATE_VALIDITY": validity_text(settings.CERTIFICATE_VALIDITY_DAYS),
        "PIN_MAX_FAILURES": settings.PIN_MAX_FAILURES,
        "SIMULATED_CLOCK": simulated_clock_text(),
    }


def simulated_clock_text() -> str:
    """"시뮬레이터 시간: 2027-11-05 (실제 +339일)" while the clock is moved; "" at real time."""
    offset = clock.offset()
    if not offset:
        return ""
    return _("시뮬레이터 시간: %(date)s (실제 +%(days)d일)") % {
        "date": clock.today().isoformat(), "days": offset.days,
    }


def validity_text(days: int) -> str:
    """365 → 1년, 1095 → 3년, 90 → 90일: the validity as the pages say it."""
    years, rest = divmod(days, 365)
    return f"{years}년" if years and rest <= years else f"{days}일"
