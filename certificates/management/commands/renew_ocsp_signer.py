"""Renew the OCSP responder's short-lived certificate before it ends (daily, from cron)."""

from django.core.management.base import BaseCommand, CommandError

from certificates.ocsp import SIGNER_RENEW_BEFORE, signer_renew


class Command(BaseCommand):
    help = (
        "Issue a new OCSP responder certificate when the current one ends within "
        f"{SIGNER_RENEW_BEFORE.days} days (or is missing). Run daily from cron; --force renews now. "
        "Running servers pick up the new one on their next request."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Renew even if not due.")

    def handle(self, *args, force, **options):
        try:
            renewed, signer = signer_renew(force=force)
        except Exception as error:
            raise CommandError(f"OCSP signer renewal failed: {error}") from error
        until = signer.cert.not_valid_after_utc.isoformat()
        if renewed:
            self.stdout.write(f"Renewed the OCSP responder certificate; valid until {until}.")
        else:
            self.stdout.write(f"The OCSP responder certificate is valid until {until}; not due.")
