"""The 모의 인터넷뱅킹's transfer form: what a transfer needs, checked before anything is signed."""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from certcenter.text import ascii_digits
from certificates.banking.content import Transfer, won

# A few receiving banks (code → name), the ones a customer expects to find first.
BANKS = [
    ("004", "KB국민은행"),
    ("088", "신한은행"),
    ("020", "우리은행"),
    ("081", "하나은행"),
    ("011", "NH농협은행"),
    ("003", "IBK기업은행"),
    ("090", "카카오뱅크"),
    ("092", "토스뱅크"),
]
TRANSFER_MAX_WON = 5_000_000  # the simulated one-transfer limit
ACCOUNT_DIGITS = (10, 14)  # Korean bank account numbers
MEMO_MAX_LENGTH = 20
_ACCOUNT = re.compile(r"[0-9]+(?:-[0-9]+)*")


class TransferForm(forms.Form):
    error_messages = {
        "account_format": _("계좌번호는 숫자와 하이픈(-)으로 입력해 주세요. (예: 110-123-456789)"),
        "account_length": _("계좌번호는 숫자 %(low)d~%(high)d자리입니다."),
        "amount_format": _("금액은 원 단위 숫자로 입력해 주세요."),
        "amount_positive": _("1원 이상 입력해 주세요."),
        "amount_max": _("1회 이체 한도는 %(limit)s입니다."),
        "memo_characters": _("메모에는 줄바꿈이나 제어 문자를 쓸 수 없습니다."),
    }

    bank = forms.ChoiceField(label=_("받는 분 은행"), choices=[("", _("선택해 주세요")), *BANKS],
                             error_messages={"required": _("받는 분 은행을 선택해 주세요.")})
    account = forms.CharField(
        label=_("받는 분 계좌번호"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("숫자와 하이픈(-)만 입력합니다."),
        error_messages={"required": _("계좌번호를 입력해 주세요."),
                        "max_length": _("계좌번호가 너무 깁니다.")},
    )
    amount = forms.CharField(
        label=_("금액 (원)"), max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("금액을 입력해 주세요.")},
    )
    memo = forms.CharField(
        label=_("메모 (선택)"), required=False, max_length=MEMO_MAX_LENGTH,
        error_messages={"max_length": _("메모는 %(limit_value)d자 이내로 입력해 주세요.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = _("1회 최대 %(limit)s") % {"limit": won(TRANSFER_MAX_WON)}
        self.fields["memo"].help_text = _("받는 분 통장에 표시할 내용, %(n)d자 이내") % {
            "n": MEMO_MAX_LENGTH}

    def clean_account(self):
        account = ascii_digits(self.cleaned_data["account"]).strip()
        if not _ACCOUNT.fullmatch(account):
            raise ValidationError(self.error_messages["account_format"], code="account_format")
        low, high = ACCOUNT_DIGITS
        if not low <= len(account.replace("-", "")) <= high:
            raise ValidationError(self.error_messages["account_length"], code="account_length",
                                  params={"low": low, "high": high})
        return account

    def clean_amount(self):
        typed = ascii_digits(self.cleaned_data["amount"]).replace(",", "").strip()
        typed = typed.removesuffix("원").strip()
        if not (typed.isascii() and typed.isdigit()):
            raise ValidationError(self.error_messages["amount_format"], code="amount_format")
        amount = int(typed)
        if amount < 1:
            raise ValidationError(self.error_messages["amount_positive"], code="amount_positive")
        if amount > TRANSFER_MAX_WON:
            raise ValidationError(self.error_messages["amount_max"], code="amount_max",
                                  params={"limit": won(TRANSFER_MAX_WON)})
        return amount

    def clean_memo(self):
        memo = self.cleaned_data["memo"].strip()
        # A line break would let a memo write a line of its own into the signed text ("금액: …");
        # format characters (e.g. right-to-left overrides) would make it read otherwise than it is.
        if any(unicodedata.category(ch).startswith("C") for ch in memo):
            raise ValidationError(self.error_messages["memo_characters"], code="memo_characters")
        return memo

    def transfer(self) -> Transfer:
        data = self.cleaned_data
        return Transfer(bank_code=data["bank"], bank_name=dict(BANKS)[data["bank"]],
                        account=data["account"], amount=data["amount"], memo=data["memo"])
