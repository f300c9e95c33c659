"""Korean resident registration numbers (주민등록번호): parsing and validation, nothing stored.

A number is YYMMDD-GNNNNNN. G (the 7th digit) gives the century and sex: 1/2 → 1900s, 3/4 → 2000s,
9/0 → 1800s, and 5–8 the same for foreign residents (5/6 → 1900s, 7/8 → 2000s). Numbers assigned since
2020-10-05 have a random tail, so the legacy check digit is never used to reject a number.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from certcenter import clock
from certcenter.text import ascii_digits

CENTURY_BY_GENDER_DIGIT = {
    "9": 1800, "0": 1800,
    "1": 1900, "2": 1900, "5": 1900, "6": 1900,
    "3": 2000, "4": 2000, "7": 2000, "8": 2000,
}
FOREIGN_GENDER_DIGITS = frozenset("5678")
_SHAPE = re.compile(r"^(\d{6})-?(\d{7})$")

error_messages = {
    "format": _("주민등록번호 13자리를 정확히 입력해 주세요."),
    "date": _("주민등록번호의 생년월일이 올바르지 않습니다."),
    "future": _("주민등록번호의 생년월일이 미래 날짜입니다."),
}


@dataclass(frozen=True)
class ResidentNumber:
    digits: str  # 13 ASCII digits, no hyphen
    birth_date: date

    @property
    def is_foreign_resident(self) -> bool:
        return self.digits[6] in FOREIGN_GENDER_DIGITS

    @property
    def formatted(self) -> str:
        return f"{self.digits[:6]}-{self.digits[6:]}"


def parse_resident_number(value: str, *, today: date | None = None) -> ResidentNumber:
    """Parse and validate; raises ValidationError with code "format", "date" or "future"."""
    text = ascii_digits(value).strip()
    match = _SHAPE.match(text)
    if not match or not text.isascii():
        raise ValidationError(error_messages["format"], code="format")
    front, back = match.groups()
    century = CENTURY_BY_GENDER_DIGIT[back[0]]
    try:
        born = date(century + int(front[:2]), int(front[2:4]), int(front[4:6]))
    except ValueError:
        raise ValidationError(error_messages["date"], code="date") from None
    if today is None:
        today = clock.today()
    if born > today:
        raise ValidationError(error_messages["future"], code="future")
    return ResidentNumber(digits=front + back, birth_date=born)


def legacy_check_digit_ok(digits: str) -> bool:
    """The pre-2020-10 check digit. Informational only: never reject a number on it."""
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    total = sum(int(d) * w for d, w in zip(digits[:12], weights, strict=True))
    return (11 - total % 11) % 10 == int(digits[12])
