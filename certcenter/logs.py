"""Structured log lines: one per thing that happened to a certificate or a verification, as JSON with
``LOG_FORMAT=json`` (python-json-logger), else as text with ``key=value`` fields.

An event line carries ids, serials, kinds and outcomes only: never a name, resident number, phone
number, code, PIN, IP address or free text a person typed (a staff note may name someone). The
audit trail in the database keeps the rest for staff.
"""

import logging

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

EVENT_LOGGER = "certcenter.events"
_logger = logging.getLogger(EVENT_LOGGER)
# Django's request logger passes the request object along; its repr holds the query string.
_NOT_LOGGED = frozenset({*RESERVED_ATTRS, "request", "message"})


def event_log(event: str, **fields) -> None:
    """Log one event (``certificate.revoked``, ``renewal.run`` …) with its fields.

    Values must be ids, serials, counts, kinds or outcome codes; ``None`` fields are left out.
    """
    _logger.info(event, extra={key: value for key, value in fields.items() if value is not None})


def _extra_fields(record: logging.LogRecord) -> dict:
    return {key: value for key, value in record.__dict__.items()
            if key not in _NOT_LOGGED and not key.startswith("_")}


class TextFormatter(logging.Formatter):
    """The usual one-line format, followed by an event's fields as ``key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.name != EVENT_LOGGER:
            return text
        return " ".join([text, *(f"{key}={value}" for key, value in _extra_fields(record).items())])


class JSONFormatter(JsonFormatter):
    """python-json-logger's formatter, leaving out Django's request object, Korean kept readable."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)
