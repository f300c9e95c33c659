"""The wizard's step views, one per step of the registry (``steps.STEPS``); services do the work.

Side effects (calls, SMS, issuance) happen only on POST; every page is guarded (``guard.StepView``).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.services import customer_set_marketing_consent
from certcenter.clock import now
from certcenter.durations import duration_text, remaining
from certcenter.http import client_ip
from certificates import pki, selectors
from certificates.audit import verification_failure_record
from certificates.display import certificate_details, format_serial, mask_subject
from certificates.models import Certificate, ReissueReason
from certificates.services import CertificateExists, CertificateLintFailed, certificate_issue
from certificates.wizard import forms
from certificates.wizard.flow import FINISHED_KEY, flow_clear
from certificates.wizard.guard import StepView, terms_pass_url
from certificates.wizard.steps import (
    ARS_PURPOSE,
    FINAL,
    ISSUE,
    REISSUE,
    SMS_PURPOSE,
    certificate_brand,
    step_indicator,
    steps_for,
)
from verification import services as verification
from verification.models import Challenge
from verification.outcomes import ARS_PAGE, Outcome, outcome_message
from verification.selectors import daily_cap_wait
from verification.session import remember_challenge

# Issuance takes well under a second; a row still pending after this was cut off mid-way.
PENDING_PATIENCE = timedelta(minutes=2)
SAME_PIN_MAX_REFUSALS = 2
logger = logging.getLogger(__name__)


class TermsView(StepView):
    step = "terms"
    template_name = "certificates/wizard/terms.html"

    def get(self, request):
        return self.render_shared_step(context=lambda: {"form": forms.TermsForm()})

    def post(self, request):
        form = forms.TermsForm(request.POST)
        if not form.is_valid():
            return self.render_step(form=form)
        # No session yet: the agreement travels with the next page (see guard.terms_pass_url).
        return redirect(terms_pass_url(marketing_consent=form.cleaned_data["terms_marketing"]))


@method_decorator(sensitive_post_parameters("rrn_front", "rrn_back"), name="dispatch")
class IdentifyView(StepView):
    step = "identify"
    template_name = "certificates/wizard/identify.html"
    accepts_terms_pass = True

    def get(self, request):
        return self.render_shared_step(
            context=lambda: self.identify_context(forms.IdentifyForm(request)))

    def post(self, request):
        form = forms.IdentifyForm(request, request.POST)
        if form.is_valid():
            customer = form.get_customer()
            if self.flow is None:
                self.begin_flow()
            self.flow.set("customer", customer.pk)
            if selectors.certificate_current(customer_id=customer.pk) is not None:
                self.flow.set("kind", REISSUE)
            return self.advance()
        # Keep what was typed, except the secret half of the resident number.
        form.data = form.data.copy()
        form.data["rrn_back"] = ""
        return self.render_identify(form)

    def identify_context(self, form) -> dict:
        return {"form": form, "corporate_refused": form.has_error("__all__", "corporate"),
                "lookup_max_failures": settings.LOOKUP_MAX_FAILURES,
                "lookup_window": duration_text(settings.LOOKUP_FAILURE_WINDOW)}

    def render_identify(self, form):
        return self.render_step(**self.identify_context(form))


class ReissueView(StepView):
    step = "reissue"
    template_name = "certificates/wizard/reissue.html"

    def get(self, request):
        current = self.current_certificate()
        return self.render_reissue(forms.ReissueReasonForm(initial={"reason": _suggested(current)}),
                                   current)

    def post(self, request):
        form = forms.ReissueReasonForm(request.POST)
        if not form.is_valid():
            return self.render_reissue(form, self.current_certificate())
        self.flow.set("reason", form.cleaned_data["reason"])
        return self.advance()

    def current_certificate(self) -> Certificate | None:
        # Read again: staff may have revoked it since the customer identified.
        return selectors.certificate_current(customer_id=self.flow.customer_id)

    def render_reissue(self, form, current):
        if current is None:
            return self.render_step(form=form, current=None)
        return self.render_step(
            form=form, current=current, masked_subject=mask_subject(current.subject),
            current_serial=format_serial(current.serial), current_expired=current.not_after < now(),
        )


def _suggested(current: Certificate | None) -> str | None:
    """The reissue reason the customer's current certificate suggests, if any."""
    if current is None:
        return None
    if current.not_after < now():
        return ReissueReason.EXPIRED
    return {
        Certificate.Status.LOCKED: ReissueReason.PIN,
        Certificate.Status.REISSUE_REQUIRED: ReissueReason.DETAILS_CHANGED,
        # Suspended mostly because the phone was lost or stolen.
        Certificate.Status.SUSPENDED: ReissueReason.LOST,
    }.get(current.status)


