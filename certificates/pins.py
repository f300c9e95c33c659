"""The 금융인증서 PIN rules (bank practice): 6 digits nobody could guess from the customer's file."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts.models import Customer

PIN_LENGTH = 6

error_messages = {
    "format": _("비밀번호는 숫자 6자리로 입력해 주세요."),
    "repeated": _("같은 숫자만으로 된 비밀번호는 사용할 수 없습니다."),
    "sequential": _("연속된 숫자(예: 123456, 987654)는 비밀번호로 사용할 수 없습니다."),
    "birth_date": _("생년월일이나 주민등록번호 앞자리는 비밀번호로 사용할 수 없습니다."),
    "phone": _("휴대폰 번호 뒷자리가 들어간 비밀번호는 사용할 수 없습니다."),
    "same_as_previous": _("이전 인증서와 같은 비밀번호는 사용할 수 없습니다."),
    "mismatch": _("비밀번호와 비밀번호 확인이 일치하지 않습니다."),
}


def _is_run(pin: str, step: int) -> bool:
    # Wrap-around included: 890123 and 109876 are runs too.
    return all((int(b) - int(a)) % 10 == step % 10 for a, b in zip(pin, pin[1:], strict=False))


@sensitive_variables("pin")
def validate_pin(pin: str, *, customer: Customer) -> None:
    """Raise ValidationError (one code per broken rule, first broken rule wins)."""
    if len(pin) != PIN_LENGTH or not pin.isascii() or not pin.isdigit():
        raise ValidationError(error_messages["format"], code="format")
    if len(set(pin)) == 1:
        raise ValidationError(error_messages["repeated"], code="repeated")
    if _is_run(pin, 1) or _is_run(pin, -1):
        raise ValidationError(error_messages["sequential"], code="sequential")
    born = customer.birth_date
    if born and pin in {born.strftime("%y%m%d"), born.strftime("%m%d%y"), born.strftime("%d%m%y")}:
        raise ValidationError(error_messages["birth_date"], code="birth_date")
    if pin == customer.resident_number[:6]:
        raise ValidationError(error_messages["birth_date"], code="birth_date")
    national = customer.phone.removeprefix("+82")
    if national[-4:] in pin or pin == ("0" + national)[-6:]:
        raise ValidationError(error_messages["phone"], code="phone")
