"""No code in the clear anywhere in the database: every column of every table is scanned."""

import pytest
from django.db import connection

from tests.verification.conftest import PHONE, SIMULATED
from verification import codes
from verification.models import HandsetMessage
from verification.services import ars_call_start, sms_send, sms_verify
from verification.session import remember_challenge

pytestmark = pytest.mark.django_db

# A known code (the clock is frozen at 2025-03-04 01:00 UTC, so no timestamp can contain it).
CODE = "604917"


def database_hits(needle: str) -> list[tuple[str, str]]:
    """(table, column) of every stored value whose text or bytes contain ``needle``."""
    hits = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        assert "verification_challenge" in tables and "verification_handsetmessage" in tables
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 (names from introspection)
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, bytes | bytearray | memoryview):
                        found = needle.encode() in bytes(value)
                    else:
                        found = needle in str(value)
                    if found:
                        hits.append((table, column))
    return hits


@pytest.fixture
def sms_with_known_code(clock, committed, settings, monkeypatch, client):
    settings.SMS_BACKEND = SIMULATED
    settings.ARS_BACKEND = SIMULATED
    monkeypatch.setattr(codes.secrets, "randbelow", lambda n: int(CODE))
    challenge = committed(sms_send, phone=PHONE, purpose="issue.sms", flow_id="flow-1")
    committed(ars_call_start, phone=PHONE, purpose="issue.ars", flow_id="flow-1")
    # The challenge also lives in a (database) session, as the wizard will keep it.
    session = client.session
    remember_challenge(type("Request", (), {"session": session})(), challenge)
    session.save()
    # Some wrong entries, so attempts and statuses are written too.
    sms_verify(challenge_id=challenge.pk, code="000000")
    return challenge


def test_the_code_was_really_sent(sms_with_known_code):
    # Guard against a vacuous pass: the code searched for below is the one the phone received.
    sms = HandsetMessage.objects.get(kind=HandsetMessage.Kind.SMS)
    assert f"[{CODE}]" in sms.body
    assert sms_verify(challenge_id=sms_with_known_code.pk, code=CODE).ok


def test_no_table_holds_the_code_in_the_clear(sms_with_known_code):
    assert database_hits(CODE) == []
    assert database_hits("인증번호") == []  # nor the message text around it


def test_the_scan_finds_a_code_stored_in_the_clear(sms_with_known_code):
    # The scan itself must be able to fail: store the code in the clear and it is found.
    assert ("verification_challenge", "phone") in database_hits(PHONE)
    HandsetMessage.objects.filter(kind=HandsetMessage.Kind.SMS).update(
        body_encrypted=f"[은행] 인증번호 [{CODE}]"
    )
    assert database_hits(CODE) == [("verification_handsetmessage", "body_encrypted")]
