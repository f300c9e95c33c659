"""Durations and countdowns: one format on the server and, through countdown.js, in the browser."""

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from certcenter.durations import countdown_text, duration_text, remaining, seconds_until

START = datetime(2025, 3, 4, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(180, "3분"), (60, "1분"), (300, "5분"), (30, "30초"), (90, "90초"), (1, "1초"), (0, "0초")],
)
def test_duration_text(seconds, expected):
    assert duration_text(seconds) == expected


COUNTDOWNS = [(180, "3:00"), (179, "2:59"), (61, "1:01"), (59, "0:59"), (0, "0:00"), (-5, "0:00"),
              (3600, "60:00")]


@pytest.mark.parametrize(("seconds", "expected"), COUNTDOWNS)
def test_countdown_text(seconds, expected):
    assert countdown_text(seconds) == expected


def test_seconds_until_counts_whole_seconds_and_stops_at_zero():
    with time_machine.travel(START, tick=False):
        assert seconds_until(START + timedelta(seconds=180)) == 180
        assert seconds_until(START + timedelta(seconds=2, milliseconds=900)) == 2
        assert seconds_until(START) == 0
        assert seconds_until(START - timedelta(seconds=1)) == 0
    assert seconds_until(START + timedelta(seconds=10), at=START) == 10


def test_remaining_gives_the_pair_the_wizard_pages_use():
    with time_machine.travel(START, tick=False):
        assert remaining("expires", START + timedelta(seconds=179)) == {
            "expires_in": 179, "expires_in_text": "2:59",
        }
        assert remaining("resend", START - timedelta(seconds=5)) == {
            "resend_in": 0, "resend_in_text": "0:00",
        }


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_browser_draws_countdowns_like_the_server():
    script = Path(settings.BASE_DIR, "static", "js", "countdown.js")
    program = (
        "globalThis.window = {};"
        f"require({json.dumps(str(script))});"
        f"const values = {json.dumps([s for s, _ in COUNTDOWNS] + [2.1, 0.4])};"
        "console.log(JSON.stringify(values.map(window.CertCenter.countdownText)));"
    )
    out = subprocess.run(["node", "-e", program], capture_output=True, text=True, check=True)
    # Fractions round up in the browser: it counts down milliseconds to a deadline.
    assert json.loads(out.stdout) == [text for _, text in COUNTDOWNS] + ["0:03", "0:01"]
