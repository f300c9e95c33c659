"""Staff-side customer form: the resident number is typed once and never shown again."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts.models import Customer, resident_number_hash
from accounts.phone import normalize_phone
from accounts.rrn import parse_resident_number


class CustomerAdminForm(forms.ModelForm):
    resident_number = forms.CharField(
        label=_("주민등록번호"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("13자리를 한 번 입력하면 암호화되어 저장되며 다시 표시되지 않습니다."),
    )

    error_messages = {
        "required": _("주민등록번호를 입력해 주세요."),
        "duplicate": _("이미 등록된 주민등록번호입니다."),
    }

    class Meta:
        model = Customer
        fields = [
            "user_id", "name", "resident_number", "birth_date", "phone", "email", "kind",
            "internet_banking_enrolled",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "birth_date" not in self.fields:  # a view-only form: nothing to set up
            return
        self.fields["birth_date"].required = False
        if self.instance.pk:
            self.fields["resident_number"].help_text = _(
                "현재: %(masked)s — 변경할 때만 입력하세요."
            ) % {"masked": self.instance.masked_resident_number}
            # Shown masked like the number: staff type a new phone only to change it.
            self.initial["phone"] = ""
            self.fields["phone"].required = False
            self.fields["phone"].help_text = _("현재: %(masked)s — 변경할 때만 입력하세요.") % {
                "masked": self.instance.masked_phone
            }

    @sensitive_variables("value")
    def clean_resident_number(self):
        value = self.cleaned_data.get("resident_number")
        if not value:
            if not self.instance.pk:
                raise ValidationError(self.error_messages["required"], code="required")
            return ""
        digits = parse_resident_number(value).digits
        duplicate = Customer.objects.filter(resident_number_hash=resident_number_hash(digits))
        if duplicate.exclude(pk=self.instance.pk).exists():
            raise ValidationError(self.error_messages["duplicate"], code="duplicate")
        return digits

    def clean_phone(self):
        value = self.cleaned_data.get("phone", "")
        if not value and self.instance.pk:
            return self.instance.phone
        return normalize_phone(value)

    def _post_clean(self):
        value = self.cleaned_data.get("resident_number")
        if value:
            # A birth date typed by staff is kept (and checked against the number); a blank one is
            # taken from the number.
            self.instance.birth_date = self.cleaned_data.get("birth_date")
            self.instance.set_resident_number(value)
            self.cleaned_data["birth_date"] = self.instance.birth_date
        elif self.instance.pk and not self.cleaned_data.get("birth_date"):
            # Cleared on the change form: the stored number still knows the birth date.
            born = parse_resident_number(self.instance.resident_number).birth_date
            self.cleaned_data["birth_date"] = born
        super()._post_clean()
