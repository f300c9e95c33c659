"""Durations as the pages say them: "3분" for a validity, "2:59" for a countdown.

The same countdown format is drawn by ``static/js/countdown.js`` in the browser.
"""

from datetime import datetime

from django.utils.translation import gettext as _

from certcenter.clock import now


def duration_text(seconds: int) -> str:
    """A whole number of minutes as "3분", anything else as "90초" (zero is "0초")."""
    if seconds and seconds % 60 == 0:
        return _("%(minutes)d분") % {"minutes": seconds // 60}
    return _("%(seconds)d초") % {"seconds": seconds}


def countdown_text(seconds: int) -> str:
    """m:ss, never below 0:00."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def seconds_until(moment: datetime, *, at: datetime | None = None) -> int:
    """Whole seconds left until ``moment`` (0 once it has passed), on the one clock."""
    return max(0, int((moment - (at or now())).total_seconds()))


def remaining(name: str, moment: datetime) -> dict[str, int | str]:
    """``{"<name>_in": seconds, "<name>_in_text": "m:ss"}`` until ``moment``, for a countdown.

    Pages send how long is left, not a wall-clock time: the customer's clock may be wrong.
    """
    seconds = seconds_until(moment)
    return {f"{name}_in": seconds, f"{name}_in_text": countdown_text(seconds)}