class ArsView(StepView):
    step = "ars"
    template_name = "certificates/wizard/ars.html"

    def get(self, request):
        return self.render_ars()

    def post(self, request):
        action = request.POST.get("action")
        if action == "call":
            return self.call()
        if action == "check" and self.flow.get("ars"):
            return self.check()
        return self.stay()

    def call(self):
        customer = self.customer
        try:
            challenge = verification.ars_call_start(
                phone=customer.phone, purpose=ARS_PURPOSE, flow_id=self.flow.id, customer=customer,
            )
        except verification.SendThrottled as exc:
            return self.render_ars(error=exc.message)
        remember_challenge(self.request, challenge)
        self.flow.set("ars", str(challenge.id))
        return self.stay()

    def check(self):
        status = verification.challenge_status(challenge_id=self.flow.get("ars"),
                                               flow_id=self.flow.id)
        if status == Outcome.VERIFIED:
            return self.advance()
        if daily_cap_wait(customer_id=self.flow.customer_id) is not None:
            status = Outcome.DAILY_CAP  # ‘다시 요청’ would be refused too: say why
        return self.render_ars(error=outcome_message(status, audience=ARS_PAGE))

    def render_ars(self, error: str = ""):
        context = {"masked_phone": self.customer.masked_phone, "error": error}
        challenge = self.flow.get("ars") and Challenge.objects.filter(pk=self.flow.get("ars")).first()
        if challenge:
            context.update(verification.ars_call_display(challenge=challenge, flow_id=self.flow.id))
        return self.render_step(**context)


class ExtraView(StepView):
    step = "extra"
    template_name = "certificates/wizard/extra.html"

    def get(self, request):
        return self.render_extra(self.form())

    def post(self, request):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_extra(form)
        return self.advance()

    def form(self, data=None):
        return forms.ExtraVerificationForm(data, method_label=f"{certificate_brand()} 인증")

    def render_extra(self, form):
        return self.render_step(form=form, masked_email=self.customer.masked_email,
                                masked_phone=self.customer.masked_phone)


