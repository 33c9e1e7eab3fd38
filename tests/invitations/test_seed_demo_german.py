"""DESIGN.md 8.8 / issue 12: "Fabrikam Deutschland's people have no German"."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from invitations import tokens
from invitations.models import Invitation
from partners.models import PartnerMembership
from tests.helpers import accept_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())


def test_fabrikam_admin_prefers_german(seeded):
    membership = PartnerMembership.objects.get(user__email="admin@fabrikam.example")
    assert membership.language == "de"
    others = PartnerMembership.objects.exclude(user__email="admin@fabrikam.example")
    assert set(others.values_list("language", flat=True)) == {""}


def test_fabrikam_demo_request_is_in_german_and_opens_in_german(seeded):
    invitation = Invitation.objects.get(partner__name="Fabrikam Deutschland")
    assert invitation.email_language == "de"
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    redirect = client.get(accept_path(token=tokens.make_token(invitation)))
    page = client.get(redirect["Location"])
    assert '<html lang="de">' in page.content.decode()


def test_seeding_again_keeps_a_language_chosen_since(seeded):
    membership = PartnerMembership.objects.get(user__email="admin@fabrikam.example")
    membership.language = "en"
    membership.save(update_fields=["language"])
    call_command("seed_demo", stdout=StringIO())
    membership.refresh_from_db()
    assert membership.language == "en"
