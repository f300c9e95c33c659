"""Load the fictional demo customers, and with --scenarios the training scenarios' customers."""

from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_CUSTOMERS, demo_customers_seed
from simulator.scenarios import scenarios_create
from simulator.services import controls_enabled


class Command(BaseCommand):
    # Here rather than in accounts: --scenarios issues certificates, and accounts imports nothing
    # above it. Safe to run any number of times.
    help = (
        "Create the fictional demo customers listed in the README (idempotent). With --scenarios, "
        "also the training scenarios' customers in their named states (needs "
        "SIMULATOR_CONTROLS_ENABLED and the CA: run init_ca first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scenarios", action="store_true",
                            help="Also create the training scenarios (README: For testers and trainers).")

    def handle(self, *args, scenarios, **options):
        created = demo_customers_seed()
        self.stdout.write(
            f"Demo customers: {created} created, {len(DEMO_CUSTOMERS) - created} already present."
        )
        if not scenarios:
            return
        if not controls_enabled():
            raise CommandError("--scenarios needs SIMULATOR_CONTROLS_ENABLED=True (it follows DEBUG).")
        for line in scenarios_create():
            self.stdout.write(f"Scenario {line}")
