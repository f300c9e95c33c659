"""클라우드 연결, 연결 해제 and 이용 기기: thin views over the cloud session, devices and code request.

State changes only on POST (the one exception is 자동 연결 itself: a browser holding an active
device's cookie is connected on whichever page it opens, as the real service does).
"""

import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.masking import mask_name
from accounts.models import Customer
from certcenter.durations import duration_text, remaining
from certcenter.http import client_ip
from certificates.cloud.devices import cloud_devices_active
from certificates.cloud.forms import ConnectCodeForm, ConnectIdentityForm
from certificates.cloud.pending import PendingCode
from certificates.cloud.services import ConnectThrottled, cloud_code_request
from certificates.cloud.session import (
    cloud_browser_device,
    cloud_connect_browser,
    cloud_connection_required,
    cloud_cookie_settled,
    cloud_customer,
    cloud_device_disconnect,
    cloud_disconnect_browser,
    cloud_session_device,
)
from certificates.wizard.forms import SMS_IDENTITY
from verification.outcomes import SMS, Outcome, outcome_message

# The same words whether or not the details matched anyone (see certificates.cloud.services).
CODE_REQUESTED = _("입력하신 정보가 등록된 정보와 일치하면 인증번호가 발송됩니다. 휴대폰 문자메시지를 "
                   "확인해 주세요.")
# A primary key: ASCII digits only, and few enough to fit a 64-bit column.
_ID = re.compile(r"[0-9]{1,18}")


def default_next() -> str:
    """After connecting: 인증서 관리."""
    return reverse("certificates:manage")


def next_url(request) -> str:
    """``?next=`` if it is a path on this site (never another host, nor a scheme), else the default."""
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None,
                                                  require_https=request.is_secure()):
        return target
    return default_next()


@method_decorator([never_cache, cloud_cookie_settled,
                   sensitive_post_parameters("name", "birth_date", "phone", "code")],
                  name="dispatch")
class ConnectView(View):
    """Two actions on one form, as in the wizard's SMS step: ask for a code, or check it."""

    template_name = "certificates/cloud/connect.html"

    def get(self, request):
        pending = PendingCode(request)
        return self.render_connect(ConnectIdentityForm(initial=pending.typed, request=request),
                                   ConnectCodeForm(), pending)

    def post(self, request):
        if request.POST.get("action") == "send":
            return self.send()
        return self.verify()

    def send(self):
        request = self.request
        identity = ConnectIdentityForm(data=request.POST, request=request)
        pending = PendingCode(request)
        if identity.is_valid():
            typed = identity.cleaned_data
            wait = pending.resend_wait(phone=typed["phone"])
            if wait:
                identity.add_error(None, ValidationError(
                    outcome_message(Outcome.COOLDOWN, audience=SMS, seconds=wait), code="cooldown"))
            else:
                try:
                    sent = cloud_code_request(
                        name=typed["name"], birth_date=typed["birth_date"], phone=typed["phone"],
                        flow_id=pending.flow_id, client_ip=client_ip(request),
                    )
                except ConnectThrottled:
                    identity.add_error(None, ValidationError(
                        identity.error_messages["throttled"], code="throttled",
                        params={"window": duration_text(settings.LOOKUP_FAILURE_WINDOW)}))
                else:
                    pending.record(challenge_id=sent.challenge_id, customer_id=sent.customer_id,
                                   phone=typed["phone"], typed=identity.typed())
                    messages.info(request, CODE_REQUESTED)
                    return redirect(request.get_full_path())
        return self.render_connect(identity, ConnectCodeForm(), pending)

    def verify(self):
        request = self.request
        pending = PendingCode(request)
        # What is in the boxes now (or what the code was asked for): shown again, not checked.
        identity = ConnectIdentityForm(request=request, initial={
            name: request.POST.get(name, pending.typed.get(name, "")) for name in SMS_IDENTITY
        })
        code_form = ConnectCodeForm(request.POST)
        if not pending.exists:
            code_form.is_valid()
            code_form.add_error(None, ValidationError(code_form.error_messages["no_code"],
                                                      code="no_code"))
        elif code_form.is_valid():
            entry = pending.check(code=code_form.cleaned_data["code"], client_ip=client_ip(request))
            if entry.ok:
                pending.clear()
                cloud_connect_browser(request, customer=entry.customer,
                                      remember=code_form.cleaned_data["remember"])
                # No flash message: the page the customer came for shows who is connected, and
                # a message left unread would surface on some later page.
                return redirect(next_url(request))
            code_form.add_error("code", ValidationError(entry.message, code=entry.reason))
        code_form.clear_code()
        return self.render_connect(identity, code_form, pending)

    def render_connect(self, identity_form, code_form, pending: PendingCode):
        customer = cloud_customer(self.request)
        context = {
            "identity_form": identity_form, "code_form": code_form,
            "connected": customer is not None,
            "connected_name": mask_name(customer.name) if customer else "",
            "next_url": next_url(self.request),
            "code_validity": duration_text(settings.SMS_CODE_TTL),
            "resend_after": duration_text(settings.SMS_RESEND_COOLDOWN),
            "code_requested": pending.exists,
        }
        if pending.exists:
            context.update(**remaining("expires", pending.expires_at),
                           **remaining("resend", pending.resend_at))
        return render(self.request, self.template_name, context)


@require_POST
@cloud_cookie_settled
def disconnect(request):
    """클라우드 연결 해제: this session's connection and this browser's 자동 연결."""
    if cloud_disconnect_browser(request):
        messages.success(request, _("클라우드 연결을 해제했습니다."))
    else:
        messages.info(request, _("이 브라우저는 클라우드에 연결되어 있지 않습니다."))
    return redirect("certificates:cloud_connect")


@never_cache
@require_http_methods(["GET", "POST"])
@cloud_connection_required
def devices(request):
    """이용 기기: the customer's browsers registered for 자동 연결; disconnect one or all."""
    customer = cloud_customer(request)
    if request.method == "POST":
        return _devices_post(request, customer)
    held = cloud_browser_device(request)
    current = cloud_session_device(request) or (held.pk if held else None)
    listed = cloud_devices_active(customer_id=customer.pk).order_by("-last_used_at", "-pk")
    return render(request, "certificates/cloud/devices.html", {
        "devices": listed, "current_device": current,
        "connected_name": mask_name(customer.name),
        "auto_connect_days": settings.CLOUD_AUTO_CONNECT_DAYS,
    })


def _devices_post(request, customer: Customer):
    action = request.POST.get("action")
    if action == "disconnect_all":
        device = None
    elif action == "disconnect":
        device_id = request.POST.get("device", "")
        if not _ID.fullmatch(device_id):
            raise Http404
        # Another customer's device, or one already revoked: not found, whoever asks.
        device = get_object_or_404(cloud_devices_active(customer_id=customer.pk), pk=int(device_id))
    else:
        return redirect("certificates:cloud_devices")
    if cloud_device_disconnect(request, customer=customer, device=device):
        messages.success(request, _("이 브라우저의 클라우드 연결을 해제했습니다.")
                         if device else _("모든 이용 기기의 연결을 해제했습니다."))
        return redirect("certificates:cloud_connect")
    messages.success(request, _("선택한 기기의 연결을 해제했습니다."))
    return redirect("certificates:cloud_devices")
