"""Lint issued certificates and the current CRL: for staff after a change of the profile."""

from django.core.management.base import BaseCommand, CommandError

from certificates.linting import certificates_lint
from certificates.models import Certificate


class Command(BaseCommand):
    help = (
        "Lint issued certificates (their stored DER) with pkilint's RFC 5280 checks and the "
        "금융인증서 profile's (subject form, policy OID, key usage, basic constraints, VID), and the "
        "newest CRL with pkilint's RFC 5280 CRL checks. Run it after changing the profile or its "
        "settings. Prints a summary by finding code; exits non-zero on any finding at WARNING or "
        "above."
    )

    def add_arguments(self, parser):
        parser.add_argument("--status", action="append", default=[],
                            choices=Certificate.Status.values,
                            help="Only certificates in this status (repeatable; default: all).")
        parser.add_argument("--serial", action="append", default=[],
                            help="Only this serial, in hex (repeatable).")
        parser.add_argument("--limit", type=int, default=None,
                            help="Stop after this many certificates.")

    def handle(self, *args, status, serial, limit, verbosity, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        report = certificates_lint(statuses=status, serials=serial, limit=limit)
        if verbosity >= 1:
            self.stdout.write(report.summary())
            for line in report.examples:
                self.stdout.write(f"  finding in {line}")
            for finding in report.crl_findings:
                self.stdout.write(f"  finding in {report.crl}: {finding}")
        if not report.ok:
            raise CommandError(
                f"{report.with_findings} certificate(s) and {len(report.crl_findings)} CRL "
                "finding(s) at WARNING or above."
            )
