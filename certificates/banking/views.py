"""The 모의 인터넷뱅킹 pages: 로그인 (sign a fresh nonce), 이체 (sign the exact text shown), receipts.

Each signature is made by the signing service (``signing.certificate_sign``, the customer's PIN)
and then checked by the bank as any relying party must (``signing.signature_verify``): the pages
only carry the text and the PIN between the two and say what happened.
"""

import secrets
from datetime import datetime
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.models import Customer
from certcenter.clock import now
from certcenter.http import client_ip
from certificates.banking import content as texts
from certificates.banking import session as bank
from certificates.banking.forms import TransferForm
from certificates.cloud.session import cloud_connection_required, cloud_customer
from certificates.display import format_serial
from certificates.models import Certificate, CertificateUse
from certificates.pinpad import PinEntryForm
from certificates.pki import cms
from certificates.selectors import certificate_current, certificate_use_problem
from certificates.services import CertificateNotUsable, KeyLocked, PinRefused
from certificates.signing import SignatureRefused, certificate_sign, nonce_new, signature_verify

REQUEST_EXPIRED = _("서명 요청 시간이 지났습니다. 내용을 다시 확인하고 서명해 주세요.")


def _shown(transfer: dict) -> dict:
    return {**transfer, "amount_display": texts.won(transfer["amount"])}


def _to_login(request):
    """Without a banking session: off to 로그인, saying why."""
    messages.info(request, _("금융인증서로 로그인한 뒤 이용해 주세요."))
    return redirect("certificates:bank_login")


def _certificate_needed(request, problem: str):
    """A page leading to 발급 (no certificate) or 재발급 (locked, to be reissued, expired)."""
    return render(request, "certificates/banking/certificate_needed.html", {"problem": problem})


@method_decorator([never_cache, sensitive_post_parameters("pin")], name="dispatch")
class SigningView(View):
    """A page that shows a text to sign and takes the PIN: sign, then verify as the bank.

    Subclasses say which request they sign (``request_key``, ``purpose``), how a request is made
    or found (``pending_for_display``), and what follows a signature or a refusal.
    """

    request_key: str
    purpose: str
    template_name: str

    def signing_customer(self) -> Customer | None:
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        self.customer = self.signing_customer()
        if self.customer is None:
            return self.not_signed_in()
        self.certificate = certificate_current(customer_id=self.customer.pk)
        problem = certificate_use_problem(self.certificate)
        if problem is not None:
            return _certificate_needed(request, problem)
        return super().dispatch(request, *args, **kwargs)

    def not_signed_in(self):
        raise NotImplementedError

    def pending_for_display(self) -> dict | None:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        pending = self.pending_for_display()
        if pending is None:
            return self.expired()
        return self.render_signing(PinEntryForm(certificate=self.certificate), pending)

    def post(self, request, *args, **kwargs):
        pending = bank.request_get(request, self.request_key)
        if pending is None:
            return self.expired()
        form = PinEntryForm(request.POST, certificate=self.certificate)
        if not form.is_valid():
            return self.render_signing(form, pending)
        ip = client_ip(request)
        try:
            signature = certificate_sign(certificate=self.certificate, pin=form.cleaned_data["pin"],
                                         content=pending["content"].encode(), client_ip=ip)
        except PinRefused as refused:  # a wrong PIN (counted), or asked again too soon
            form.add_error("pin", ValidationError(refused.message, code="wrong_pin"))
            return self.render_signing(form, pending)
        except (KeyLocked, CertificateNotUsable):
            certificate = certificate_current(customer_id=self.customer.pk)
            return _certificate_needed(request, certificate_use_problem(certificate) or "locked")
        # The bank's side from here: its nonce for this request, taken so it serves once.
        expected_nonce = bank.request_take(request, self.request_key)
        try:
            certificate = signature_verify(
                signature=signature, content=pending["content"].encode(), customer=self.customer,
                purpose=self.purpose, nonce=pending["nonce"], expected_nonce=expected_nonce,
                client_ip=ip,
            )
        except SignatureRefused as refusal:
            return render(request, "certificates/banking/refused.html",
                          {"refusal": refusal, "purpose": self.purpose,
                           "retry_url": self.retry_url()})
        return self.signed(certificate=certificate, signature=signature, pending=pending)

    def render_signing(self, form, pending):
        return render(self.request, self.template_name, {
            "form": form, "signed_text": pending["content"], "certificate": self.certificate,
            "serial_display": format_serial(self.certificate.serial), **self.extra_context(pending),
        })

    def extra_context(self, pending) -> dict:
        return {}

    def expired(self):
        """The request to sign is gone (taken, or its time is up): start again from its page."""
        messages.error(self.request, REQUEST_EXPIRED)
        return redirect(self.retry_url())

    def retry_url(self) -> str:
        raise NotImplementedError

    def signed(self, *, certificate: Certificate, signature: bytes, pending: dict):
        raise NotImplementedError


