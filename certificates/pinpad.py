"""Entering the certificate's PIN to use it: the form every use asks with (sign, change, revoke).

The page shows it through ``includes/_pin_pad.html``: a plain numeric password field, and next to it
an on-screen keypad (가상 키패드) that ``static/js/pinpad.js`` shows and that fills the field. The keys'
order is drawn on the server for every display (``pad_layout``), as Korean banks' pads do, so where a
click lands says nothing about the digit to anyone recording the screen positions of clicks; the
digits are still in the page (each key says which one it is, for screen readers), so the shuffle is
no defence against code running in the page. The page states the wrong-PIN count.
"""

import re
import secrets

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from certcenter.text import ascii_digits
from certificates.models import Certificate, SealedKey

DIGITS = "0123456789"
_PIN_FORMAT = re.compile(r"[0-9]{6}")


def pad_layout() -> list[str]:
    """The ten digits in a fresh random order, from the system's CSPRNG."""
    keys = list(DIGITS)
    secrets.SystemRandom().shuffle(keys)
    return keys


class PinEntryForm(forms.Form):
    pin = forms.CharField(
        label=_("인증서 비밀번호 (숫자 6자리)"), max_length=6, min_length=6, strip=False,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*",
                                          "autocomplete": "off", "maxlength": "6"}),
        error_messages={"required": _("인증서 비밀번호 6자리를 입력해 주세요."),
                        "min_length": _("인증서 비밀번호는 숫자 6자리입니다."),
                        "max_length": _("인증서 비밀번호는 숫자 6자리입니다.")},
    )

    error_messages = {
        "pin_format": _("인증서 비밀번호는 숫자 6자리입니다."),
    }

    def __init__(self, *args, certificate: Certificate | None = None, **kwargs):
        self.certificate = certificate
        super().__init__(*args, **kwargs)
        # The wrong-PIN count and the errors describe the field (ids that are absent are ignored).
        # The id is worked out as BoundField does, without making (and caching) the bound field
        # before a subclass has finished setting its field up.
        if self.auto_id and "%s" in str(self.auto_id):
            pin_id = str(self.auto_id) % self.add_prefix("pin")
            self.fields["pin"].widget.attrs["aria-describedby"] = f"{pin_id}_failures {pin_id}_error"

    def clean_pin(self):
        pin = ascii_digits(self.cleaned_data["pin"])
        # Not a PIN at all: refused here, without trying the key (so without counting a try).
        if not _PIN_FORMAT.fullmatch(pin):
            raise ValidationError(self.error_messages["pin_format"], code="pin_format")
        return pin

    @property
    def failures(self) -> int:
        """Wrong PINs in a row so far on this certificate's key (shown: "2회 오류").

        Read when the page is drawn, so it includes a wrong PIN of this very request.
        """
        if self.certificate is None:
            return 0
        return (SealedKey.objects.filter(pk=self.certificate.sealed_key_id)
                .values_list("pin_failures", flat=True).first() or 0)

    @property
    def max_failures(self) -> int:
        return settings.PIN_MAX_FAILURES
