"""The simulated handset's keypad, and its channel-fault form (simulator controls)."""

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


class ChannelFaultForm(forms.Form):
    """A channel fault for one phone (the handset's) or, with a phone field added, any phone."""

    kind = forms.ChoiceField(
        label=_("장애"), error_messages={"invalid_choice": _("장애 종류를 목록에서 고르세요.")},
    )
    seconds = forms.IntegerField(
        label=_("초 (지연·보류·울림·끊김까지)"), required=False, min_value=0, max_value=3600,
        help_text=_("비워 두면 기본값: 지연 60초, 순서 뒤바뀜 보류 120초, 응답 없음 20초, 끊김 5초"),
        error_messages={"min_value": _("시간은 0초에서 3600초 사이로 입력하세요."),
                        "max_value": _("시간은 0초에서 3600초 사이로 입력하세요."),
                        "invalid": _("시간은 숫자(초)로 입력하세요.")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        from verification.models import ChannelFault

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = ChannelFault.Kind.choices
