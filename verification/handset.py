"""The simulated handset (/phone/): a tester's phone showing SMS and answering ARS calls.

Every view here is a 404 unless ``SIMULATED_PHONE_ENABLED`` is on, checked on each request.
"""

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.phone import format_phone
from certcenter.clock import now
from certcenter.durations import countdown_text, seconds_until
from certcenter.http import client_ip, setting_or_404
from verification import faults, selectors, services
from verification.forms import ChannelFaultForm, KeyInForm
from verification.models import Challenge, FraudReport, HandsetMessage

handset_enabled = setting_or_404("SIMULATED_PHONE_ENABLED")


def _body(message: HandsetMessage) -> str:
    return message.body_or(_("(표시할 수 없는 메시지)"))


def _call_outcome(call: HandsetMessage, at) -> str:
    challenge = call.challenge
    if challenge is None:
        return "-"
    if challenge.call_result and challenge.call_is_over(at):
        return challenge.get_call_result_display()  # the network ended it (simulator fault)
    if challenge.status == Challenge.Status.PENDING and challenge.is_expired(at):
        return Challenge.Status.EXPIRED.label
    return challenge.get_status_display()


@handset_enabled
@never_cache
@require_GET
def phone_list(request: HttpRequest) -> HttpResponse:
    return render(request, "verification/handset_list.html", {"phones": selectors.handset_phones()})


def _render_phone(request: HttpRequest, phone: str, form: KeyInForm | None = None, status=200):
    ringing = selectors.handset_ringing_call(phone=phone)
    at = now()
    remaining = 0
    if ringing is not None:
        remaining = seconds_until(ringing.challenge.expires_at, at=at)
    calls = [
        (call, _call_outcome(call, at)) for call in selectors.handset_call_log(phone=phone)
    ]
    inbox = [(message, _body(message)) for message in selectors.handset_inbox(phone=phone)]
    context = {
        "phone": phone,
        "phone_display": format_phone(phone),
        "owner": selectors.handset_owner_label(phone=phone),
        "inbox": inbox,
        "calls": calls,
        "ringing": ringing,
        "ringing_prompt": _body(ringing) if ringing else "",
        "remaining": remaining,
        "remaining_display": countdown_text(remaining),
        "caller": _("%(bank)s ARS") % {"bank": settings.BANK_NAME},
        "form": form or KeyInForm(),
        "version": selectors.handset_version(phone=phone, ringing=ringing),
        **_fault_context(phone),  # simulator controls (block at the end of this module)
    }
    context.update(_fraud_context(inbox))
    return render(request, "verification/handset_phone.html", context, status=status)


@handset_enabled
@never_cache
@require_GET
def phone_detail(request: HttpRequest, phone: str) -> HttpResponse:
    return _render_phone(request, phone)


@handset_enabled
@never_cache
@require_GET
def phone_version(request: HttpRequest, phone: str) -> JsonResponse:
    return JsonResponse({"version": selectors.handset_version(phone=phone)})


def _call_or_404(phone: str, challenge_id: UUID) -> HandsetMessage:
    call = HandsetMessage.objects.filter(
        phone=phone, kind=HandsetMessage.Kind.CALL, challenge_id=challenge_id
    ).first()
    if call is None:
        raise Http404
    return call


@handset_enabled
@never_cache
@require_POST
def call_key_in(request: HttpRequest, phone: str, challenge_id: UUID) -> HttpResponse:
    _call_or_404(phone, challenge_id)
    if request.POST.get("digits", "").strip() == services.FRAUD_REPORT_KEY:
        # "본인이 요청하지 않은 경우 9번": as on a bank's real ARS.
        return _report_call(request, phone, challenge_id)
    form = KeyInForm(request.POST)
    if not form.is_valid():
        # Shown next to the field; no attempt is counted for a malformed entry.
        return _render_phone(request, phone, form=form, status=400)
    result = services.ars_key_in(
        challenge_id=challenge_id, digits=form.cleaned_data["digits"], client_ip=client_ip(request)
    )
    if result.ok:
        messages.success(request, result.message)
    else:
        messages.error(request, result.message)
    return redirect("verification:handset_phone", phone=phone)


