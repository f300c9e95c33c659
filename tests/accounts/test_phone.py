"""Mobile phone numbers: only 010-XXXX-XXXX, stored as E.164, shown the Korean way."""

import pytest
from django.core.exceptions import ValidationError

from accounts.phone import format_phone, normalize_phone


@pytest.mark.parametrize(
    "value",
    [
        "010-1234-5678",
        "01012345678",
        "010 1234 5678",
        "+82 10-1234-5678",
        "+821012345678",
        "+82-10-1234-5678",
        "  010-1234-5678  ",
        "０１０－１２３４－５６７８",  # full-width, from a Korean IME
    ],
)
def test_accepted_forms_become_e164(value):
    assert normalize_phone(value) == "+821012345678"


def test_normalizing_is_idempotent():
    assert normalize_phone(normalize_phone("010-1234-5678")) == "+821012345678"


@pytest.mark.parametrize(
    "value",
    [
        "010-0234-5678",  # middle block starts with 0 (phonenumbers alone accepts it)
        "010-123-4567",  # 3-digit middle block (phonenumbers alone accepts it)
        "011-234-5678",  # old carrier prefix
        "016-1234-5678",
        "02-1234-5678",  # Seoul landline
        "010-1234-567",  # too short
        "010-1234-56789",  # too long
        "010-abcd-5678",
        "phone",
        "+1 010-1234-5678",
        "",
        "   ",
        None,
    ],
)
def test_refused_forms(value):
    with pytest.raises(ValidationError) as excinfo:
        normalize_phone(value)
    assert excinfo.value.code == "invalid"


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+821012345678", "010-1234-5678"),
        ("+821098765432", "010-9876-5432"),
        ("", ""),
    ],
)
def test_format_phone(e164, shown):
    assert format_phone(e164) == shown
