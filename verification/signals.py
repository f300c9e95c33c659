"""Signals sent after a verification attempt, for other apps (the audit trail) to record.

``challenge_failed``: kwargs ``challenge``, ``reason`` (an ``Outcome``: WRONG, EXPIRED, EXHAUSTED,
CANCELLED or DAILY_CAP) and ``client_ip`` (where the attempt came from, or None), sent for every
failed attempt against an existing challenge.
``challenge_verified``: kwargs ``challenge`` and ``client_ip``, sent once when the right code or
digits were entered.
Both are sent after the attempt was committed, so a failing receiver cannot undo an attempt count.
``channel_fault_changed``: kwargs ``description`` (Korean, no personal data beyond a masked phone)
and ``user`` (staff, or None from the handset), sent when a simulator channel fault is set or
cleared; the simulator's log records it.
"""

from django.dispatch import Signal

challenge_failed = Signal()
challenge_verified = Signal()
channel_fault_changed = Signal()
