"""The project package's one table: the simulator clock's offset, shared by every process."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SimulatorClock(models.Model):
    """How far the application's clock runs ahead of real time (one row, ``pk=SINGLETON``).

    Written only through ``certcenter.services.clock_offset_set``; read through
    ``certcenter.clock`` (which caches it, see there). No row means real time.
    """

    SINGLETON = 1

    offset = models.DurationField(_("시간 이동"), default=timedelta(0))
    changed_at = models.DateTimeField(_("변경 일시 (실제 시간)"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("변경한 직원"),
    )

    class Meta:
        verbose_name = _("시뮬레이터 시계")
        verbose_name_plural = _("시뮬레이터 시계")

    def __str__(self):
        return f"+{self.offset.days}일"
