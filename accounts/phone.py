"""Korean mobile phone numbers: only 010-XXXX-XXXX is a customer's phone here.

``phonenumbers`` alone accepts 010-0234-5678 and 010-123-4567 as valid; banks send SMS only to
current 010 numbers (the middle block is 4 digits and does not start with 0), so the shape is checked first.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from certcenter.text import ascii_digits

# 010 followed by two 4-digit blocks, optionally separated by hyphens/spaces; or +82 10 ... .
_SHAPE = re.compile(r"^(?:\+?82[ -]?10|010)[ -]?([1-9]\d{3})[ -]?(\d{4})$")

error_messages = {
    "invalid": _("휴대폰 번호를 010-1234-5678 형식으로 정확히 입력해 주세요."),
}


def normalize_phone(value: str) -> str:
    """Return the E.164 form (+821012345678) or raise ValidationError(code="invalid")."""
    text = ascii_digits(value).strip()
    match = _SHAPE.match(text)
    if not match:
        raise ValidationError(error_messages["invalid"], code="invalid")
    national = "010" + match.group(1) + match.group(2)
    try:
        number = phonenumbers.parse(national, "KR")
    except phonenumbers.NumberParseException:
        raise ValidationError(error_messages["invalid"], code="invalid") from None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(error_messages["invalid"], code="invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_E164_MOBILE = re.compile(r"^\+8210[1-9]\d{7}$")


def is_normalized(value: str) -> bool:
    """Whether ``value`` already is what normalize_phone returns (e.g. a phone on record)."""
    return bool(_E164_MOBILE.match(value))


def format_phone(e164: str) -> str:
    """+821012345678 → 010-1234-5678 (the way a Korean customer writes it)."""
    if not e164:
        return ""
    national = "0" + e164.removeprefix("+82") if e164.startswith("+82") else e164
    if len(national) == 11:
        return f"{national[:3]}-{national[3:7]}-{national[7:]}"
    return national
