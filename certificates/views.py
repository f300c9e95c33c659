"""The 금융인증서 issuance wizard and the CA's public files. Views are thin: services do the work.

Each step view is guarded: a request for any step but the flow's current one is redirected there,
so steps cannot be skipped or replayed; side effects (calls, SMS, issuance) happen only on POST.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.models import Customer
from accounts.services import (
    CustomerNotFound,
    LookupThrottled,
    customer_lookup,
    customer_set_marketing_consent,
)
from certcenter.clock import now
from certcenter.http import client_ip
from certificates import forms, pki
from certificates.ca import load_issuing_ca
from certificates.display import format_serial, mask_subject
from certificates.flow import (
    FINISHED_KEY,
    REISSUE,
    STEPS,
    Flow,
    certificate_brand,
    flow_clear,
    flow_load,
    flow_save,
    step_title,
)
from certificates.models import Certificate, CertificateEvent, ReissueReason
from certificates.services import (
    CertificateExists,
    certificate_issue,
    crl_current,
    event_record,
)
from verification import services as verification
from verification.models import Challenge
from verification.session import remember_challenge

# Issuance takes well under a second; a row still pending after this was cut off mid-way.
PENDING_PATIENCE = timedelta(minutes=2)
logger = logging.getLogger(__name__)
IDENTITY_STEPS = frozenset({"identify", "ars", "sms"})
ARS_PURPOSE = "issuance.ars"
SMS_PURPOSE = "issuance.sms"


def step_url(step: str) -> str:
    return reverse(f"certificates:{step}")


@method_decorator(never_cache, name="dispatch")
class WizardStepView(View):
    """One step of the wizard: guard, load the customer, render with the step indicator."""

    step: str
    template_name: str
    flow: Flow | None = None

    def dispatch(self, request, *args, **kwargs):
        flow = flow_load(request)
        if flow is not None and flow.is_idle():
            flow_clear(request)
            return redirect("certificates:timeout")
        if flow is None and self.step != "terms":
            return redirect("certificates:terms")
        if flow is not None:
            if flow.current_step != self.step:
                return redirect(step_url(flow.current_step))
            flow.touch()
            flow_save(request, flow)
        self.flow = flow
        return super().dispatch(request, *args, **kwargs)

    @cached_property  # one query per request, however many times a step asks
    def customer(self) -> Customer:
        return get_object_or_404(Customer, pk=self.flow.customer_id)

    def advance(self):
        self.flow.complete(self.step)
        if self.step in IDENTITY_STEPS:
            # Identity was just proven further: a new session key, so a planted or observed
            # session id is worth nothing from here on.
            self.request.session.cycle_key()
        flow_save(self.request, self.flow)
        return redirect(step_url(self.flow.current_step))

    def render_step(self, **context):
        flow = self.flow or Flow.new()
        context.update(
            step=self.step,
            step_title=step_title(self.step),
            step_number=flow.step_number(self.step),
            total_steps=flow.total_steps,
            steps=[(s, step_title(s), s in flow.data["done"]) for s in flow.steps],
            flow_kind=flow.kind,
            idle_seconds=settings.FLOW_IDLE_TIMEOUT if self.flow else None,
            idle_minutes=settings.FLOW_IDLE_TIMEOUT // 60,
            certificate_brand=certificate_brand(),
        )
        return render(self.request, self.template_name, context)


class TermsView(WizardStepView):
    step = "terms"
    template_name = "certificates/wizard/terms.html"

    def get(self, request):
        return self.render_step(form=forms.TermsForm())

    def post(self, request):
        form = forms.TermsForm(request.POST)
        if not form.is_valid():
            return self.render_step(form=form)
        self.flow = Flow.new()
        self.flow.set("marketing_consent", form.cleaned_data["terms_marketing"])
        return self.advance()


@method_decorator(sensitive_post_parameters("rrn_front", "rrn_back"), name="dispatch")
class IdentifyView(WizardStepView):
    step = "identify"
    template_name = "certificates/wizard/identify.html"

    def get(self, request):
        return self.render_step(form=forms.IdentifyForm())

    def post(self, request):
        form = forms.IdentifyForm(request.POST)
        if form.is_valid():
            try:
                customer = customer_lookup(
                    user_id=form.cleaned_data["user_id"],
                    resident_number=form.cleaned_data["rrn_front"] + form.cleaned_data["rrn_back"],
                    client_ip=client_ip(request),
                )
            except CustomerNotFound:
                form.add_error(None, ValidationError(form.error_messages["not_found"],
                                                     code="not_found"))
                self._record_failure(form.cleaned_data["user_id"],
                                     "본인 확인 실패: 아이디·주민등록번호 불일치")
            except LookupThrottled:
                form.add_error(None, ValidationError(form.error_messages["throttled"],
                                                     code="throttled"))
                self._record_failure(form.cleaned_data["user_id"], "본인 확인 제한: 실패 횟수 초과")
            else:
                if customer.kind == Customer.Kind.CORPORATE:
                    form.add_error(None, ValidationError(form.error_messages["corporate"],
                                                         code="corporate"))
                else:
                    return self._identified(customer)
        # Keep what was typed, except the secret half of the resident number.
        form.data = form.data.copy()
        form.data["rrn_back"] = ""
        return self.render_step(form=form, corporate_refused=form.has_error(NON_FIELD_ERRORS,
                                                                            "corporate"))

    def _record_failure(self, user_id: str, reason: str) -> None:
        # The customer sees one neutral message; staff see the attempt on the customer's trail.
        customer = Customer.objects.filter(user_id=user_id.strip().lower()).first()
        if customer is not None:
            event_record(
                kind=CertificateEvent.Kind.VERIFICATION_FAILED,
                actor=CertificateEvent.Actor.CUSTOMER, customer=customer,
                client_ip=client_ip(self.request), reason=reason,
            )

    def _identified(self, customer: Customer):
        self.flow.set("customer", customer.pk)
        current = Certificate.objects.current().filter(customer=customer).first()
        if current is not None:
            self.flow.set("kind", REISSUE)
            self.flow.set("current_certificate", current.pk)
        return self.advance()


class ReissueView(WizardStepView):
    step = "reissue"
    template_name = "certificates/wizard/reissue.html"

    def current_certificate(self) -> Certificate | None:
        # Read again: staff may have revoked it since the customer identified.
        return Certificate.objects.current().filter(customer_id=self.flow.customer_id).first()

    def get(self, request):
        current = self.current_certificate()
        initial = {}
        if current is not None and current.not_after < now():
            initial["reason"] = ReissueReason.EXPIRED
        elif current is not None and current.status == Certificate.Status.LOCKED:
            initial["reason"] = ReissueReason.PIN
        elif current is not None and current.status == Certificate.Status.REISSUE_REQUIRED:
            initial["reason"] = ReissueReason.DETAILS_CHANGED
        return self.render_step(form=forms.ReissueReasonForm(initial=initial), current=current,
                                **self._display(current))

    def post(self, request):
        form = forms.ReissueReasonForm(request.POST)
        current = self.current_certificate()
        if not form.is_valid():
            return self.render_step(form=form, current=current, **self._display(current))
        self.flow.set("reason", form.cleaned_data["reason"])
        return self.advance()

    def _display(self, current):
        if current is None:
            return {}
        return {"masked_subject": mask_subject(current.subject),
                "current_serial": format_serial(current.serial),
                "current_expired": current.not_after < now()}


def _duration_text(seconds: int) -> str:
    return f"{seconds // 60}분" if seconds % 60 == 0 and seconds else f"{seconds}초"


def _remaining(name: str, moment) -> dict:
    """Seconds left until ``moment`` and the same as m:ss, for countdowns.

    Pages send how long is left, not a wall-clock time: the customer's clock may be wrong.
    """
    seconds = max(0, int((moment - now()).total_seconds()))
    return {f"{name}_in": seconds, f"{name}_in_text": f"{seconds // 60}:{seconds % 60:02d}"}


class ArsView(WizardStepView):
    step = "ars"
    template_name = "certificates/wizard/ars.html"

    def challenge_id(self):
        return self.flow.get("ars")

    def get(self, request):
        return self._render()

    def post(self, request):
        action = request.POST.get("action")
        customer = self.customer
        if action == "call":
            try:
                challenge = verification.ars_call_start(
                    phone=customer.phone, purpose=ARS_PURPOSE, flow_id=self.flow.id,
                    customer=customer,
                )
            except verification.SendThrottled as exc:
                return self._render(error=exc.message)
            remember_challenge(request, challenge)
            self.flow.set("ars", str(challenge.id))
            flow_save(request, self.flow)
            return redirect(step_url(self.step))
        if action == "check" and self.challenge_id():
            status = verification.challenge_status(
                challenge_id=self.challenge_id(), flow_id=self.flow.id
            )
            if status == "verified":
                return self.advance()
            return self._render(error=ARS_STATUS_MESSAGES.get(status, ARS_STATUS_MESSAGES["unknown"]))
        return redirect(step_url(self.step))

    def _render(self, error: str = ""):
        customer = self.customer
        context = {"masked_phone": customer.masked_phone, "error": error}
        if self.challenge_id():
            challenge = Challenge.objects.filter(pk=self.challenge_id()).first()
            if challenge is not None:
                status = verification.challenge_status(
                    challenge_id=challenge.pk, flow_id=self.flow.id
                )
                context.update(
                    **_remaining("recall", challenge.created_at
                                 + timedelta(seconds=settings.ARS_RECALL_COOLDOWN)),
                    challenge=challenge,
                    challenge_status=status,
                    display_code=verification.ars_display_code(challenge),
                    **_remaining("expires", challenge.expires_at),
                    status_url=reverse("verification:challenge_status", args=[challenge.pk]),
                )
        return self.render_step(**context)


ARS_STATUS_MESSAGES = {
    "pending": _(
        "아직 전화 인증이 완료되지 않았습니다. 걸려온 전화를 받아 화면의 숫자 두 자리를 입력해 주세요."
    ),
    "expired": _("전화 인증 시간이 지났습니다. ‘다시 요청’을 눌러 전화를 다시 받아 주세요."),
    "exhausted": _("숫자를 여러 번 잘못 입력하여 통화가 종료되었습니다. ‘다시 요청’을 눌러 주세요."),
    "cancelled": _("통화가 종료되었습니다. ‘다시 요청’을 눌러 전화를 다시 받아 주세요."),
    "unknown": _("전화 인증을 먼저 요청해 주세요."),
}


class ExtraView(WizardStepView):
    step = "extra"
    template_name = "certificates/wizard/extra.html"

    def form(self, data=None):
        return forms.ExtraVerificationForm(
            data, method_label=f"{certificate_brand()} 인증"
        )

    def get(self, request):
        return self._render(self.form())

    def post(self, request):
        form = self.form(request.POST)
        if not form.is_valid():
            return self._render(form)
        return self.advance()

    def _render(self, form):
        customer = self.customer
        return self.render_step(
            form=form, masked_email=customer.masked_email, masked_phone=customer.masked_phone
        )


@method_decorator(sensitive_post_parameters("code", "birth_date"), name="dispatch")
class SmsView(WizardStepView):
    step = "sms"
    template_name = "certificates/wizard/sms.html"

    def get(self, request):
        typed = self.flow.get("sms_identity") or {}
        return self._render(forms.SmsIdentityForm(initial=typed), forms.SmsCodeForm())

    def post(self, request):
        identity = forms.SmsIdentityForm(request.POST)
        code_form = forms.SmsCodeForm()
        customer = self.customer
        if request.POST.get("action") == "send":
            if identity.is_valid():
                if not identity.matches(customer):
                    identity.add_error(None, ValidationError(
                        identity.error_messages["mismatch"], code="mismatch"))
                    event_record(
                        kind=CertificateEvent.Kind.VERIFICATION_FAILED,
                        actor=CertificateEvent.Actor.CUSTOMER, customer=customer,
                        client_ip=client_ip(request), reason="추가 본인 확인 정보 불일치",
                    )
                else:
                    try:
                        challenge = verification.sms_send(
                            phone=customer.phone, purpose=SMS_PURPOSE, flow_id=self.flow.id,
                            customer=customer,
                        )
                    except verification.SendThrottled as exc:
                        identity.add_error(None, ValidationError(exc.message, code=exc.reason))
                    else:
                        self.flow.set("sms", str(challenge.id))
                        self.flow.set("sms_identity", {
                            "name": request.POST.get("name", ""),
                            "birth_date": request.POST.get("birth_date", ""),
                            "phone": request.POST.get("phone", ""),
                        })
                        flow_save(request, self.flow)
                        messages.info(request, _("인증번호를 보냈습니다. 휴대폰 문자메시지를 확인해 주세요."))
                        return redirect(step_url(self.step))
            return self._render(identity, code_form)

        # action == "verify": its own form, so Enter in the code box checks the code (and never
        # asks for a new one); the details shown again are the ones the code was sent for.
        identity = forms.SmsIdentityForm(initial=self.flow.get("sms_identity") or {})
        code_form = forms.SmsCodeForm(request.POST)
        if not self.flow.get("sms"):
            code_form.is_valid()
            code_form.add_error(None, ValidationError(_("먼저 ‘인증번호 요청’을 눌러 주세요."),
                                                      code="no_code"))
            return self._render(identity, code_form)
        if code_form.is_valid():
            result = verification.sms_verify(
                challenge_id=self.flow.get("sms"), code=code_form.cleaned_data["code"],
                flow_id=self.flow.id, client_ip=client_ip(request),
            )
            if result.ok:
                return self.advance()
            code_form.add_error("code", ValidationError(result.message, code=result.reason))
        code_form.data = code_form.data.copy()
        code_form.data["code"] = ""
        return self._render(identity, code_form)

    def _render(self, identity_form, code_form):
        context = {
            "identity_form": identity_form, "code_form": code_form,
            "code_validity": _duration_text(settings.SMS_CODE_TTL),
            "resend_after": _duration_text(settings.SMS_RESEND_COOLDOWN),
        }
        if self.flow.get("sms"):
            challenge = Challenge.objects.filter(pk=self.flow.get("sms")).first()
            if challenge is not None:
                context.update(
                    sms_challenge=challenge,
                    **_remaining("expires", challenge.expires_at),
                    **_remaining("resend", challenge.created_at
                                 + timedelta(seconds=settings.SMS_RESEND_COOLDOWN)),
                )
        return self.render_step(**context)


@method_decorator(sensitive_post_parameters("pin", "pin_confirm"), name="dispatch")
class PinView(WizardStepView):
    step = "pin"
    template_name = "certificates/wizard/pin.html"

    def get(self, request):
        return self.render_step(form=forms.PinForm())

    def post(self, request):
        form = forms.PinForm(request.POST)
        if form.is_valid():
            try:
                certificate = certificate_issue(
                    customer=self.customer,
                    pin=form.cleaned_data["pin"],
                    flow_id=self.flow.id,
                    reissue_reason=self.flow.get("reason") if self.flow.kind == REISSUE else None,
                    client_ip=client_ip(request),
                )
            except ValidationError as exc:
                form.add_error("pin", exc)
            except CertificateExists:
                form.add_error(None, ValidationError(
                    _("이미 사용 중인 인증서가 있습니다. 처음부터 재발급을 진행해 주세요."), code="exists"))
            except Exception:
                # The attempt was closed (see certificate_issue); the customer may simply retry.
                logger.exception("certificate issuance failed")
                form.add_error(None, ValidationError(
                    _("일시적인 오류로 인증서를 발급하지 못했습니다. 잠시 후 다시 시도해 주세요."),
                    code="unavailable"))
            else:
                customer_set_marketing_consent(
                    customer=certificate.customer, consent=bool(self.flow.get("marketing_consent"))
                )
                flow_clear(request)
                reason = self.flow.get("reason") if self.flow.kind == REISSUE else None
                request.session[FINISHED_KEY] = {
                    "certificate": certificate.pk, "at": now().timestamp(),
                    # The customer's own words for why, not the RFC 5280 code on the CRL.
                    "reason": str(ReissueReason(reason).label) if reason else "",
                }
                return redirect("certificates:done")
        return self.render_step(form=_without_secrets(form))


def _without_secrets(form):
    form.data = form.data.copy()
    form.data["pin"] = form.data["pin_confirm"] = ""
    return form


def finished_certificate(request) -> Certificate:
    """The certificate this session just got; shown and downloadable for FLOW_IDLE_TIMEOUT only
    (a shared PC must not hand it to the next person)."""
    finished = request.session.get(FINISHED_KEY)
    if not finished or now().timestamp() - finished["at"] > settings.FLOW_IDLE_TIMEOUT:
        request.session.pop(FINISHED_KEY, None)
        raise Http404
    return get_object_or_404(Certificate.objects.select_related("customer"),
                             pk=finished["certificate"])


@method_decorator(never_cache, name="dispatch")
class DoneView(View):
    template_name = "certificates/wizard/done.html"

    def get(self, request):
        try:
            certificate = finished_certificate(request)
        except Http404:
            return redirect("certificates:terms")
        replaced = certificate.replaces.order_by("-revoked_at").first()
        # The flow is gone; the step indicator is rebuilt from what was issued.
        steps = [s for s in STEPS if s != "reissue" or replaced is not None]
        context = {
            "certificate": certificate,
            "replaced": replaced,
            "replaced_serial": format_serial(replaced.serial) if replaced else "",
            "reissue_reason": request.session[FINISHED_KEY].get("reason", ""),
            "step_title": step_title("done"),
            "step_count": f"{len(steps) + 1} / {len(steps) + 1}",
            "steps": [step_title(s) for s in steps],
            "pending": certificate.status == Certificate.Status.PENDING
            and now() - certificate.created_at < PENDING_PATIENCE,
            "failed": certificate.status == Certificate.Status.FAILED
            or (certificate.status == Certificate.Status.PENDING
                and now() - certificate.created_at >= PENDING_PATIENCE),
        }
        if certificate.der:
            parsed = pki.load_certificate(bytes(certificate.der))
            context.update(
                fingerprint=pki.fingerprint_sha256(parsed),
                issuer=parsed.issuer.rfc4514_string(),
                serial_display=format_serial(certificate.serial),
            )
        return render(request, self.template_name, context)


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
    flow_clear(request)  # the page's own "처음부터 다시" must not land here again
    return render(request, "certificates/wizard/timeout.html",
                  {"idle_minutes": settings.FLOW_IDLE_TIMEOUT // 60}, status=200)


# -- The CA's public files (CRL distribution point, AIA caIssuers, chain) ------------------------

def crl(request):
    response = HttpResponse(bytes(crl_current().der), content_type="application/pkix-crl")
    # Re-signed on every revocation: a client must not keep an old copy.
    response["Cache-Control"] = "no-cache"
    return response


def issuing_ca(request):
    ca = load_issuing_ca()
    return HttpResponse(pki.certificate_der(ca.cert), content_type="application/pkix-cert")


def chain(request):
    response = HttpResponse(load_issuing_ca().chain_pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="certcenter-ca-chain.pem"'
    return response
