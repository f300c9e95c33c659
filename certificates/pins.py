"""The 금융인증서 PIN rules (bank practice): 6 digits nobody could guess from the customer's file."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts.models import Customer

PIN_LENGTH = 6

error_messages = {
    "format": _("비밀번호는 숫자 6자리로 입력해 주세요."),
    "repeated": _("같은 숫자를 3번 이상 연달아 쓴 비밀번호(예: 000001)는 사용할 수 없습니다."),
    "sequential": _("연속된 숫자 3자리 이상(예: 123, 987, 890)이 들어간 비밀번호는 사용할 수 없습니다."),
    "pattern": _(
        "반복되는 모양의 비밀번호(예: 같은 묶음의 반복, 같은 숫자 두 개씩 세 쌍, "
        "한 자리 걸러 같은 숫자)는 사용할 수 없습니다."
    ),
    "keypad": _("키패드의 가로·세로·대각선 줄로만 이루어진 비밀번호는 사용할 수 없습니다."),
    "birth_date": _("생년월일이나 주민등록번호 앞자리가 들어간 비밀번호는 사용할 수 없습니다."),
    "phone": _("휴대폰 번호의 가운데 또는 끝 4자리가 들어간 비밀번호는 사용할 수 없습니다."),
    "same_as_previous": _("이전 인증서와 같은 비밀번호는 사용할 수 없습니다."),
    "mismatch": _("비밀번호와 비밀번호 확인이 일치하지 않습니다."),
}

# Every three digits counting up or down, wrap-around included: 012 … 890, 901 and their reverses.
_RUNS = frozenset(
    run for i in range(10) for run in ("0123456789012"[i : i + 3], "0123456789012"[i : i + 3][::-1])
)

# The phone keypad (1-2-3 / 4-5-6 / 7-8-9 / 0 below 8) as its three-key lines: rows, columns and
# both diagonals, each either way. People pick PINs by tracing shapes on a keypad (147258: two
# columns; 159753: both diagonals), so a PIN traced wholly from lines is guessed early, even though
# our own PIN pad shuffles its keys. One line inside an otherwise unrelated PIN (357 in 135790)
# turns up by chance in about one PIN in fourteen and alone says nothing: only PINs made wholly of
# lines are refused.
_KEYPAD_LINES = frozenset(
    line
    for forward in ("123", "456", "789", "147", "258", "369", "580", "159", "357")
    for line in (forward, forward[::-1])
)


def _has_repeated_digit(pin: str) -> bool:
    # "동일 숫자 3자리 이상 사용 불가": three of one digit in a row anywhere (000001, 111222).
    return any(pin[i] == pin[i + 1] == pin[i + 2] for i in range(len(pin) - 2))


def _has_run(pin: str) -> bool:
    # "연속 숫자 3자리 이상 사용 불가": three digits counting up or down anywhere, wrap-around
    # included (890, 901, 098, 109), as a counting finger does not stop at 9.
    return any(pin[i : i + 3] in _RUNS for i in range(len(pin) - 2))


def _is_repeated_block(pin: str) -> bool:
    # One block of 1, 2 or 3 digits typed over and over (121212, 123123).
    return any(pin == pin[:size] * (PIN_LENGTH // size) for size in (1, 2, 3))


def _is_pairs(pin: str) -> bool:
    # Three pairs, each of one digit typed twice (112233, 997755, 001100): six keystrokes carry
    # three choices, so the PIN is as weak as a 3-digit one.
    return pin[0] == pin[1] and pin[2] == pin[3] and pin[4] == pin[5]


def _is_alternating(pin: str) -> bool:
    # One digit in every other place, a filler between the real choices (102030, 010203, 919293):
    # again only three or four real choices.
    return len(set(pin[0::2])) == 1 or len(set(pin[1::2])) == 1


def _is_pattern(pin: str) -> bool:
    return _is_repeated_block(pin) or _is_pairs(pin) or _is_alternating(pin)


def _is_keypad_lines(pin: str) -> bool:
    # Wholly traced from lines: both halves are keypad lines (147258, 159753, 258369, 147741).
    return pin[:3] in _KEYPAD_LINES and pin[3:] in _KEYPAD_LINES


def _has_birth_date(pin: str, *, born: date | None, resident_front: str) -> bool:
    # The birth date as people write it (YYMMDD, YYYYMM, MMDD, DDMM, YYYY), anywhere in the PIN:
    # it is printed on ID cards and is the first guess of anyone who knows the customer.
    if born:
        yyyy, mm, dd = f"{born.year:04d}", f"{born.month:02d}", f"{born.day:02d}"
        if any(form in pin for form in (yyyy[2:] + mm + dd, yyyy + mm, mm + dd, dd + mm, yyyy)):
            return True
    return pin == resident_front


def _has_phone(pin: str, *, phone: str) -> bool:
    # The middle or last four digits of the phone (010-1234-5678), anywhere in the PIN.
    digits = "".join(ch for ch in phone if ch.isdigit())
    return any(len(block) == 4 and block in pin for block in (digits[-8:-4], digits[-4:]))


# First broken rule wins, in this order: the shape rules need nothing from the customer's file, so
# they run first and the resident number is decrypted only for PINs that pass them.
_SHAPE_RULES = (
    ("repeated", _has_repeated_digit),
    ("sequential", _has_run),
    ("pattern", _is_pattern),
    ("keypad", _is_keypad_lines),
)


@sensitive_variables("pin", "resident_front")
def validate_pin(pin: str, *, customer: Customer) -> None:
    """Raise ValidationError (one code per broken rule, first broken rule wins)."""
    if len(pin) != PIN_LENGTH or not pin.isascii() or not pin.isdigit():
        raise ValidationError(error_messages["format"], code="format")
    for code, broken in _SHAPE_RULES:
        if broken(pin):
            raise ValidationError(error_messages[code], code=code)
    # The customer's data is read here, not inside the rules, so that a failure reading it (the
    # resident number is decrypted) reports no frame holding the PIN unmasked.
    resident_front = customer.resident_number[:6]
    if _has_birth_date(pin, born=customer.birth_date, resident_front=resident_front):
        raise ValidationError(error_messages["birth_date"], code="birth_date")
    if _has_phone(pin, phone=customer.phone):
        raise ValidationError(error_messages["phone"], code="phone")
