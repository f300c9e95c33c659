"""The wizard's forms. Every message is in ``error_messages`` with a code tests assert on."""

import re
import unicodedata
from datetime import date

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from accounts.phone import normalize_phone
from accounts.services import (
    CustomerNotFound,
    DetailsMismatch,
    LookupThrottled,
    customer_details_check,
    customer_lookup,
)
from certcenter.durations import duration_text
from certcenter.http import client_ip
from certcenter.text import ascii_digits
from certificates.audit import (
    identification_failure_record,
    identification_refusal_record,
    repeated_failure_record,
)
from certificates.models import ReissueReason
from certificates.pins import error_messages as pin_errors
from verification.selectors import customer_fraud_block, fraud_block_message


class NumericInput(forms.TextInput):
    """A text box for digits: numeric keypad on phones, no spinner, no autocomplete guessing."""

    def __init__(self, attrs=None):
        defaults = {"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"}
        super().__init__({**defaults, **(attrs or {})})


class SecretNumericInput(forms.PasswordInput):
    def __init__(self, attrs=None):
        defaults = {"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"}
        super().__init__({**defaults, **(attrs or {})}, render_value=False)


class TermsForm(forms.Form):
    REQUIRED = ("terms_service", "terms_privacy", "terms_unique_id")
    agree_all = forms.BooleanField(label=_("전체 동의"), required=False)
    terms_service = forms.BooleanField(label=_("[필수] 금융인증서 서비스 이용약관 동의"), required=False)
    terms_privacy = forms.BooleanField(label=_("[필수] 개인정보 수집·이용 동의"), required=False)
    terms_unique_id = forms.BooleanField(
        label=_("[필수] 고유식별정보(주민등록번호) 처리 동의"), required=False
    )
    terms_marketing = forms.BooleanField(
        label=_("[선택] 금융상품·이벤트 안내(마케팅) 문자 수신 동의"), required=False
    )

    error_messages = {"required_terms": _("필수 약관에 모두 동의해 주세요.")}

    @property
    def checked(self) -> tuple[bool, ...]:
        """Which boxes the page shows ticked, in field order (what its cached markup varies on)."""
        return tuple(bool(self[name].value()) for name in self.fields)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("agree_all"):
            for name in (*self.REQUIRED, "terms_marketing"):
                cleaned[name] = True
        if not all(cleaned.get(name) for name in self.REQUIRED):
            raise ValidationError(self.error_messages["required_terms"], code="required_terms")
        return cleaned


