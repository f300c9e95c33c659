"""Sign a new CRL when the current one is half through its validity: the hourly cron job."""

from django.core.management.base import BaseCommand, CommandError

from certificates.ca import ca_exists
from certificates.publication import crl_current, crl_publish_if_due


class Command(BaseCommand):
    help = (
        "Sign a new CRL with the issuing CA when none exists or the newest is past half its "
        "validity, so a CRL past its nextUpdate is never served (revocations re-sign at once "
        "anyway). Schedule it hourly from cron, e.g. "
        "'5 * * * * cd /srv/certcenter && .venv/bin/python manage.py publish_crl'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="Sign a new CRL even if the current one is not due.")

    def handle(self, *args, force, **options):
        if not ca_exists():
            raise CommandError("No CA in CA_DIR: run 'manage.py init_ca' first.")
        published = crl_publish_if_due(force=force)
        if published is None:
            current = crl_current()
            self.stdout.write(
                f"CRL #{current.pk} is current ({current.entry_count} entries, next update "
                f"{current.next_update.isoformat()}); not due, nothing signed."
            )
            return
        self.stdout.write(
            f"Published CRL #{published.pk}: {published.entry_count} entries, next update "
            f"{published.next_update.isoformat()}."
        )
