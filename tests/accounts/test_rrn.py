"""Resident registration number parsing: shape, date, century digit, the future, check digit."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from accounts.rrn import legacy_check_digit_ok, parse_resident_number

SEOUL = ZoneInfo("Asia/Seoul")
TODAY = date(2025, 6, 1)


def parse(value, today=TODAY):
    return parse_resident_number(value, today=today)


def error_code(value, today=TODAY):
    with pytest.raises(ValidationError) as excinfo:
        parse(value, today=today)
    return excinfo.value.code


def test_29_february_1900_is_not_a_date():
    # 7th digit 1 → 1900, which is not a leap year (divisible by 100, not by 400).
    assert error_code("000229-1234567") == "date"


def test_29_february_2000_is_a_date():
    # 7th digit 3 → 2000, a leap year (divisible by 400).
    assert parse("000229-3234567").birth_date == date(2000, 2, 29)


@pytest.mark.parametrize(
    ("gender_digit", "year", "foreign"),
    [
        ("9", 1885, False),
        ("0", 1885, False),
        ("1", 1985, False),
        ("2", 1985, False),
        ("3", 2005, False),
        ("4", 2005, False),
        ("5", 1985, True),
        ("6", 1985, True),
        ("7", 2005, True),
        ("8", 2005, True),
    ],
)
def test_seventh_digit_gives_century_and_foreign_residence(gender_digit, year, foreign):
    parsed = parse(f"{year % 100:02d}0412-{gender_digit}123456")
    assert parsed.birth_date == date(year, 4, 12)
    assert parsed.is_foreign_resident is foreign


@pytest.mark.parametrize("value", ["900101-1234568", "9001011234568"])
def test_with_or_without_hyphen(value):
    parsed = parse(value)
    assert parsed.digits == "9001011234568"
    assert parsed.formatted == "900101-1234568"
    assert parsed.birth_date == date(1990, 1, 1)


@pytest.mark.parametrize(
    "value",
    [
        "900101123456",  # 12 digits
        "90010112345689",  # 14 digits
        "900101-123456",  # 12 digits with hyphen
        "900101-12345689",  # 14 digits with hyphen
        "90010-11234568",  # hyphen in the wrong place
        "900101--1234568",
        "900101-123456a",  # letters
        "abcdef-ghijklm",
        "900101 1234568",  # internal space
        "900101 - 1234568",
        "9001 011234568",
        "",
        "   ",
        None,
        "٩٠٠١٠١١٢٣٤٥٦٨",  # Arabic-Indic digits: \d matches them, NFKC keeps them
    ],
)
def test_malformed_numbers_are_refused_as_format(value):
    assert error_code(value) == "format"


def test_surrounding_spaces_are_stripped():
    assert parse("  900101-1234568 \t\n").digits == "9001011234568"


def test_full_width_digits_are_normalized_to_ascii():
    parsed = parse("９００１０１－１２３４５６８")
    assert parsed.digits == "9001011234568"
    assert parsed.digits.isascii()
    assert parsed.birth_date == date(1990, 1, 1)


@pytest.mark.parametrize(
    "value",
    [
        "901301-1234568",  # month 13
        "900001-1234568",  # month 0
        "900132-1234568",  # day 32
        "900100-1234568",  # day 0
        "900431-1234568",  # 31 April
        "230229-3234567",  # 29 Feb 2023
    ],
)
def test_impossible_dates_are_refused(value):
    assert error_code(value) == "date"


def test_birth_date_after_today_is_refused():
    assert error_code("250602-3123456", today=date(2025, 6, 1)) == "future"


def test_birth_date_today_is_accepted():
    assert parse("250601-3123456", today=date(2025, 6, 1)).birth_date == date(2025, 6, 1)


def test_future_is_judged_by_the_application_clock(time_machine):
    time_machine.move_to(datetime(2025, 6, 1, 12, 0, tzinfo=SEOUL), tick=False)
    assert parse_resident_number("250601-4123456").birth_date == date(2025, 6, 1)
    with pytest.raises(ValidationError) as excinfo:
        parse_resident_number("250602-4123456")
    assert excinfo.value.code == "future"

    time_machine.move_to(datetime(2025, 6, 2, 12, 0, tzinfo=SEOUL), tick=False)
    assert parse_resident_number("250602-4123456").birth_date == date(2025, 6, 2)


def test_future_is_judged_by_the_seoul_date(time_machine):
    # 00:30 on 2 June in Seoul is still 1 June (15:30) in UTC.
    time_machine.move_to(datetime(2025, 6, 2, 0, 30, tzinfo=SEOUL), tick=False)
    assert parse_resident_number("250602-4123456").birth_date == date(2025, 6, 2)


def test_failing_legacy_check_digit_is_accepted():
    # Numbers assigned since 2020-10-05 have a random tail; the check digit must never reject them.
    digits = "2103154123450"
    assert legacy_check_digit_ok(digits) is False
    assert parse("210315-4123450").digits == digits


@pytest.mark.parametrize("digits", ["9001011234568", "8507075123452", "7505051123455"])
def test_legacy_check_digit_true_for_valid_numbers(digits):
    assert legacy_check_digit_ok(digits) is True


@pytest.mark.parametrize("last", "0123456789")
def test_legacy_check_digit_accepts_exactly_one_final_digit(last):
    assert legacy_check_digit_ok("900101123456" + last) is (last == "8")
