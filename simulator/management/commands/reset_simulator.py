"""Return the demo to its starting state (the CA kept): see simulator.reset."""

from django.core.management.base import BaseCommand, CommandError

from simulator.reset import simulator_reset
from simulator.services import controls_enabled


class Command(BaseCommand):
    help = (
        "Return the demo to its starting state: delete every customer, certificate, audit row, "
        "challenge, handset message, channel fault and session, clear the cache, set the clock "
        "back to real time and create the demo customers again. The CA and staff accounts are kept. "
        "Needs SIMULATOR_CONTROLS_ENABLED; asks for confirmation unless --no-input."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive",
                            help="Do not ask for confirmation.")

    def handle(self, *args, interactive, **options):
        if not controls_enabled():
            raise CommandError("reset_simulator needs SIMULATOR_CONTROLS_ENABLED=True "
                               "(it follows DEBUG): it deletes every customer and certificate.")
        if interactive:
            answer = input("This deletes every customer, certificate and audit row. Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Reset cancelled.")
        removed = simulator_reset()
        warnings = removed.pop("warnings")
        for label, count in removed.items():
            if count:
                self.stdout.write(f"  {label}: {count} deleted")
        self.stdout.write("Simulator reset: clock at real time, demo customers created afresh.")
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")
