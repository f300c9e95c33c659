from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimulatorConfig(AppConfig):
    """The controls for testers and trainers (DESIGN §10): on top of every other app."""

    name = "simulator"
    verbose_name = _("시뮬레이터")

    def ready(self):
        from simulator.services import fault_changed_log
        from verification.signals import channel_fault_changed

        channel_fault_changed.connect(fault_changed_log, dispatch_uid="simulator.fault_changed_log")
