"""Verification test fixtures: the rules pinned to the documented defaults, in-memory delivery."""

import re
from datetime import UTC, datetime

import pytest
import time_machine

SIMULATED = "verification.backends.simulated.SimulatedBackend"
# A fixed instant (10:00 in Seoul) so expiry boundaries are exact to the microsecond.
START = datetime(2025, 3, 4, 1, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def verification_settings(settings):
    """The rules of DESIGN §3, whatever a local .env says (delivery: the ``outbox`` fixture)."""
    settings.SMS_CODE_TTL = 180
    settings.SMS_MAX_ATTEMPTS = 5
    settings.SMS_RESEND_COOLDOWN = 60
    settings.SMS_MAX_SENDS = 5
    settings.SMS_SEND_WINDOW = 600
    settings.ARS_CALL_TTL = 180
    settings.ARS_MAX_ATTEMPTS = 3
    # Call limits are tested on their own (test_ars.py); elsewhere calls follow one another.
    settings.ARS_RECALL_COOLDOWN = 0
    settings.ARS_MAX_CALLS = 0
    settings.BANK_NAME = "KB국민은행"
    settings.BANK_CALL_CENTER = "1588-9999"
    settings.FRAUD_BLOCK_HOURS = 24
    return settings


@pytest.fixture(autouse=True)
def outbox(outbox):
    """Every test here delivers into the locmem outbox (tests/conftest.py), emptied around it."""
    return outbox


@pytest.fixture
def clock():
    """The one clock, frozen at START; ``clock.shift(seconds)`` moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Call a service and run its on-commit callbacks (delivery) as a real commit would."""

    def call(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return call


def code_in(text: str) -> str:
    """The 6-digit code inside an SMS text."""
    match = re.search(r"\[(\d{6})\]", text)
    assert match, text
    return match.group(1)


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


PHONE = "+821012345678"
NATIONAL = "01012345678"
