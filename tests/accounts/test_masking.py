"""The one masking module: what a screen may show of a resident number, phone, e-mail and name."""

import pytest

from accounts.masking import mask_email, mask_name, mask_phone, mask_resident_number


@pytest.mark.parametrize("value", ["900101-1234568", "9001011234568"])
def test_resident_number_keeps_birth_date_and_seventh_digit(value):
    assert mask_resident_number(value) == "900101-1******"


@pytest.mark.parametrize("value", ["", None, "900101-123456", "12345"])
def test_resident_number_of_wrong_length_is_fully_masked(value):
    assert mask_resident_number(value) == "******-*******"


def test_phone():
    assert mask_phone("+821012345678") == "010-1234-****"


@pytest.mark.parametrize("value", ["", "+8210123"])
def test_phone_of_unexpected_shape_is_fully_masked(value):
    assert mask_phone(value) == "***-****-****"


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("hong@example.com", "h***@example.com"),
        ("h@example.com", "h***@example.com"),
        ("", ""),
        ("not-an-email", ""),
        ("@example.com", ""),
    ],
)
def test_email(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("홍길동", "홍*동"),
        ("김철", "김*"),
        ("남궁민수", "남**수"),
        ("John Smith", "J********h"),
        ("김", "*"),  # a one-letter name is hidden whole: showing it would show it all
        ("SMITH, JOHN", "S*********N"),
        ("", ""),
    ],
)
def test_name(name, masked):
    assert mask_name(name) == masked
