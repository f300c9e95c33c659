"""The wizard's guard: a request for any step but the flow's current one goes to the current one.

So steps cannot be skipped or replayed; an idle flow ends, and so does one older than
``FLOW_MAX_AGE`` however busy; a step that proves identity further cycles the session key when it is
passed. Every step view derives from ``StepView``.

Nothing is stored on the server for an anonymous visitor: agreeing to the terms gives a signed,
short-lived *terms pass* that rides in the identification page's URL, and the flow (the session row)
begins only when identification succeeds. Posting the terms page a thousand times writes nothing.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views import View
from django.views.decorators.cache import never_cache

from accounts.models import Customer
from certcenter.clock import now
from certcenter.pagecache import shared_page
from certificates.wizard.flow import TOUCH_RESOLUTION, Flow, flow_clear, flow_load, flow_save
from certificates.wizard.steps import FIRST, certificate_brand, step_get, step_indicator
from verification.models import FraudReport
from verification.selectors import customer_with_fraud_block, fraud_block_message

SAFE_METHODS = ("GET", "HEAD")
TERMS_PASS_PARAMETER = "terms"
_TERMS_PASS_SALT = "certcenter.wizard.terms"


def step_url(step: str) -> str:
    return reverse(f"certificates:{step}")


def terms_pass_url(*, marketing_consent: bool) -> str:
    """The identification page's URL carrying the customer's agreement to the terms."""
    token = signing.dumps({"marketing": marketing_consent, "at": now().timestamp()},
                          salt=_TERMS_PASS_SALT, compress=True)
    return f"{step_url('identify')}?{urlencode({TERMS_PASS_PARAMETER: token})}"


class TermsPassExpired(Exception):
    """The agreement is older than the idle timeout: like an idle flow, it has ended."""


def terms_pass_read(request) -> dict | None:
    """The agreement in this request if it is genuine (None if absent or forged)."""
    token = request.GET.get(TERMS_PASS_PARAMETER, "")
    if not token:
        return None
    try:
        terms = signing.loads(token, salt=_TERMS_PASS_SALT)
    except signing.BadSignature:
        return None
    # On the one clock, to the microsecond, like Flow.is_idle.
    if now().timestamp() - terms["at"] > settings.FLOW_IDLE_TIMEOUT:
        raise TermsPassExpired
    return terms


def fraud_end(request, report: FraudReport):
    """End the flow of a customer who reported a call or code as not their own request, and say
    why on the first step's page."""
    flow_clear(request)
    messages.warning(request, fraud_block_message(report, ended=True))
    return redirect("certificates:terms")


@method_decorator(never_cache, name="dispatch")
class StepView(View):
    """One step of the wizard: guard, load the customer, render with the step indicator."""

    step: str
    template_name: str
    flow: Flow | None = None
    # A step an anonymous visitor may reach with a terms pass (and no flow yet).
    accepts_terms_pass = False
    terms: dict | None = None

    def dispatch(self, request, *args, **kwargs):
        flow = flow_load(request)
        if flow is not None and (flow.is_idle() or flow.is_too_old()):
            flow_clear(request)
            if self.step != FIRST:
                return redirect("certificates:timeout")
            flow = None  # starting over is what the timeout page offers
        if flow is None and self.accepts_terms_pass:
            try:
                self.terms = terms_pass_read(request)
            except TermsPassExpired:
                return redirect("certificates:timeout")
        if flow is None and self.step != FIRST and self.terms is None:
            return redirect("certificates:terms")
        if flow is not None and flow.customer_id is not None:
            # A "본인이 요청하지 않음" report on the handset ends every flow of the customer's.
            # Asked with the customer, whom most steps show or check (one query for both).
            customer = customer_with_fraud_block(flow.customer_id)
            if customer is not None:
                if customer.blocking_report_id is not None:
                    return fraud_end(request, FraudReport.objects.get(pk=customer.blocking_report_id))
                self.__dict__["customer"] = customer  # the cached_property below, filled
        if flow is not None:
            if flow.current_step != self.step:
                return redirect(step_url(flow.current_step))
            if request.method not in SAFE_METHODS or not flow.touched_within(TOUCH_RESOLUTION):
                flow.touch()
                flow_save(request, flow)
        self.flow = flow
        return super().dispatch(request, *args, **kwargs)

    @cached_property  # one query per request, however many times a step asks
    def customer(self) -> Customer:
        return get_object_or_404(Customer, pk=self.flow.customer_id)

    def save_flow(self) -> None:
        flow_save(self.request, self.flow)

    def advance(self):
        self.flow.complete(self.step)
        self.save_flow()
        if step_get(self.step).raises_identity:
            # Identity was just proven further: a new session key, so a planted or observed
            # session id is worth nothing from here on. (After the flow is saved into the
            # session: the new key's row is written with it, and nothing after.)
            self.request.session.cycle_key()
        return redirect(step_url(self.flow.current_step))

    def stay(self):
        """Post/Redirect/Get back to this step."""
        self.save_flow()
        return redirect(step_url(self.step))

    def begin_flow(self) -> Flow:
        """The flow starts once the customer is identified, with the terms they agreed to."""
        self.flow = Flow.new()
        self.flow.set("marketing_consent", bool(self.terms and self.terms.get("marketing")))
        self.flow.complete(FIRST)
        return self.flow

    def render_shared_step(self, *, context):
        """``render_step`` for a GET by a visitor with no flow yet (the terms page; identification
        with a terms pass): nothing on the page is theirs but the CSRF token, so it is rendered
        once per process (certcenter.pagecache). ``context()``: the page's context, asked for only
        when the page is rendered."""
        if self.flow is not None:
            return self.render_step(**context())

        def draw(csrf_token):
            extra = {"csrf_token": csrf_token} if csrf_token else {}
            return self.render_step(**context(), **extra)

        return shared_page(self.request, (self.template_name, self.terms is not None), draw)

    def render_step(self, **context):
        flow = self.flow or Flow.new()
        done = flow.done_steps | ({FIRST} if self.terms is not None else set())
        context.update(
            step_indicator(kind=flow.kind, current=self.step, done=done),
            flow_kind=flow.kind,
            idle_seconds=settings.FLOW_IDLE_TIMEOUT if self.flow or self.terms else None,
            idle_minutes=settings.FLOW_IDLE_TIMEOUT // 60,
            max_age_minutes=settings.FLOW_MAX_AGE // 60,
            flow_ends_in=self.flow.seconds_left() if self.flow else None,
            certificate_brand=certificate_brand(),
        )
        return render(self.request, self.template_name, context)
