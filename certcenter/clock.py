"""The one clock of the application: every expiry, window and validity reads time here.

Tests move it with ``time_machine`` (which moves ``timezone.now`` too); code never calls
``datetime.now()`` directly so there is a single seam.
"""

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    """Today's date where the bank is (TIME_ZONE, Asia/Seoul), not in UTC."""
    return timezone.localdate(now())
