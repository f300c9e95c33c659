"""The 시뮬레이터 제어 page in admin: the simulator log's changelist is the control page.

Staff need ``simulator.control_simulator`` (superusers hold it) and come in through the admin
site's own checks (sign-in, lockout, TOTP whenever it is required). With
``SIMULATOR_CONTROLS_ENABLED`` off every URL here is a 404, before any sign-in check, and the page
is not listed on the admin index.
"""

import logging
from functools import wraps

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from certcenter.http import setting_or_404
from simulator import services
from simulator.forms import ClockDateForm, ClockForwardForm, FaultForm, RenewalForm
from simulator.models import CONTROL_PERMISSION, SimulatorAction
from simulator.scenarios import SCENARIO_PIN, SCENARIOS, scenario_customers, scenarios_create
from verification import faults

RECENT_ACTIONS = 20
logger = logging.getLogger(__name__)


_enabled_only = setting_or_404("SIMULATOR_CONTROLS_ENABLED")


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@admin.register(SimulatorAction)
class SimulatorControlAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return services.controls_enabled() and request.user.has_perm(CONTROL_PERMISSION)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        changelist = f"{self.opts.app_label}_{self.opts.model_name}_changelist"

        def wrap(view):
            return _enabled_only(self.admin_site.admin_view(self._controller_only(view)))

        return [
            path("", wrap(self.control_view), name=changelist),
            path("clock/", wrap(self.clock_view), name="simulator_clock"),
            path("renewal/", wrap(self.renewal_view), name="simulator_renewal"),
            path("faults/", wrap(self.fault_view), name="simulator_fault"),
            path("faults/clear/", wrap(self.fault_clear_view), name="simulator_fault_clear"),
            path("scenarios/", wrap(self.scenarios_view), name="simulator_scenarios"),
        ]

    def _controller_only(self, view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not self.has_view_permission(request):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    def _back(self):
        return redirect("admin:simulator_simulatoraction_changelist")

    # --- the page --------------------------------------------------------------------------------

    def control_view(self, request, forms=None):
        forms = forms or {}
        present = scenario_customers()
        context = {
            **self.admin_site.each_context(request),
            "title": _("시뮬레이터 제어"),
            "opts": self.opts,
            "clock": services.clock_status(),
            "forward_form": forms.get("forward") or ClockForwardForm(),
            "date_form": forms.get("date") or ClockDateForm(),
            "renewal_form": RenewalForm(),
            "fault_form": forms.get("fault") or FaultForm(),
            "faults": faults.faults_list(),
            "scenarios": [(scenario, present.get(scenario.key)) for scenario in SCENARIOS],
            "scenario_pin": SCENARIO_PIN,
            "last_renewal": SimulatorAction.objects.filter(
                kind=SimulatorAction.Kind.RENEWAL).first(),
            "actions": SimulatorAction.objects.select_related("staff_user")[:RECENT_ACTIONS],
            "expiring_url": reverse("admin:certificates_certificate_changelist") + "?expiring=soon",
            "handset_url": reverse("verification:handset_list"),
        }
        status = 400 if forms else 200
        return TemplateResponse(request, "admin/simulator/control.html", context, status=status)

    # --- actions (POST, then back to the page) -----------------------------------------------------

    def clock_view(self, request):
        if request.method != "POST":
            return self._back()
        action = request.POST.get("action")
        try:
            if action == "forward":
                form = ClockForwardForm(request.POST)
                if not form.is_valid():
                    return self.control_view(request, forms={"forward": form})
                change = services.clock_move_forward(days=form.cleaned_data["days"],
                                                     user=request.user)
            elif action == "date":
                form = ClockDateForm(request.POST)
                if not form.is_valid():
                    return self.control_view(request, forms={"date": form})
                change = services.clock_move_to(day=form.cleaned_data["day"], user=request.user)
            elif action == "reset":
                change = services.clock_reset(user=request.user)
            else:
                return self._back()
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return self._back()
        if change.offset:
            messages.success(request, _("시뮬레이터 시간이 %(day)s (실제 +%(days)d일)이 되었습니다.")
                             % {"day": change.today.isoformat(), "days": change.offset.days})
        else:
            messages.success(request, _("시뮬레이터 시계가 실제 시간으로 돌아왔습니다."))
        for warning in change.warnings:
            messages.warning(request, warning)
        return self._back()

    def renewal_view(self, request):
        if request.method != "POST":
            return self._back()
        form = RenewalForm(request.POST)
        form.is_valid()
        try:
            report = services.renewal_run(user=request.user,
                                          dry_run=form.cleaned_data.get("dry_run", False))
        except Exception as error:  # e.g. no CA yet: say so on the page, as the command would
            logger.exception("simulator: renewal from the page failed")
            messages.error(request, _("자동 갱신을 실행하지 못했습니다: %(error)s") % {"error": error})
            return self._back()
        level = messages.SUCCESS if report.ok else messages.ERROR
        messages.add_message(request, level, _("자동 갱신 결과: %(summary)s")
                             % {"summary": report.summary()})
        for line in report.failures:
            messages.error(request, line)
        return self._back()

    def fault_view(self, request):
        if request.method != "POST":
            return self._back()
        form = FaultForm(request.POST)
        if not form.is_valid():
            return self.control_view(request, forms={"fault": form})
        try:
            fault = faults.fault_set(kind=form.cleaned_data["kind"], phone=form.cleaned_data["phone"],
                                       seconds=form.cleaned_data["seconds"], user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self.control_view(request, forms={"fault": form})
        messages.success(request, _("채널 장애를 설정했습니다: %(fault)s") % {"fault": fault})
        return self._back()

    def fault_clear_view(self, request):
        if request.method != "POST":
            return self._back()
        fault_id = request.POST.get("fault")
        try:
            cleared = faults.fault_clear(
                fault_id=int(fault_id) if fault_id and fault_id.isdigit() else None,
                user=request.user)
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return self._back()
        messages.success(request, _("채널 장애 %(count)d건을 해제했습니다.") % {"count": cleared})
        return self._back()

    def scenarios_view(self, request):
        if request.method != "POST":
            return self._back()
        try:
            lines = scenarios_create(user=request.user)
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return self._back()
        except Exception as error:  # e.g. no CA yet (init_ca)
            logger.exception("simulator: scenarios from the page failed")
            messages.error(request, _("교육 시나리오를 만들지 못했습니다: %(error)s") % {"error": error})
            return self._back()
        messages.success(request, _("교육 시나리오를 만들었습니다."))
        for line in lines:
            messages.info(request, line)
        return self._back()