@method_decorator(sensitive_post_parameters("code", "birth_date"), name="dispatch")
class SmsView(StepView):
    """Two actions on one page: send a code to the phone on record, or check the code typed.

    One form holds both, so whichever button is pressed, what the customer typed stays on the page.
    """

    step = "sms"
    template_name = "certificates/wizard/sms.html"

    def get(self, request):
        typed = self.flow.get("sms_identity") or {}
        return self.render_sms(self.identity_form(initial=typed), forms.SmsCodeForm())

    def post(self, request):
        if request.POST.get("action") == "send":
            return self.send()
        return self.verify()

    def identity_form(self, **kwargs):
        return forms.SmsIdentityForm(customer=self.customer, request=self.request, **kwargs)

    def send(self):
        identity = self.identity_form(data=self.request.POST)
        if identity.is_valid():
            try:
                challenge = verification.sms_send(phone=self.customer.phone, purpose=SMS_PURPOSE,
                                                  flow_id=self.flow.id, customer=self.customer)
            except verification.SendThrottled as exc:
                identity.add_error(None, ValidationError(exc.message, code=exc.reason))
            else:
                self.flow.set("sms", str(challenge.id))
                self.flow.set("sms_identity", identity.typed())
                messages.info(self.request, _("인증번호를 보냈습니다. 휴대폰 문자메시지를 확인해 주세요."))
                return self.stay()
        return self.render_sms(identity, forms.SmsCodeForm())

    def verify(self):
        # What is in the boxes now (or what the code was sent for): shown again, not checked.
        typed = self.flow.get("sms_identity") or {}
        identity = self.identity_form(initial={
            name: self.request.POST.get(name, typed.get(name, "")) for name in forms.SMS_IDENTITY
        })
        code_form = forms.SmsCodeForm(self.request.POST)
        if not self.flow.get("sms"):
            code_form.is_valid()
            code_form.add_error(None, ValidationError(code_form.error_messages["no_code"],
                                                      code="no_code"))
        elif code_form.is_valid():
            result = verification.sms_verify(
                challenge_id=self.flow.get("sms"), code=code_form.cleaned_data["code"],
                flow_id=self.flow.id, client_ip=client_ip(self.request),
            )
            if result.ok:
                return self.advance()
            code_form.add_error("code", ValidationError(result.message, code=result.reason))
        code_form.clear_code()
        return self.render_sms(identity, code_form)

    def render_sms(self, identity_form, code_form):
        context = {
            "identity_form": identity_form, "code_form": code_form,
            "code_validity": duration_text(settings.SMS_CODE_TTL),
            "resend_after": duration_text(settings.SMS_RESEND_COOLDOWN),
        }
        challenge = self.flow.get("sms") and Challenge.objects.filter(pk=self.flow.get("sms")).first()
        if challenge:
            context.update(
                sms_challenge=challenge,
                **remaining("expires", challenge.expires_at),
                **remaining("resend", challenge.created_at
                            + timedelta(seconds=settings.SMS_RESEND_COOLDOWN)),
            )
        return self.render_step(**context)


@method_decorator(sensitive_post_parameters("pin", "pin_confirm"), name="dispatch")
class PinView(StepView):
    step = "pin"
    template_name = "certificates/wizard/pin.html"

    def get(self, request):
        return self.render_step(form=forms.PinForm())

    def post(self, request):
        form = forms.PinForm(request.POST)
        if form.is_valid():
            certificate = self.issue(form)
            if certificate is not None:
                return self.finish(certificate)
            if form.has_error("pin", "same_as_previous") and self.same_pin_refused():
                return redirect("certificates:terms")
        form.data = form.data.copy()
        form.data["pin"] = form.data["pin_confirm"] = ""
        return self.render_step(form=form)

    @property
    def reissue_reason(self) -> str | None:
        return self.flow.get("reason") if self.flow.kind == REISSUE else None

    def issue(self, form) -> Certificate | None:
        """The new certificate, or None with the reason on ``form``."""
        try:
            return certificate_issue(
                customer=self.customer, pin=form.cleaned_data["pin"], flow_id=self.flow.id,
                reissue_reason=self.reissue_reason, client_ip=client_ip(self.request),
            )
        except ValidationError as exc:
            form.add_error("pin", exc)
        except CertificateExists:
            form.add_error(None, ValidationError(form.error_messages["exists"], code="exists"))
        except CertificateLintFailed:
            # Recorded and logged by certificate_issue; a retry would fail the same way.
            form.add_error(None, ValidationError(form.error_messages["lint_failed"],
                                                 code="lint_failed"))
        except Exception:
            # The attempt was closed (see certificate_issue); the customer may simply retry.
            logger.exception("certificate issuance failed")
            form.add_error(None, ValidationError(form.error_messages["unavailable"],
                                                 code="unavailable"))
        return None

    def same_pin_refused(self) -> bool:
        """Count a "same as the old PIN" answer; True once the flow had to end because of it.

        Each such answer tells whether a guess is the old PIN (an oracle costing no wrong-PIN
        count), so a flow gets at most ``SAME_PIN_MAX_REFUSALS`` of them.
        """
        refusals = self.flow.get("same_pin_refusals", 0) + 1
        self.flow.set("same_pin_refusals", refusals)
        self.save_flow()
        if refusals < SAME_PIN_MAX_REFUSALS:
            return False
        verification_failure_record(customer=self.customer, client_ip=client_ip(self.request),
                                    reason="재발급 비밀번호: 이전 비밀번호와 같은 비밀번호 반복",
                                    outcome="reissue_same_pin_repeated")
        flow_clear(self.request)
        messages.error(self.request, _("이전 인증서와 같은 비밀번호를 여러 번 입력하여 발급 절차를 "
                                       "종료했습니다. 처음부터 다시 진행해 주세요."))
        return True

    def finish(self, certificate: Certificate):
        customer_set_marketing_consent(customer=certificate.customer,
                                       consent=bool(self.flow.get("marketing_consent")))
        reason = self.reissue_reason
        flow_clear(self.request)
        self.request.session[FINISHED_KEY] = {
            "certificate": certificate.pk, "at": now().timestamp(),
            # The customer's own words for why, not the RFC 5280 code on the CRL.
            "reason": str(ReissueReason(reason).label) if reason else "",
        }
        return redirect("certificates:done")