@method_decorator(cloud_connection_required, name="dispatch")
class LoginView(SigningView):
    """로그인 (01): the customer signs the bank's fresh nonce."""

    request_key = bank.LOGIN_REQUEST_KEY
    purpose = CertificateUse.Purpose.LOGIN
    template_name = "certificates/banking/login.html"

    def signing_customer(self):
        return cloud_customer(self.request)

    def not_signed_in(self):  # the connection ended between the decorator and here
        return redirect("certificates:bank_home")

    def pending_for_display(self):
        # A new request on every display: a nonce is never shown twice.
        nonce = nonce_new()
        text = texts.login_text(customer=self.customer, at=now(), nonce=nonce)
        return bank.request_put(self.request, self.request_key, nonce=nonce, content=text)

    def retry_url(self):
        return "certificates:bank_login"

    def signed(self, *, certificate, signature, pending):
        bank.bank_session_open(self.request, customer=self.customer, certificate=certificate)
        return redirect("certificates:bank_home")  # it says who signed in, and with what


class BankSignedInMixin:
    """Pages of the banking session: without one, off to 로그인."""

    def signing_customer(self):
        session = bank.bank_session(self.request)
        return session.customer if session else None

    def not_signed_in(self):
        return _to_login(self.request)


class TransferConfirmView(BankSignedInMixin, SigningView):
    """이체 (02): the exact text of the transfer, then the PIN; approved once verified."""

    request_key = bank.TRANSFER_REQUEST_KEY
    purpose = CertificateUse.Purpose.TRANSFER
    template_name = "certificates/banking/transfer_confirm.html"

    def pending_for_display(self):
        return bank.request_get(self.request, self.request_key)

    def extra_context(self, pending):
        return {"transfer": _shown(pending["transfer"])}

    def retry_url(self):
        return "certificates:bank_transfer"

    def signed(self, *, certificate, signature, pending):
        number = f"{timezone.localtime(now()):%Y%m%d}{secrets.randbelow(10**8):08d}"
        bank.receipt_put(
            self.request, number=number, signature=signature, content=pending["content"],
            transfer=pending["transfer"], certificate=certificate.pk,
            signed_at=cms.cms_signing_time(signature).isoformat(), approved_at=now().isoformat(),
        )
        return redirect("certificates:bank_receipt", number=number)


@never_cache
def home(request):
    session = bank.bank_session(request)
    context = {"session": session, "connected": cloud_customer(request) is not None}
    if session is not None:
        context["serial_display"] = format_serial(session.certificate.serial)
    return render(request, "certificates/banking/home.html", context)


@require_POST
def logout(request):
    bank.bank_session_end(request)
    messages.info(request, _("모의 인터넷뱅킹에서 로그아웃했습니다."))
    return redirect("certificates:bank_home")


def bank_session_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if bank.bank_session(request) is None:
            return _to_login(request)
        return view(request, *args, **kwargs)

    return wrapped


@never_cache
@bank_session_required
def transfer(request):
    """The transfer form; a valid one becomes a signature request (its exact text) to confirm."""
    session = bank.bank_session(request)
    if request.method == "POST":
        form = TransferForm(request.POST)
        if form.is_valid():
            details = form.transfer()
            nonce = nonce_new()
            text = texts.transfer_text(customer=session.customer, transfer=details, at=now(),
                                       nonce=nonce)
            bank.request_put(request, bank.TRANSFER_REQUEST_KEY, nonce=nonce, content=text,
                             transfer=details.as_dict())
            return redirect("certificates:bank_transfer_confirm")
    else:
        pending = bank.request_get(request, bank.TRANSFER_REQUEST_KEY)
        typed = pending["transfer"] if pending else {}
        form = TransferForm(initial={"bank": typed.get("bank_code"), "account": typed.get("account"),
                                     "amount": typed.get("amount"), "memo": typed.get("memo")})
    return render(request, "certificates/banking/transfer.html", {"form": form})


def _receipt(request, number: str) -> dict:
    found = bank.receipt_get(request, number)
    if found is None:
        raise Http404
    return found


@never_cache
@bank_session_required
def receipt(request, number: str):
    found = _receipt(request, number)
    certificate = Certificate.objects.filter(pk=found["certificate"]).first()
    return render(request, "certificates/banking/receipt.html", {
        "number": number, "transfer": _shown(found["transfer"]), "signed_text": found["content"],
        "certificate": certificate,
        "serial_display": format_serial(certificate.serial) if certificate else "-",
        "signed_at": datetime.fromisoformat(found["signed_at"]),
        "approved_at": datetime.fromisoformat(found["approved_at"]),
    })


@never_cache
@bank_session_required
def signature_download(request, number: str):
    response = HttpResponse(_receipt(request, number)["signature"],
                            content_type="application/pkcs7-signature")
    response["Content-Disposition"] = f'attachment; filename="transfer-{number}.p7s"'
    return response


@never_cache
@bank_session_required
def content_download(request, number: str):
    # Exactly the bytes that were signed: `openssl cms -verify -content` checks them.
    response = HttpResponse(_receipt(request, number)["content"].encode("utf-8"),
                            content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="transfer-{number}.txt"'
    return response
