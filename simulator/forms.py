"""The 시뮬레이터 제어 page's forms: what a trainer types, checked before any service runs."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.phone import normalize_phone
from simulator.services import MAX_OFFSET_DAYS
from verification.forms import ChannelFaultForm


class ClockForwardForm(forms.Form):
    days = forms.IntegerField(
        label=_("앞으로 옮길 일수"), min_value=1, max_value=MAX_OFFSET_DAYS, initial=340,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": _("일수를 입력하세요."),
                        "invalid": _("일수는 숫자로 입력하세요.")},
    )


class ClockDateForm(forms.Form):
    day = forms.DateField(
        label=_("이동할 날짜"), widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("날짜를 고르세요."),
                        "invalid": _("날짜는 2027-11-05 형식으로 입력하세요.")},
    )


class RenewalForm(forms.Form):
    dry_run = forms.BooleanField(label=_("미리 보기만 (--dry-run, 아무것도 바꾸지 않음)"),
                                 required=False)


class FaultForm(ChannelFaultForm):
    """The page's fault form: the handset's, with the phone to apply it to (blank: every phone)."""

    phone = forms.CharField(
        label=_("휴대폰 번호"), required=False, max_length=20, help_text=_("비워 두면 모든 휴대폰에 적용"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "placeholder": "010-1234-5678"}),
    )
    field_order = ["phone", "kind", "seconds"]

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        return normalize_phone(phone) if phone else ""
