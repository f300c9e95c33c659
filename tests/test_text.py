"""ascii_digits: the one normaliser of digits as customers type them."""

import pytest

from certcenter.text import ascii_digits


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("１２３４５６", "123456"),  # full-width, from a Korean IME
        ("９００１０１－１２３４５６８", "900101-1234568"),  # full-width hyphen too
        (" 010-1234-5678 ", " 010-1234-5678 "),  # nothing trimmed
        ("٩٠٠", "٩٠٠"),  # other scripts' digits stay, so [0-9] checks still refuse them
        ("", ""),
        (None, ""),
    ],
)
def test_ascii_digits(typed, expected):
    assert ascii_digits(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (" 123 456 ", "123456"),
        ("123-456", "123456"),
        ("１２３\u3000４５６", "123456"),  # ideographic space
        ("12\t34\n56", "123456"),
        ("１２３－４５６", "123456"),
        ("12a456", "12a456"),  # only separators go; anything else is left for validation
    ],
)
def test_ascii_digits_dropping_separators(typed, expected):
    assert ascii_digits(typed, drop_separators=True) == expected
