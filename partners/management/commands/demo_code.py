"""DESIGN 8.8: the current authenticator code of a demo person (DEBUG only)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from partners.backends import user_by_email


class Command(BaseCommand):
    help = "Print the current 6-digit two-step verification code of a demo person."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The person's email address.")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            # Printing someone's code would defeat the second factor anywhere
            # but a local demo.
            raise CommandError(
                "Refusing to print a two-step verification code with DEBUG off."
            )
        user = user_by_email(options["email"])
        device = (
            TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if user is not None
            else None
        )
        if device is None:
            raise CommandError(
                f"No authenticator app is set up for {options['email']}."
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        # A code is accepted once: right after one was used, give the next
        # step's (accepted too, within the one-step tolerance).
        if totp.t() <= device.last_t:
            totp.drift += device.last_t + 1 - totp.t()
        self.stdout.write(f"{totp.token():0{device.digits}d}")
