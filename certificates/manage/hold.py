"""인증서 관리 효력정지 and 효력회복: a customer puts their own certificate on hold, and lifts it.

Suspending asks for no PIN (the phone may have been stolen with the PIN seen over a shoulder):
a confirmation is enough, since a hold only stops use. Lifting the hold gives the key back, so it
asks for more than the cloud connection: an ARS call to the phone on record, then an SMS code.
Their state lives in the session under ``RESUME_SESSION_KEY``, tied to the certificate; every
call, code and status change happens on POST only.
"""

import secrets

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from certcenter.clock import now
from certcenter.durations import duration_text, remaining
from certcenter.http import client_ip
from certificates import selectors
from certificates.cloud.session import cloud_connection_required, cloud_customer
from certificates.lifecycle import TransitionRefused, certificate_resume, certificate_suspend
from certificates.manage import forms
from certificates.manage.views import RoomView
from certificates.models import Certificate, CertificateEvent
from certificates.wizard.forms import SmsCodeForm
from verification import services as verification
from verification.models import Challenge
from verification.outcomes import ARS_PAGE, Outcome, outcome_message
from verification.session import remember_challenge

RESUME_ARS_PURPOSE = "manage.resume.ars"
RESUME_SMS_PURPOSE = "manage.resume.sms"
RESUME_PURPOSE_LABEL = _("금융인증서 효력회복")
RESUME_SESSION_KEY = "certcenter.manage_resume"


class _HoldView(RoomView):
    """The connected customer's current certificate, refused (with why) if not in ``allowed``."""

    allowed: str

    def dispatch(self, request, *args, **kwargs):
        self.customer = cloud_customer(request)
        self.certificate = selectors.certificate_current(customer_id=self.customer.pk)
        if self.certificate is None or self.certificate.status != self.allowed \
                or self.certificate.not_after < now():
            return self.refuse(self.refusal())
        return super().dispatch(request, *args, **kwargs)

    def refusal(self) -> str:
        if self.certificate is not None and self.certificate.not_after < now():
            return "expired"  # past its validity, a hold no longer matters: reissue
        return selectors.certificate_use_problem(self.certificate) or "active"


@method_decorator([never_cache, cloud_connection_required], name="dispatch")
class SuspendView(_HoldView):
    """효력정지: a confirmation, no PIN."""

    allowed = Certificate.Status.ACTIVE
    tab = "suspend"
    title = _("효력정지")

    def get(self, request):
        return self.page("certificates/manage/suspend.html", form=forms.SuspendForm())

    def post(self, request):
        form = forms.SuspendForm(request.POST)
        if not form.is_valid():
            return self.page("certificates/manage/suspend.html", form=form)
        try:
            certificate_suspend(certificate=self.certificate, actor=CertificateEvent.Actor.CUSTOMER,
                                client_ip=client_ip(request), note=str(_("고객 요청 (인증서 관리)")))
        except TransitionRefused:
            return redirect(request.path)  # it changed meanwhile: the page now says how
        messages.success(request, _("금융인증서의 효력을 정지했습니다. 효력정지 중에는 로그인·이체 "
                                    "등 전자서명에 쓸 수 없습니다."))
        return redirect("certificates:manage")


@method_decorator([never_cache, sensitive_post_parameters("code"), cloud_connection_required],
                  name="dispatch")
