"""Renew expiring 금융인증서 certificates: the nightly cron job."""

import sys

from django.core.management.base import BaseCommand, CommandError

from certificates.renewal import certificates_renew


class Command(BaseCommand):
    help = (
        "Renew every active certificate expiring within RENEWAL_WINDOW_DAYS over the same key, "
        "after checking the customer's name, resident number (VID) and phone still match; mark "
        "mismatches 'reissue required' and tell the customer by SMS; mark expired ones. "
        "Idempotent and safe to run in parallel on PostgreSQL. Schedule it daily from cron, e.g. "
        "'15 3 * * * cd /srv/certcenter && .venv/bin/python manage.py renew_certificates'. "
        "Exits non-zero if any certificate failed. Each run is on record in admin (갱신 실행 기록)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="Report what would happen; change nothing.")
        parser.add_argument("--window-days", type=int, default=None,
                            help="Renew certificates expiring within this many days "
                                 "(default: RENEWAL_WINDOW_DAYS).")
        parser.add_argument("--batch-size", type=int, default=1000,
                            help="Certificates per transaction (default 1000).")
        parser.add_argument("--limit", type=int, default=None,
                            help="Stop after this many certificates.")

    def handle(self, *args, dry_run, window_days, batch_size, limit, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if window_days is not None and window_days < 0:
            raise CommandError("--window-days must not be negative.")
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        interactive = verbosity >= 1 and sys.stderr.isatty()

        def progress(report):
            if interactive:
                done = report.renewed + sum(report.skipped.values()) + report.failed
                self.stderr.write(f"\r{done} processed ({report.renewed} renewed)", ending="")

        report = certificates_renew(
            window_days=window_days, batch_size=batch_size, limit=limit, dry_run=dry_run,
            progress=progress, source="command",
        )
        if interactive:
            self.stderr.write("")
        if verbosity >= 1:
            self.stdout.write(report.summary())
        if verbosity >= 2:
            for line in report.failures:
                self.stdout.write(f"  failed {line}")
        if not report.ok:
            raise CommandError(f"{report.failed} certificate(s) failed to renew: "
                               + "; ".join(report.failures[:5]))
