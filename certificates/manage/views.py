"""인증서 관리 pages: 인증서 조회, 비밀번호 변경, 인증서 해지; the services do the work.

Every page belongs to the customer this browser is connected as (``cloud_connection_required``) and
shows or changes only that customer's current certificate: no page takes a certificate from the URL.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from certcenter.clock import now
from certcenter.http import client_ip
from certificates import pki, selectors
from certificates.cloud.session import cloud_connection_required, cloud_customer
from certificates.display import certificate_details, format_serial
from certificates.manage import forms
from certificates.models import Certificate
from certificates.pinpad import PinEntryForm
from certificates.services import (
    CertificateNotUsable,
    KeyLocked,
    PinCheckDelayed,
    PinRefused,
    certificate_change_pin,
    certificate_revoke_by_customer,
)
from certificates.signing import refusal_text


def _details(certificate: Certificate) -> dict:
    return certificate_details(certificate.der, certificate.serial) if certificate.der else {}


@never_cache
@cloud_connection_required
def overview(request):
    """인증서 조회: the customer's certificates, current and past, and the current one's uses."""
    customer = cloud_customer(request)
    certificates = selectors.certificates_of_customer(customer_id=customer.pk)
    current = next((each for each in certificates if each.is_current), None)
    context = {"tab": "overview", "customer": customer, "certificates": certificates,
               "current": current}
    if current is not None:
        context.update(
            _details(current),
            current_expired=current.not_after < now(),
            uses=[(use, refusal_text(use.result))
                  for use in selectors.certificate_uses_recent(certificate_id=current.pk)],
        )
    return render(request, "certificates/manage/overview.html", context)


@never_cache
@cloud_connection_required
def certificate_pem(request):
    """The current certificate (public, but the customer's own: only to the connected customer)."""
    current = selectors.certificate_current(customer_id=cloud_customer(request).pk)
    if current is None or not current.der:
        messages.info(request, _("내려받을 수 있는 인증서가 없습니다."))
        return redirect("certificates:manage")
    body = pki.certificate_pem(pki.load_certificate(bytes(current.der)))
    response = HttpResponse(body, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="finance-cert-{current.serial}.pem"'
    return response


class RoomView(View):
    """A page of the room (its ``tab`` marked) about the connected customer's current certificate.

    Subclasses set ``self.customer`` and ``self.certificate`` in ``dispatch`` and answer with
    ``page`` or, when the certificate cannot be used there, ``refuse`` (which says why).
    """

    tab: str
    title: str

    def page(self, template: str, **context):
        context = {"tab": self.tab, "title": self.title, "certificate": self.certificate,
                   "serial_display": format_serial(self.certificate.serial), **context}
        return render(self.request, template, context)

    def refuse(self, reason: str):
        certificates = selectors.certificates_of_customer(customer_id=self.customer.pk)
        context = {"tab": self.tab, "title": self.title, "reason": reason,
                   "certificate": self.certificate,
                   "latest": certificates[0] if certificates else None}
        return render(self.request, "certificates/manage/refused.html", context)


@method_decorator(
    [never_cache, sensitive_post_parameters("pin", "new_pin", "new_pin_confirm"),
     cloud_connection_required],
    name="dispatch",
)
class PinActionView(RoomView):
    """A change the customer proves with the certificate's PIN (on the PIN pad).

    The page first says whether the certificate can be used at all (none, locked, 재발급 필요,
    expired) and leads to 발급/재발급 if not; a wrong PIN is shown with the tries left, a fifth one
    shows the locked page.
    """

    template_name: str
    form_class: type[PinEntryForm]
    rules_field: str | None = None  # where the service's ValidationError goes

    def dispatch(self, request, *args, **kwargs):
        self.customer = cloud_customer(request)
        self.certificate = selectors.certificate_current(customer_id=self.customer.pk)
        reason = selectors.certificate_use_problem(self.certificate)
        if reason is not None:
            return self.refuse(reason)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.page(self.template_name, form=self.form_class(certificate=self.certificate))

    def post(self, request):
        form = self.form_class(request.POST, certificate=self.certificate)
        if form.is_valid():
            try:
                self.perform(form)
            except (KeyLocked, CertificateNotUsable):
                return redirect(request.path)  # the page says why, and where to go
            except PinCheckDelayed as exc:
                form.add_error(None, ValidationError(exc.message, code="too_soon"))
            except PinRefused as exc:
                form.add_error("pin", ValidationError(exc.message, code="wrong_pin"))
            except ValidationError as exc:
                form.add_error(self.rules_field, exc)
            else:
                return redirect("certificates:manage")
        return self.page(self.template_name, form=form)

    def perform(self, form) -> None:
        raise NotImplementedError



class PinChangeView(PinActionView):
    template_name = "certificates/manage/pin.html"
    form_class = forms.PinChangeForm
    tab = "pin"
    title = _("비밀번호 변경")
    rules_field = "new_pin"

    def perform(self, form):
        certificate_change_pin(
            certificate=self.certificate, current_pin=form.cleaned_data["pin"],
            new_pin=form.cleaned_data["new_pin"], client_ip=client_ip(self.request),
        )
        messages.success(self.request, _("인증서 비밀번호를 변경했습니다. 다음부터 새 비밀번호를 "
                                         "입력해 주세요."))


class RevokeView(PinActionView):
    template_name = "certificates/manage/revoke.html"
    form_class = forms.RevokeForm
    tab = "revoke"
    title = _("인증서 해지")

    def perform(self, form):
        certificate_revoke_by_customer(certificate=self.certificate, pin=form.cleaned_data["pin"],
                                       client_ip=client_ip(self.request))
        messages.success(self.request, _("금융인증서를 해지했습니다. 해지한 인증서는 인증서 폐지 "
                                         "목록(CRL)에 등록되어 더 이상 사용할 수 없습니다."))