class ResumeView(_HoldView):
    """효력회복: an ARS call answered, then an SMS code, then the hold is lifted."""

    allowed = Certificate.Status.SUSPENDED
    tab = "resume"
    title = _("효력회복")

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if getattr(self, "certificate", None) is None or \
                self.certificate.status != Certificate.Status.SUSPENDED:
            request.session.pop(RESUME_SESSION_KEY, None)
        return response

    @property
    def state(self) -> dict:
        state = self.request.session.get(RESUME_SESSION_KEY)
        if not state or state.get("certificate") != self.certificate.pk:
            state = {"id": secrets.token_hex(16), "certificate": self.certificate.pk}
            self.request.session[RESUME_SESSION_KEY] = state
        return state

    def save(self, **changes):
        self.request.session[RESUME_SESSION_KEY] = {**self.state, **changes}

    def get(self, request):
        return self.render_step()

    def post(self, request):
        action = request.POST.get("action")
        if action == "call":
            return self.call()
        if action == "check" and self.state.get("ars"):
            return self.check()
        if action == "send" and self.state.get("ars_ok"):
            return self.send()
        if action == "verify" and self.state.get("ars_ok"):
            return self.verify()
        return redirect(request.path)

    def call(self):
        try:
            challenge = verification.ars_call_start(
                phone=self.customer.phone, purpose=RESUME_ARS_PURPOSE, flow_id=self.state["id"],
                customer=self.customer,
            )
        except verification.SendThrottled as exc:
            return self.render_step(error=exc.message)
        remember_challenge(self.request, challenge)
        self.save(ars=str(challenge.pk), ars_ok=False, sms=None)
        return redirect(self.request.path)

    def check(self):
        status = verification.challenge_status(challenge_id=self.state["ars"],
                                               flow_id=self.state["id"])
        if status == Outcome.VERIFIED:
            self.save(ars_ok=True)
            return redirect(self.request.path)
        return self.render_step(error=outcome_message(status, audience=ARS_PAGE))

    def send(self):
        try:
            challenge = verification.sms_send(phone=self.customer.phone, purpose=RESUME_SMS_PURPOSE,
                                              flow_id=self.state["id"], customer=self.customer)
        except verification.SendThrottled as exc:
            return self.render_step(error=exc.message)
        self.save(sms=str(challenge.pk))
        messages.info(self.request, _("인증번호를 보냈습니다. 휴대폰 문자메시지를 확인해 주세요."))
        return redirect(self.request.path)

    def verify(self):
        form = SmsCodeForm(self.request.POST)
        if not self.state.get("sms"):
            form.is_valid()
            form.add_error(None, ValidationError(form.error_messages["no_code"], code="no_code"))
        elif form.is_valid():
            result = verification.sms_verify(
                challenge_id=self.state["sms"], code=form.cleaned_data["code"],
                flow_id=self.state["id"], client_ip=client_ip(self.request),
            )
            if result.ok:
                return self.resume()
            form.add_error("code", ValidationError(result.message, code=result.reason))
        form.clear_code()
        return self.render_step(form=form)

    def resume(self):
        self.request.session.pop(RESUME_SESSION_KEY, None)
        try:
            certificate_resume(certificate=self.certificate, actor=CertificateEvent.Actor.CUSTOMER,
                               client_ip=client_ip(self.request),
                               note=str(_("고객 요청 (ARS·SMS 본인 확인)")))
        except TransitionRefused:
            return redirect(self.request.path)
        messages.success(self.request, _("금융인증서의 효력을 회복했습니다. 다시 전자서명에 쓸 수 "
                                         "있습니다."))
        return redirect("certificates:manage")

    def render_step(self, *, error: str = "", form=None):
        state = self.state
        context = {"error": error, "masked_phone": self.customer.masked_phone,
                   "ars_ok": bool(state.get("ars_ok")), "code_form": form or SmsCodeForm(),
                   "code_validity": duration_text(settings.SMS_CODE_TTL)}
        ars = state.get("ars") and not state.get("ars_ok") \
            and Challenge.objects.filter(pk=state["ars"]).first()
        if ars:
            context.update(verification.ars_call_display(challenge=ars, flow_id=state["id"]))
        sms = state.get("sms") and Challenge.objects.filter(pk=state["sms"]).first()
        if sms:
            context.update(sms_challenge=sms, **remaining("sms_expires", sms.expires_at))
        return self.page("certificates/manage/resume.html", **context)
