"""`manage.py seed_demo`: idempotent, the promised demo customers, nothing kept in the clear."""

import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.demo import DEMO_CUSTOMERS
from accounts.models import Customer
from accounts.rrn import legacy_check_digit_ok, parse_resident_number
from accounts.services import CustomerNotFound, customer_lookup

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def number_forms(number: str) -> list[str]:
    digits = number.replace("-", "")
    return [digits, f"{digits[:6]}-{digits[6:]}"]


DEMO_NUMBER_FORMS = [form for demo in DEMO_CUSTOMERS for form in number_forms(demo.resident_number)]


def test_seed_twice_is_idempotent():
    total = len(DEMO_CUSTOMERS)
    assert f"{total} created, 0 already present" in seed()
    assert Customer.objects.count() == total
    assert f"0 created, {total} already present" in seed()
    assert Customer.objects.count() == total


def test_seed_restores_a_missing_demo_customer():
    seed()
    Customer.objects.filter(user_id=DEMO_CUSTOMERS[0].user_id).delete()
    assert f"1 created, {len(DEMO_CUSTOMERS) - 1} already present" in seed()
    assert Customer.objects.count() == len(DEMO_CUSTOMERS)


def test_the_promised_demo_customers():
    seed()
    customers = {c.user_id: c for c in Customer.objects.all()}
    assert len(customers) >= 5
    parsed = {demo.user_id: parse_resident_number(demo.resident_number) for demo in DEMO_CUSTOMERS}

    new_style = [
        uid for uid, p in parsed.items()
        if p.birth_date > date(2020, 10, 5) and not legacy_check_digit_ok(p.digits)
    ]
    assert new_style, "one born after 2020-10-05 whose number fails the legacy check digit"
    assert any(p.is_foreign_resident for p in parsed.values())
    assert any(not c.internet_banking_enrolled for c in customers.values())
    assert any(c.kind == Customer.Kind.CORPORATE for c in customers.values())

    for demo in DEMO_CUSTOMERS:
        stored = customers[demo.user_id]
        assert stored.resident_number == parsed[demo.user_id].digits
        assert stored.birth_date == parsed[demo.user_id].birth_date
        assert stored.phone_display == demo.phone
        assert stored.kind == demo.kind
        assert stored.internet_banking_enrolled is demo.internet_banking_enrolled


def test_demo_numbers_and_phones_are_distinct():
    assert len({d.resident_number for d in DEMO_CUSTOMERS}) == len(DEMO_CUSTOMERS)
    assert len({d.phone for d in DEMO_CUSTOMERS}) == len(DEMO_CUSTOMERS)
    assert len({d.user_id for d in DEMO_CUSTOMERS}) == len(DEMO_CUSTOMERS)


@pytest.mark.parametrize("demo", DEMO_CUSTOMERS, ids=lambda d: d.user_id)
def test_demo_customers_can_be_looked_up(demo):
    seed()
    kwargs = {"user_id": demo.user_id, "resident_number": demo.resident_number,
              "client_ip": "192.0.2.10"}
    if demo.internet_banking_enrolled:
        assert customer_lookup(**kwargs).user_id == demo.user_id
    else:
        with pytest.raises(CustomerNotFound):
            customer_lookup(**kwargs)


# --- No resident number in the clear anywhere in the database ------------------------------------


def found_in(haystack: bytes, needles: list[str]) -> list[str]:
    return [needle for needle in needles if needle.encode() in haystack]


def every_stored_value() -> bytes:
    """The text of every value in every column of every table, joined."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    chunks.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\n".join(chunks)


def test_all_columns_of_all_tables_hold_no_clear_number():
    seed()
    dump = every_stored_value()
    # The scan sees clear data: the names and phones are there ...
    assert "홍길동".encode() in dump
    assert b"+821012345678" in dump
    # ... and no demo resident number, in either spelling.
    assert found_in(dump, DEMO_NUMBER_FORMS) == []
    # A number on its own, not a digit run inside a hex or base64 token (an HMAC of 64 hex digits
    # holds a 13-digit run often enough to fail a fresh clone's secrets one time in ten).
    assert not re.search(rb"(?<![0-9A-Za-z])\d{6}-?[0-9]\d{6}(?![0-9A-Za-z])", dump)

    # Proof that the scan can fail: a number put in a clear column is found.
    demo = DEMO_CUSTOMERS[0]
    Customer.objects.filter(user_id=demo.user_id).update(name=f"marker {demo.resident_number}")
    assert found_in(every_stored_value(), DEMO_NUMBER_FORMS) == [
        form for form in number_forms(demo.resident_number) if "-" in form
    ]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="copies the SQLite database file")
@pytest.mark.django_db(transaction=True)
def test_sqlite_database_file_holds_no_clear_number(tmp_path):
    seed()
    copy = tmp_path / "snapshot.sqlite3"
    with connection.cursor() as cursor:
        # The test database lives in memory; VACUUM INTO writes it out as an ordinary file.
        cursor.execute("VACUUM INTO %s", [str(copy)])
    raw = copy.read_bytes()
    assert raw.startswith(b"SQLite format 3\x00")

    assert "홍길동".encode() in raw  # a clear column is visible to this scan
    assert found_in(raw, DEMO_NUMBER_FORMS) == []

    # Proof that the scan can fail: write a number in the clear and look again.
    demo = DEMO_CUSTOMERS[1]
    Customer.objects.filter(user_id=demo.user_id).update(
        name=demo.resident_number.replace("-", "")
    )
    marked = tmp_path / "marked.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(marked)])
    assert found_in(marked.read_bytes(), DEMO_NUMBER_FORMS) == [
        demo.resident_number.replace("-", "")
    ]
