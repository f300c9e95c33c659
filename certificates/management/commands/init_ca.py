"""Create the simulated root and issuing CA once, the OCSP responder's certificate and the first CRL."""

from django.core.management.base import BaseCommand, CommandError

from certificates import pki
from certificates.ca import ca_create, ca_dir, ca_exists
from certificates.ocsp import signer_ensure
from certificates.publication import crl_current, crl_publish


class Command(BaseCommand):
    help = (
        "Create the simulated CA (root + issuing) in CA_DIR, keys encrypted with "
        "CA_KEY_PASSPHRASE, the OCSP responder's certificate, and publish the first CRL. "
        "Idempotent: an existing CA is kept, never overwritten; only a missing responder or CRL "
        "is created."
    )

    def add_arguments(self, parser):
        parser.add_argument("--key-type", choices=pki.KEY_TYPES, default="rsa-2048")

    def handle(self, *args, key_type, **options):
        directory = ca_dir()
        if ca_exists(directory):
            self.stdout.write(f"CA exists in {directory}; left as it is.")
            if signer_ensure():
                self.stdout.write("Created the OCSP responder certificate.")
            self._first_crl()
            return
        if any(directory.glob("*.pem")):
            raise CommandError(
                f"{directory} holds part of a CA. Move it away and run init_ca again."
            )
        ca = ca_create(directory=directory, key_type=key_type)
        self.stdout.write(
            f"Created the CA in {directory}:\n  {ca.root_cert.subject.rfc4514_string()}\n"
            f"  {ca.cert.subject.rfc4514_string()}"
        )
        signer_ensure()
        self.stdout.write("Created the OCSP responder certificate.")
        self._first_crl()

    def _first_crl(self):
        # The CRL view never signs: without a first CRL it answers 503 until cron runs.
        if crl_current() is None:
            crl = crl_publish()
            self.stdout.write(f"Published the first CRL (#{crl.pk}).")