@handset_enabled
@never_cache
@require_POST
def call_hang_up(request: HttpRequest, phone: str, challenge_id: UUID) -> HttpResponse:
    _call_or_404(phone, challenge_id)
    services.ars_hang_up(challenge_id=challenge_id)
    messages.info(request, _("통화를 종료했습니다."))
    return redirect("verification:handset_phone", phone=phone)


# --- simulator controls: channel faults set from the handset (issue 12, DESIGN §10) --------------
# Only with both SIMULATED_PHONE_ENABLED and SIMULATOR_CONTROLS_ENABLED; otherwise a 404.


def _fault_context(phone: str) -> dict:
    if not settings.SIMULATOR_CONTROLS_ENABLED:
        return {"fault_controls": False}
    return {"fault_controls": True, "faults": faults.faults_list(phone=phone),
            "fault_form": ChannelFaultForm()}


faults_enabled = setting_or_404("SIMULATOR_CONTROLS_ENABLED")


@handset_enabled
@faults_enabled
@never_cache
@require_POST
def phone_fault_set(request: HttpRequest, phone: str) -> HttpResponse:
    form = ChannelFaultForm(request.POST)
    if not form.is_valid():
        # Back to the phone with the reason on top (the page keeps no fault form state).
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("verification:handset_phone", phone=phone)
    fault = faults.fault_set(kind=form.cleaned_data["kind"], phone=phone,
                             seconds=form.cleaned_data["seconds"])
    messages.info(request, _("이 휴대폰에 장애를 설정했습니다: %(kind)s")
                  % {"kind": fault.get_kind_display()})
    return redirect("verification:handset_phone", phone=phone)


@handset_enabled
@faults_enabled
@never_cache
@require_POST
def phone_fault_clear(request: HttpRequest, phone: str) -> HttpResponse:
    cleared = faults.fault_clear(phone=phone)
    messages.info(request, _("이 휴대폰의 장애 %(count)d건을 해제했습니다.") % {"count": cleared})
    return redirect("verification:handset_phone", phone=phone)
# --- fraud report ("본인이 요청하지 않음") on a ringing call or an SMS --------------------------------


def _fraud_context(inbox: list[tuple[HandsetMessage, str]]) -> dict:
    """Which SMS offer 신고 (those that say "요청하지 않았다면 신고"), and which were reported."""
    ids = [message.pk for message, body in inbox if services.FRAUD_REPORT_HINT in body]
    reported = set(
        FraudReport.objects.filter(message_id__in=ids).values_list("message_id", flat=True)
    ) if ids else set()
    return {
        "reportable_ids": set(ids) - reported,
        "reported_ids": reported,
        "fraud_key": services.FRAUD_REPORT_KEY,
    }


def _reported(request: HttpRequest, phone: str) -> HttpResponse:
    messages.warning(request, _(
        "본인이 요청하지 않은 요청으로 신고했습니다. 진행 중이던 인증은 중단되었고, 안내 문자를 "
        "보내 드렸습니다."
    ))
    return redirect("verification:handset_phone", phone=phone)


@handset_enabled
@never_cache
@require_POST
def call_fraud(request: HttpRequest, phone: str, challenge_id: UUID) -> HttpResponse:
    _call_or_404(phone, challenge_id)
    return _report_call(request, phone, challenge_id)


def _report_call(request: HttpRequest, phone: str, challenge_id: UUID) -> HttpResponse:
    try:
        services.fraud_report_call(phone=phone, challenge_id=challenge_id,
                                   client_ip=client_ip(request))
    except services.FraudReportNotFound:
        messages.error(request, _("이미 종료된 통화입니다."))
        return redirect("verification:handset_phone", phone=phone)
    return _reported(request, phone)


@handset_enabled
@never_cache
@require_POST
def sms_fraud(request: HttpRequest, phone: str, message_id: int) -> HttpResponse:
    try:
        services.fraud_report_sms(phone=phone, message_id=message_id, client_ip=client_ip(request))
    except services.FraudReportNotFound:
        raise Http404 from None
    return _reported(request, phone)
