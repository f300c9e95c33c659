"""Entering the certificate's PIN to use it: the form every use asks with (sign, change, revoke).

The page shows it through ``includes/_pin_pad.html`` (a shuffled on-screen keypad with JavaScript; a
plain numeric password field without it) and states the wrong-PIN count.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from certcenter.text import ascii_digits
from certificates.models import Certificate


class PinEntryForm(forms.Form):
    pin = forms.CharField(
        label=_("인증서 비밀번호 (숫자 6자리)"), max_length=6, min_length=6, strip=False,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*",
                                          "autocomplete": "off", "maxlength": "6"}),
        error_messages={"required": _("인증서 비밀번호 6자리를 입력해 주세요."),
                        "min_length": _("인증서 비밀번호는 숫자 6자리입니다.")},
    )

    def __init__(self, *args, certificate: Certificate | None = None, **kwargs):
        self.certificate = certificate
        super().__init__(*args, **kwargs)

    def clean_pin(self):
        return ascii_digits(self.cleaned_data["pin"])

    @property
    def failures(self) -> int:
        """Wrong PINs in a row so far on this certificate's key (shown: "2회 오류")."""
        if self.certificate is None:
            return 0
        return self.certificate.sealed_key.pin_failures

    @property
    def max_failures(self) -> int:
        return settings.PIN_MAX_FAILURES