class IdentifyForm(forms.Form):
    user_id = forms.CharField(
        label=_("아이디"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false"}),
        error_messages={"required": _("아이디를 입력해 주세요.")},
    )
    rrn_front = forms.CharField(
        label=_("주민등록번호 앞 6자리"), max_length=8,
        widget=NumericInput(attrs={"maxlength": "6"}),
        error_messages={"required": _("주민등록번호 앞 6자리를 입력해 주세요.")},
    )
    rrn_back = forms.CharField(
        label=_("주민등록번호 뒤 7자리"), max_length=9,
        widget=SecretNumericInput(attrs={"maxlength": "7"}),
        error_messages={"required": _("주민등록번호 뒤 7자리를 입력해 주세요.")},
    )

    error_messages = {
        "rrn_front": _("주민등록번호 앞자리는 숫자 6자리입니다."),
        "rrn_back": _("주민등록번호 뒷자리는 숫자 7자리입니다."),
        "not_found": _("입력하신 정보와 일치하는 인터넷뱅킹 고객이 없습니다. 아이디와 주민등록번호를 "
                       "확인해 주세요. 인터넷뱅킹에 가입하지 않았다면 먼저 가입해 주세요."),
        "throttled": _("본인 확인에 여러 번 실패하여 잠시 이용할 수 없습니다. %(window)s 뒤에 다시 "
                       "시도해 주세요."),
        "corporate": _("기업 고객은 온라인으로 금융인증서를 발급할 수 없습니다. 영업점에 문의해 주세요."),
    }

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.customer_cache: Customer | None = None
        super().__init__(*args, **kwargs)

    def clean_rrn_front(self):
        value = ascii_digits(self.cleaned_data["rrn_front"], drop_separators=True)
        if not re.fullmatch(r"[0-9]{6}", value):
            raise ValidationError(self.error_messages["rrn_front"], code="rrn_front")
        return value

    def clean_rrn_back(self):
        value = ascii_digits(self.cleaned_data["rrn_back"], drop_separators=True)
        if not re.fullmatch(r"[0-9]{7}", value):
            raise ValidationError(self.error_messages["rrn_back"], code="rrn_back")
        return value

    def clean(self):
        """Identify the customer, as ``AuthenticationForm.clean()`` authenticates a user."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        user_id, ip = cleaned["user_id"], client_ip(self.request)
        try:
            customer = customer_lookup(
                user_id=user_id, resident_number=cleaned["rrn_front"] + cleaned["rrn_back"],
                client_ip=ip,
            )
        except CustomerNotFound:
            identification_failure_record(user_id=user_id, client_ip=ip)
            raise ValidationError(self.error_messages["not_found"], code="not_found") from None
        except LookupThrottled as refused:
            identification_refusal_record(user_id=user_id, per_user=refused.per_user, client_ip=ip)
            raise ValidationError(
                self.error_messages["throttled"], code="throttled",
                params={"window": duration_text(settings.LOOKUP_FAILURE_WINDOW)},
            ) from None
        if customer.kind == Customer.Kind.CORPORATE:
            raise ValidationError(self.error_messages["corporate"], code="corporate")
        blocked = customer_fraud_block(customer)
        if blocked is not None:
            # Named only to the customer who just proved who they are (ID and resident number).
            raise ValidationError(fraud_block_message(blocked), code="fraud_blocked")
        self.customer_cache = customer
        return cleaned

    def get_customer(self) -> Customer | None:
        return self.customer_cache


class ReissueReasonForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("재발급 사유"), choices=ReissueReason.choices, widget=forms.RadioSelect,
        error_messages={"required": _("재발급 사유를 선택해 주세요.")},
    )


class ExtraVerificationForm(forms.Form):
    method = forms.ChoiceField(
        label=_("추가 본인 확인 방법"), widget=forms.RadioSelect,
        error_messages={"required": _("본인 확인 방법을 선택해 주세요.")},
    )
    confirm_contact = forms.BooleanField(
        label=_("위 이메일과 휴대폰 번호가 본인의 연락처임을 확인합니다."),
        error_messages={"required": _("연락처 정보를 확인하고 체크해 주세요.")},
    )

    def __init__(self, *args, method_label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [("bank_certificate", method_label)]
        self.fields["method"].initial = "bank_certificate"


SMS_IDENTITY = ("name", "birth_date", "phone")


class SmsIdentityForm(forms.Form):
    """이름, 생년월일, 휴대폰 번호 — checked against the customer before a code is sent."""

    name = forms.CharField(
        label=_("이름"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("이름을 입력해 주세요.")},
    )
    birth_date = forms.CharField(
        label=_("생년월일 (8자리)"), max_length=10,
        widget=NumericInput(attrs={"maxlength": "8", "placeholder": "19900101",
                                   "autocomplete": "bday"}),
        error_messages={"required": _("생년월일 8자리를 입력해 주세요.")},
    )
    phone = forms.CharField(
        label=_("휴대폰 번호"), max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel",
                                      "placeholder": "010-1234-5678"}),
        error_messages={"required": _("휴대폰 번호를 입력해 주세요.")},
    )

    error_messages = {
        "birth_date": _("생년월일을 8자리 숫자(예: 19900101)로 정확히 입력해 주세요."),
        "mismatch": _("입력하신 정보가 등록된 고객 정보와 일치하지 않습니다."),
        "throttled": _("입력하신 정보가 여러 번 일치하지 않아 잠시 인증번호를 요청할 수 없습니다. "
                       "%(window)s 뒤에 다시 시도해 주세요."),
    }

    def __init__(self, *args, customer: Customer, request=None, **kwargs):
        self.customer = customer
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_name(self):
        return unicodedata.normalize("NFC", self.cleaned_data["name"]).strip()

    def clean_birth_date(self):
        value = ascii_digits(self.cleaned_data["birth_date"], drop_separators=True).replace(".", "")
        try:
            if not re.fullmatch(r"[0-9]{8}", value):
                raise ValueError
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            raise ValidationError(self.error_messages["birth_date"], code="birth_date") from None

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])

    def clean(self):
        """The details must be the customer's own before a code goes to the phone."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        customer = self.customer
        try:
            customer_details_check(
                customer=customer, name=cleaned["name"], birth_date=cleaned["birth_date"],
                phone=cleaned["phone"], client_ip=client_ip(self.request),
            )
        except LookupThrottled:
            # A client can post these again and again: one audit row a window, with the count.
            repeated_failure_record(
                key=f"sms-identity-refused:customer:{customer.pk}",
                reason="추가 본인 확인 제한: 실패 횟수 초과",
                window_seconds=settings.LOOKUP_FAILURE_WINDOW, customer_id=customer.pk,
                client_ip=client_ip(self.request), outcome="details_throttled",
            )
            raise ValidationError(
                self.error_messages["throttled"], code="throttled",
                params={"window": duration_text(settings.LOOKUP_FAILURE_WINDOW)},
            ) from None
        except DetailsMismatch:
            repeated_failure_record(
                key=f"sms-identity:customer:{customer.pk}", reason="추가 본인 확인 정보 불일치",
                window_seconds=settings.LOOKUP_FAILURE_WINDOW, customer_id=customer.pk,
                client_ip=client_ip(self.request), outcome="details_mismatch",
            )
            raise ValidationError(self.error_messages["mismatch"], code="mismatch") from None
        return cleaned

    def typed(self) -> dict:
        """What the customer typed (not secret), to show again."""
        return {name: self.data.get(name, "") for name in SMS_IDENTITY}


class SmsCodeForm(forms.Form):
    code = forms.CharField(
        label=_("인증번호 6자리"), max_length=8,
        widget=NumericInput(attrs={"maxlength": "6", "autocomplete": "one-time-code"}),
        error_messages={"required": _("휴대폰으로 받은 인증번호 6자리를 입력해 주세요.")},
    )
    error_messages = {
        "format": _("인증번호는 숫자 6자리입니다."),
        "no_code": _("먼저 ‘인증번호 요청’을 눌러 주세요."),  # the view's to add: a code was not sent
    }

    def clean_code(self):
        value = ascii_digits(self.cleaned_data["code"], drop_separators=True)
        if not re.fullmatch(r"[0-9]{6}", value):
            raise ValidationError(self.error_messages["format"], code="format")
        return value

    def clear_code(self) -> None:
        """Show the form again with the code box empty (a code is typed afresh, never kept)."""
        self.data = self.data.copy()
        self.data["code"] = ""


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("인증서 비밀번호 (숫자 6자리)"), max_length=6, strip=False,
        widget=SecretNumericInput(attrs={"maxlength": "6", "autocomplete": "new-password"}),
        error_messages={"required": _("비밀번호 6자리를 입력해 주세요.")},
    )
    pin_confirm = forms.CharField(
        label=_("비밀번호 확인"), max_length=6, strip=False,
        widget=SecretNumericInput(attrs={"maxlength": "6", "autocomplete": "new-password"}),
        error_messages={"required": _("확인을 위해 비밀번호를 한 번 더 입력해 주세요.")},
    )

    error_messages = {
        "exists": _("이미 사용 중인 인증서가 있습니다. 처음부터 재발급을 진행해 주세요."),
        "unavailable": _("일시적인 오류로 인증서를 발급하지 못했습니다. 잠시 후 다시 시도해 주세요."),
        "lint_failed": _("인증서 발급 전 검사에서 문제가 발견되어 발급을 중단했습니다. "
                         "고객센터로 문의해 주세요."),
    }

    def clean_pin(self):
        return ascii_digits(self.cleaned_data["pin"])

    def clean_pin_confirm(self):
        return ascii_digits(self.cleaned_data["pin_confirm"])

    def clean(self):
        cleaned = super().clean()
        pin, confirm = cleaned.get("pin"), cleaned.get("pin_confirm")
        if pin and confirm and pin != confirm:
            self.add_error("pin_confirm", ValidationError(pin_errors["mismatch"], code="mismatch"))
        return cleaned
