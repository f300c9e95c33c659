"""What a challenge, an entry or a request for a new code came to, and what the customer is told.

``Outcome`` is a ``StrEnum``: its members equal the strings they replace ("verified" …), so code
and templates comparing with those strings, JSON answers and ``ValidationError`` codes see no
difference.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from verification.models import Challenge


class Outcome(StrEnum):
    # A challenge's status (the values of Challenge.Status) ...
    PENDING = "pending"
    VERIFIED = "verified"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"
    CANCELLED = "cancelled"
    REPORTED = "reported"
    # ... the status of a challenge that does not exist or belongs to another flow ...
    UNKNOWN = "unknown"
    # ... what one entry came to besides the statuses above ...
    WRONG = "wrong"
    NOT_FOUND = "not_found"
    # ... why a new code or call must wait (SendThrottled) ...
    COOLDOWN = "cooldown"
    CAP = "cap"
    # ... and the customer's wrong entries of the day, across all challenges, reached
    # VERIFICATION_DAILY_MAX_FAILURES: no entry is checked and no code sent until the next day.
    DAILY_CAP = "daily_cap"


SMS = Challenge.Channel.SMS
ARS = Challenge.Channel.ARS
# The wizard's ARS page, reading a call's status to the customer in front of the screen: it points
# at that page's own ‘다시 요청’ button, while the ARS wording speaks to the caller on the phone.
ARS_PAGE = "ars_page"

# One wording whichever channel the wrong entries were made on: the cap counts them all.
_DAILY_CAP = _(
    "오늘 인증번호를 잘못 입력한 횟수가 하루 한도를 넘어 본인 인증을 진행할 수 없습니다. "
    "내일 다시 시도하시거나 고객센터로 문의해 주세요."
)

# The customer reported the call or code as not their own request: the flow ends (FraudReport).
_REPORTED = _(
    "본인이 요청하지 않은 인증 요청으로 신고되어 진행을 중단했습니다. 안전을 위해 금융인증서 "
    "발급·재발급이 일시 제한됩니다."
)

# Placeholders: %(left)d attempts left, %(seconds)d and %(minutes)d (rounded up) until a retry.
MESSAGES = {
    SMS: {
        Outcome.VERIFIED: _("인증되었습니다."),
        Outcome.WRONG: _("인증번호가 일치하지 않습니다. (남은 횟수 %(left)d회)"),
        Outcome.EXPIRED: _("인증 시간이 지났습니다. 인증번호를 다시 요청해 주세요."),
        Outcome.EXHAUSTED: _("입력 횟수를 초과했습니다. 인증번호를 다시 요청해 주세요."),
        Outcome.CANCELLED: _(
            "더 이상 사용할 수 없는 인증번호입니다. 인증번호를 다시 요청해 주세요."
        ),
        Outcome.NOT_FOUND: _("인증 요청을 찾을 수 없습니다. 인증번호를 다시 요청해 주세요."),
        Outcome.COOLDOWN: _("인증번호는 %(seconds)d초 후에 다시 요청할 수 있습니다."),
        Outcome.CAP: _(
            "인증번호 요청 횟수를 초과했습니다. %(minutes)d분 후에 다시 요청해 주세요."
        ),
        Outcome.DAILY_CAP: _DAILY_CAP,
        Outcome.REPORTED: _REPORTED,
    },
    ARS: {
        Outcome.VERIFIED: _("전화 인증이 완료되었습니다."),
        Outcome.WRONG: _("입력한 숫자가 일치하지 않습니다. (남은 횟수 %(left)d회)"),
        Outcome.EXPIRED: _("전화 인증 시간이 지났습니다. 전화 인증을 다시 요청해 주세요."),
        Outcome.EXHAUSTED: _(
            "숫자 입력 횟수를 초과하여 통화가 종료되었습니다. 전화 인증을 다시 요청해 주세요."
        ),
        Outcome.CANCELLED: _("종료된 전화 인증입니다. 전화 인증을 다시 요청해 주세요."),
        Outcome.NOT_FOUND: _(
            "전화 인증 요청을 찾을 수 없습니다. 전화 인증을 다시 요청해 주세요."
        ),
        Outcome.COOLDOWN: _("전화 인증은 %(seconds)d초 후에 다시 요청할 수 있습니다."),
        Outcome.CAP: _(
            "전화 인증 요청 횟수를 초과했습니다. %(minutes)d분 후에 다시 요청해 주세요."
        ),
        Outcome.DAILY_CAP: _DAILY_CAP,
        Outcome.REPORTED: _REPORTED,
    },
    ARS_PAGE: {
        Outcome.PENDING: _(
            "아직 전화 인증이 완료되지 않았습니다. 걸려온 전화를 받아 화면의 숫자 두 자리를 입력해 주세요."
        ),
        Outcome.EXPIRED: _(
            "전화 인증 시간이 지났습니다. ‘다시 요청’을 눌러 전화를 다시 받아 주세요."
        ),
        Outcome.EXHAUSTED: _(
            "숫자를 여러 번 잘못 입력하여 통화가 종료되었습니다. ‘다시 요청’을 눌러 주세요."
        ),
        Outcome.CANCELLED: _("통화가 종료되었습니다. ‘다시 요청’을 눌러 전화를 다시 받아 주세요."),
        Outcome.UNKNOWN: _("전화 인증을 먼저 요청해 주세요."),
        Outcome.DAILY_CAP: _DAILY_CAP,
        Outcome.REPORTED: _REPORTED,
    },
}

# For the audit trail: stored as written, whatever language the request was in.
AUDIT_LABELS = {
    Outcome.WRONG: "번호 불일치",
    Outcome.EXPIRED: "시간 초과",
    Outcome.EXHAUSTED: "입력 횟수 초과",
    Outcome.CANCELLED: "취소된 요청에 입력",
    Outcome.DAILY_CAP: "하루 입력 오류 한도 초과",
    Outcome.REPORTED: "본인 요청 아님 신고된 요청에 입력",
}


def outcome_message(
    outcome: Outcome | str, *, audience: str, attempts_left: int = 0, seconds: int = 0
) -> str:
    """The Korean message for ``outcome`` as ``audience`` (SMS, ARS or ARS_PAGE) reads it.

    KeyError for an outcome that audience is never told about (e.g. VERIFIED on the ARS page,
    which moves on instead).
    """
    text = str(MESSAGES[audience][Outcome(outcome)])
    return text % {"left": attempts_left, "seconds": seconds, "minutes": -(-seconds // 60)}
