"""CI only: seed throwaway data (the demo of ``seed_demo``) and print an API
token of a partner Global admin, for the schema tests (.ci/schemathesis).

Refused unless DEBUG is on (as ``seed_demo``): the demo's passwords are public
and the token can write.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from partners import api_tokens

USER = "ava.admin@contoso.example"


class Command(BaseCommand):
    help = "Seed the demo data and print a read and write API token (DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("--email", default=USER, help="The token's partner user.")
        parser.add_argument(
            "--scope", default="read_write", choices=["read", "read_write"]
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Refusing to seed data and print a token with DEBUG off: "
                "this command is for throwaway CI databases."
            )
        call_command("seed_demo", verbosity=0)
        user = get_user_model().objects.filter(email=options["email"]).first()
        if user is None:
            raise CommandError(f"No user {options['email']} after seeding.")
        _token, key = api_tokens.token_create(
            user=user, name="CI schema test", scope=options["scope"], expires_in_days=1
        )
        self.stdout.write(key)
