"""The 인증서 관리 forms: the PIN (through the PIN pad) and what each change asks besides."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from certcenter.text import ascii_digits
from certificates.pinpad import PinEntryForm
from certificates.pins import error_messages as pin_errors
from certificates.services import change_pin_errors
from certificates.wizard.forms import SecretNumericInput


class PinChangeForm(PinEntryForm):
    """비밀번호 변경: the current PIN on the pad, the new one twice.

    The PIN rules (``pins.validate_pin``) are the service's to apply, as for issuance; the form
    checks what needs no customer: the two new entries agree and differ from the current PIN.
    """

    new_pin = forms.CharField(
        label=_("새 비밀번호 (숫자 6자리)"), max_length=6, strip=False,
        widget=SecretNumericInput(attrs={"maxlength": "6", "autocomplete": "new-password"}),
        error_messages={"required": _("새 비밀번호 6자리를 입력해 주세요.")},
    )
    new_pin_confirm = forms.CharField(
        label=_("새 비밀번호 확인"), max_length=6, strip=False,
        widget=SecretNumericInput(attrs={"maxlength": "6", "autocomplete": "new-password"}),
        error_messages={"required": _("확인을 위해 새 비밀번호를 한 번 더 입력해 주세요.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pin"].label = _("현재 비밀번호")

    def clean_new_pin(self):
        return ascii_digits(self.cleaned_data["new_pin"])

    def clean_new_pin_confirm(self):
        return ascii_digits(self.cleaned_data["new_pin_confirm"])

    def clean(self):
        cleaned = super().clean()
        current, new, confirm = (cleaned.get(name) for name in ("pin", "new_pin", "new_pin_confirm"))
        if new and confirm and new != confirm:
            self.add_error("new_pin_confirm",
                           ValidationError(pin_errors["mismatch"], code="mismatch"))
        elif current and new and current == new:
            self.add_error("new_pin", ValidationError(change_pin_errors["same_as_current"],
                                                      code="same_as_current"))
        return cleaned


class RevokeForm(PinEntryForm):
    """인증서 해지: the PIN on the pad and an explicit yes."""

    confirm = forms.BooleanField(
        label=_("해지한 인증서는 다시 사용할 수 없으며, 필요하면 새로 발급받아야 함을 확인했습니다."),
        error_messages={"required": _("해지 내용을 확인하고 동의란에 체크해 주세요.")},
    )


class SuspendForm(forms.Form):
    """효력정지: no PIN (the phone may be in someone else's hands), only an explicit yes."""

    confirm = forms.BooleanField(
        label=_("효력정지 중에는 로그인·이체 등 전자서명에 인증서를 쓸 수 없으며, 다시 쓰려면 ARS와 "
                "SMS 본인 확인을 거쳐 효력회복해야 함을 확인했습니다."),
        error_messages={"required": _("효력정지 내용을 확인하고 동의란에 체크해 주세요.")},
    )
