"""The one clock of the application: every expiry, window and validity reads time here.

Tests move it with ``time_machine`` (which moves ``timezone.now`` too); code never calls
``datetime.now()`` directly so there is a single seam.
"""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