def finished_certificate(request) -> Certificate:
    """The certificate this session just got; shown and downloadable for FLOW_IDLE_TIMEOUT only
    (a shared PC must not hand it to the next person)."""
    finished = request.session.get(FINISHED_KEY)
    if not finished or now().timestamp() - finished["at"] > settings.FLOW_IDLE_TIMEOUT:
        request.session.pop(FINISHED_KEY, None)
        raise Http404
    certificate = selectors.certificate_finished(pk=finished["certificate"])
    if certificate is None:
        raise Http404
    return certificate


@method_decorator(never_cache, name="dispatch")
class DoneView(View):
    """발급 완료: the last step of the registry, shown after the flow ended."""

    template_name = "certificates/wizard/done.html"

    def get(self, request):
        try:
            certificate = finished_certificate(request)
        except Http404:
            return redirect("certificates:terms")
        replaced = selectors.certificate_replaced_by(certificate=certificate)
        kind = REISSUE if replaced is not None else ISSUE
        context = {
            **step_indicator(kind=kind, current=FINAL,
                             done=frozenset(step.name for step in steps_for(kind))),
            "flow_kind": kind,
            "certificate": certificate,
            "replaced": replaced,
            "replaced_serial": format_serial(replaced.serial) if replaced else "",
            "reissue_reason": request.session[FINISHED_KEY].get("reason", ""),
            **_issuance_state(certificate),
        }
        if certificate.der:
            context.update(certificate_details(certificate.der, certificate.serial))
        return render(request, self.template_name, context)


def _issuance_state(certificate: Certificate) -> dict:
    overdue = now() - certificate.created_at >= PENDING_PATIENCE
    pending = certificate.status == Certificate.Status.PENDING
    return {"pending": pending and not overdue,
            "failed": certificate.status == Certificate.Status.FAILED or (pending and overdue)}


@never_cache
def certificate_download(request, fmt: str):
    certificate = finished_certificate(request)
    if not certificate.der:
        raise Http404
    der = bytes(certificate.der)
    if fmt == "pem":
        body, content_type = pki.certificate_pem(pki.load_certificate(der)), "application/x-pem-file"
    else:
        body, content_type = der, "application/pkix-cert"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="finance-cert-{certificate.serial}.{fmt}"'
    return response


def cancel(request):
    if request.method == "POST":
        flow_clear(request)
        messages.info(request, _("인증서 발급을 취소했습니다."))
    return redirect("personal")


def timeout(request):
    # Only says so: the guard ends an idle flow, and a GET (a link from anywhere) changes nothing.
    return render(request, "certificates/wizard/timeout.html",
                  {"idle_minutes": settings.FLOW_IDLE_TIMEOUT // 60,
                   "max_age_minutes": settings.FLOW_MAX_AGE // 60}, status=200)
