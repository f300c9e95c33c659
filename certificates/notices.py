"""The SMS a customer gets after a certificate changes in their name: what, when, and whom to call.

A notice is what stops a fraud that got past identification: a customer who did not ask for this
calls the bank at once ("본인이 아닌 경우 …"). Texts name no serial, PIN or personal data.
"""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

ISSUED, REISSUED, REVOKED = "issued", "reissued", "revoked"

_WHAT = {
    ISSUED: lambda: _("금융인증서가 발급되었습니다."),
    REISSUED: lambda: _("금융인증서가 재발급되었고 이전 인증서는 폐기되었습니다."),
    REVOKED: lambda: _("금융인증서가 폐기되었습니다."),
}

PIN_CHANGED = "pin_changed"
_WHAT[PIN_CHANGED] = lambda: _("금융인증서 비밀번호가 변경되었습니다.")

SUSPENDED, RESUMED = "suspended", "resumed"
_WHAT[SUSPENDED] = lambda: _("금융인증서 효력이 정지되었습니다.")
_WHAT[RESUMED] = lambda: _("금융인증서 효력이 회복되었습니다.")


def notice_text(*, what: str, at: datetime) -> str:
    return _(
        "[%(bank)s] %(when)s %(what)s 본인이 아닌 경우 즉시 고객센터(%(call_center)s)로 "
        "신고해 주세요."
    ) % {
        "bank": settings.BANK_NAME,
        "when": timezone.localtime(at).strftime("%Y.%m.%d %H:%M"),
        "what": _WHAT[what](),
        "call_center": settings.BANK_CALL_CENTER,
    }
