from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimulatorConfig(AppConfig):
    """The controls for testers and trainers (DESIGN §10): on top of every other app."""

    name = "simulator"
    verbose_name = _("시뮬레이터")
