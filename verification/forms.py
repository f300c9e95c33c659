"""The simulated handset's keypad."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from certcenter.text import ascii_digits


class KeyInForm(forms.Form):
    error_messages = {
        "required": _("숫자 두 자리를 입력해 주세요."),
        "invalid": _("숫자 두 자리를 입력해 주세요."),
    }

    digits = forms.CharField(
        label=_("숫자 두 자리"),
        max_length=8,
        strip=True,
        error_messages={"required": error_messages["required"]},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "pattern": "[0-9]*",
                "maxlength": "2",
                "size": "4",
            }
        ),
    )

    def clean_digits(self):
        digits = ascii_digits(self.cleaned_data["digits"], drop_separators=True)
        RegexValidator(r"^[0-9]{2}$", self.error_messages["invalid"], code="invalid")(digits)
        return digits
