"""Writes each SMS and call to a stream (standard output by default), for development."""

import sys
import threading
from uuid import UUID

from accounts.phone import format_phone
from verification.backends.base import BaseBackend


class ConsoleBackend(BaseBackend):
    def __init__(self, *, stream=None, **kwargs):
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def _write(self, line: str) -> None:
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def send_sms(self, *, phone: str, text: str) -> None:
        self._write(f"[SMS → {format_phone(phone)}] {text}")

    def place_call(self, *, phone: str, challenge_id: UUID, prompt: str) -> None:
        self._write(f"[ARS 전화 → {format_phone(phone)}] ({challenge_id}) {prompt}")
