"""What staff did on the 시뮬레이터 제어 page: an append-only log (clock moves, faults, renewal runs,
scenarios, resets). Its admin changelist is the control page itself."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CONTROL_PERMISSION = "simulator.control_simulator"


class SimulatorAction(models.Model):
    class Kind(models.TextChoices):
        CLOCK = "clock", _("시계 이동")
        FAULT = "fault", _("채널 장애")
        RENEWAL = "renewal", _("자동 갱신 실행")
        SCENARIOS = "scenarios", _("교육 시나리오")
        RESET = "reset", _("초기화")

    kind = models.CharField(_("구분"), max_length=10, choices=Kind)
    detail = models.CharField(_("내용"), max_length=255)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("직원"),
    )
    # Real time, not the simulator's: the log says when it happened in the training room.
    created_at = models.DateTimeField(_("일시 (실제 시간)"), default=timezone.now)
    simulated_at = models.DateTimeField(_("시뮬레이터 시간"))

    class Meta:
        verbose_name = _("시뮬레이터 제어")
        verbose_name_plural = _("시뮬레이터 제어")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        permissions = [("control_simulator", _("시뮬레이터를 제어할 수 있음 (시계, 장애, 시나리오)"))]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.detail}"
