"""The simulated handset's JSON API (/phone/api/<phone>/…), for automated tests: what Mailpit's
API is for e-mail, this is for the bank's SMS and ARS calls.

It reads and acts through the same selectors and services as the handset page, so the two cannot
disagree. The same switch governs both: every URL is a 404 unless ``SIMULATED_PHONE_ENABLED``.
When ``SIMULATED_PHONE_TOKEN`` is set, a request must carry ``Authorization: Bearer <token>``
(else 401). The views are CSRF-exempt on purpose: a test client holds no CSRF cookie, and what
protects them is the switch (off in production) and the token, which a browser never sends on
its own, not a cookie a cross-site form could ride on.

Every answer is JSON; errors are ``{"error": "<Korean message>"}`` with a 4xx status.
"""

import hmac
import json
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from accounts.phone import format_phone
from certcenter.http import client_ip
from verification import selectors, services
from verification.forms import KeyInForm
from verification.models import HandsetMessage
from verification.outcomes import Outcome

MESSAGES_DEFAULT_LIMIT = 50
MESSAGES_MAX_LIMIT = 200
# The digits an ARS call asks for (the two the web page shows).
ARS_DIGITS = 2


def error(message: str, status: int, **headers) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _token_ok(request: HttpRequest) -> bool:
    token = settings.SIMULATED_PHONE_TOKEN
    if not token:
        return True
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    # Constant-time: response time does not tell how much of a guessed token was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def handset_api(*methods: str):
    """The API's guard: off → 404, token missing or wrong → 401, other method → 405; all JSON."""

    def decorate(view):
        @csrf_exempt
        @never_cache
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not settings.SIMULATED_PHONE_ENABLED:
                return error(_("찾을 수 없습니다."), 404)
            if not _token_ok(request):
                return error(_("모의 휴대폰 API 토큰이 없거나 올바르지 않습니다."), 401,
                             WWW_Authenticate='Bearer realm="handset"')
            if request.method not in methods:
                return error(_("허용되지 않은 요청 방식입니다."), 405, Allow=", ".join(methods))
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _json_body(request: HttpRequest) -> dict | None:
    """The request's JSON object ({} when there is no body); None when it is not one."""
    if not request.body.strip():
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def call_json(call: HandsetMessage | None) -> dict | None:
    if call is None:
        return None
    return {
        "id": str(call.challenge_id),
        "state": "ringing",
        "caller": _("%(bank)s ARS") % {"bank": settings.BANK_NAME},
        "prompt": call.body_or(),
        "digits_expected": ARS_DIGITS,
    }


@handset_api("DELETE")
def phone_view(request: HttpRequest, phone: str) -> JsonResponse:
    """Empty the phone (its messages and call log) and end its ringing call."""
    deleted = services.handset_clear(phone=phone)
    return JsonResponse({"phone": format_phone(phone), "deleted": deleted})


@handset_api("GET")
def messages_view(request: HttpRequest, phone: str) -> JsonResponse:
    """The phone's SMS, newest first, each with the code it carries and what the code is for."""
    raw_limit = request.GET.get("limit", str(MESSAGES_DEFAULT_LIMIT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MESSAGES_MAX_LIMIT:
        return error(
            _("limit는 1에서 %(max)d 사이의 숫자여야 합니다.") % {"max": MESSAGES_MAX_LIMIT}, 400
        )
    inbox = [(m, m.body_or()) for m in selectors.handset_inbox(phone=phone, limit=int(raw_limit))]
    challenges = selectors.handset_message_challenges(phone=phone, messages=inbox)
    return JsonResponse({
        "phone": format_phone(phone),
        "messages": [
            {
                "id": str(message.pk),
                "sent_at": message.created_at.isoformat(),
                "body": body,
                "code": selectors.sms_code_in(body),
                "purpose": challenges[message.pk].purpose if message.pk in challenges else None,
            }
            for message, body in inbox
        ],
    })


@handset_api("GET")
def call_view(request: HttpRequest, phone: str) -> JsonResponse:
    return JsonResponse({"call": call_json(selectors.handset_ringing_call(phone=phone))})


_NO_CALL = gettext_lazy("전화 수신 중인 ARS 통화가 없습니다.")
_REPORTED = gettext_lazy("본인이 요청하지 않은 요청으로 신고했습니다. 안내 문자를 확인해 주세요.")


@handset_api("POST")
def call_keys_view(request: HttpRequest, phone: str) -> JsonResponse:
    """Key digits into the ringing call: {"digits": "12"}. "9" alone reports it (본인이 요청하지 않음)."""
    data = _json_body(request)
    if data is None or not isinstance(data.get("digits"), str):
        return error(_('요청 본문은 {"digits": "12"} 형식의 JSON이어야 합니다.'), 400)
    ringing = selectors.handset_ringing_call(phone=phone)
    if ringing is None:
        return error(str(_NO_CALL), 404)
    if data["digits"].strip() == services.FRAUD_REPORT_KEY:
        try:
            report, _created = services.fraud_report_call(
                phone=phone, challenge_id=ringing.challenge_id, client_ip=client_ip(request)
            )
        except services.FraudReportNotFound:  # the call ended a moment ago
            return error(str(_NO_CALL), 404)
        return JsonResponse({"result": Outcome.REPORTED, "message": str(_REPORTED),
                             "report_id": report.pk, "call": None})
    form = KeyInForm({"digits": data["digits"]})
    if not form.is_valid():
        return error(form.errors["digits"][0], 400)
    result = services.ars_key_in(
        challenge_id=ringing.challenge_id, digits=form.cleaned_data["digits"],
        client_ip=client_ip(request),
    )
    return JsonResponse({
        "result": "accepted" if result.ok else str(result.reason),
        "message": result.message,
        "attempts_left": result.attempts_left,
        "call": call_json(selectors.handset_ringing_call(phone=phone)),
    })


@handset_api("POST")
def call_hang_up_view(request: HttpRequest, phone: str) -> JsonResponse:
    """End the ringing call, if any (a call no longer ringing is no error: it is over either way)."""
    ringing = selectors.handset_ringing_call(phone=phone)
    if ringing is not None:
        services.ars_hang_up(challenge_id=ringing.challenge_id)
    return JsonResponse({"hung_up": ringing is not None, "call": None})


@handset_api("POST")
def fraud_view(request: HttpRequest, phone: str) -> JsonResponse:
    """본인이 요청하지 않음: {"message_id": "…"} for an SMS, else the ringing call."""
    data = _json_body(request)
    if data is None:
        return error(_('요청 본문은 {"message_id": "…"} 형식의 JSON이거나 비어 있어야 합니다.'), 400)
    message_id = data.get("message_id")
    try:
        if message_id is not None:
            if not isinstance(message_id, (str, int)) or not str(message_id).isdigit():
                return error(_("message_id가 올바르지 않습니다."), 400)
            report, created = services.fraud_report_sms(
                phone=phone, message_id=message_id, client_ip=client_ip(request)
            )
        else:
            report, created = services.fraud_report_call(phone=phone, client_ip=client_ip(request))
    except services.FraudReportNotFound:
        if message_id is not None:
            return error(_("이 휴대폰에 그런 문자가 없습니다."), 404)
        return error(str(_NO_CALL), 404)
    return JsonResponse({
        "reported": True,
        "created": created,
        "report_id": report.pk,
        "source": report.source,
        "challenge_id": str(report.challenge_id) if report.challenge_id else None,
        "blocked_until": report.blocked_until.isoformat(),
        "message": str(_REPORTED),
    })
