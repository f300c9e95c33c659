"""클라우드 연결's forms: the details that find the customer, and the code (with 자동 연결)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from certificates.wizard.forms import SmsCodeForm, SmsIdentityForm


class ConnectIdentityForm(SmsIdentityForm):
    """이름, 생년월일 (8자리), 휴대폰 번호 as the wizard's SMS step takes and cleans them.

    Not its check against a customer already identified: here the details are what finds the
    customer (``cloud_code_request``), and the answer does not say whether they did.
    """

    error_messages = {
        **SmsIdentityForm.error_messages,
        "throttled": _("인증번호 요청이 많아 잠시 이용할 수 없습니다. %(window)s 뒤에 다시 시도해 "
                       "주세요."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, customer=None, **kwargs)

    def clean(self):
        return forms.Form.clean(self)


class ConnectCodeForm(SmsCodeForm):
    remember = forms.BooleanField(
        label=_("이 브라우저 자동 연결"), required=False,
        help_text=_("다음부터 이 브라우저에서는 인증번호 없이 연결됩니다. 여러 사람이 함께 쓰는 "
                    "PC에서는 선택하지 마세요."),
    )
