"""`manage.py staff_enrol_totp <username>`: a new TOTP device for a staff member, shown once."""

import io

import qrcode
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from certcenter.services import staff_totp_enrol


class Command(BaseCommand):
    help = (
        "Create (or replace) the staff member's TOTP device for admin sign-in and print its "
        "otpauth:// URL and a QR code to scan with an authenticator app. The secret is shown only "
        "now; run the command again to replace a lost device (the old one stops working)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--no-qr", action="store_true", help="print the otpauth:// URL only, without the QR code"
        )

    def handle(self, *args, username, no_qr, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        try:
            device = staff_totp_enrol(user=user)
        except ValidationError as error:
            raise CommandError(f"{username!r}: {' '.join(error.messages)}") from None

        url = device.config_url
        self.stdout.write(
            f"TOTP device for {username!r} created; any earlier device of theirs no longer works.\n"
            "Scan the QR code (or open the URL) with an authenticator app. It is shown only now: "
            "admin never shows the secret."
        )
        if not no_qr:
            qr = qrcode.QRCode(border=2)
            qr.add_data(url)
            picture = io.StringIO()
            # Inverted: dark modules are left blank, which reads right on a dark terminal.
            qr.print_ascii(out=picture, invert=True)
            self.stdout.write(picture.getvalue(), ending="")
        self.stdout.write(url)
