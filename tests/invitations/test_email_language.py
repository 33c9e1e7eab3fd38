"""R19 (issue 12): German joins English and French as an email language of the
request form; the draft is written with the German catalogue (filled later by the
coordinator: here only that "de" is offered, stored and used)."""

import re
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import translation

from invitations import services
from invitations.models import Invitation
from partners.models import Role

pytestmark = pytest.mark.django_db

NEW_URL = reverse("invitations:new")


@pytest.fixture
def sales(client, make_partner_user):
    user = make_partner_user(Role.SALES_AGENT, email="sara@contoso.test")
    client.force_login(user)
    return user


def test_request_form_offers_german_as_email_language(client, sales):
    html = client.get(NEW_URL).content.decode()
    select = re.search(r'<select name="email_language"[^>]*>(.*?)</select>', html, re.S)
    assert re.findall(r'<option value="([^"]*)"', select.group(1)) == ["en", "fr", "de"]


def test_german_ui_preselects_german(client, sales):
    client.cookies["django_language"] = "de"
    html = client.get(NEW_URL).content.decode()
    select = re.search(r'<select name="email_language"[^>]*>(.*?)</select>', html, re.S)
    assert re.search(r'<option value="de"[^>]*selected', select.group(1))


def test_german_request_is_stored_and_drafted_in_german(client, sales):
    languages = []
    real = services.render_to_string

    def spy(*args, **kwargs):
        languages.append(translation.get_language())
        return real(*args, **kwargs)

    with mock.patch.object(services, "render_to_string", side_effect=spy):
        response = client.post(NEW_URL, {"include_dap": "on", "email_language": "de"})
    invitation = Invitation.objects.get()
    assert response.status_code == 302
    assert invitation.email_language == "de"
    # Subject and body, both rendered with German active.
    assert languages == ["de", "de"]
