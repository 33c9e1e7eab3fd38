"""R45: the acceptance pages open in the email's language unless the visitor chose
one with the language selector (issue 12: "A French request opened in an English
browser shows the acceptance page in English")."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from invitations.models import Invitation
from invitations.services import invitation_create
from tests import factories
from tests.helpers import accept_path, text

pytestmark = pytest.mark.django_db

ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
FRENCH_TITLE = "Créer un compte pour votre organisation"
ENGLISH_TITLE = "Create an account for your organisation"


@pytest.fixture
def french_invitation(partner, admin_agent):
    return factories.InvitationFactory(
        partner=partner, created_by=admin_agent, email_language="fr"
    )


def open_in_browser(client, invitation, **headers):
    """Follow the emailed link to its experience page, as a browser would."""
    response = client.get(accept_path(invitation), **headers)
    assert response.status_code == 302
    return response, client.get(response["Location"], **headers)


def test_french_request_in_english_browser_shows_acceptance_page_in_french(
    client, french_invitation
):
    # R45
    _redirect, page = open_in_browser(client, french_invitation, **ENGLISH_BROWSER)
    html = text(page)
    assert page.status_code == 200
    assert '<html lang="fr">' in html
    assert FRENCH_TITLE in html
    assert "Se connecter" in html
    assert page["Content-Language"] == "fr"


def test_english_request_in_french_browser_shows_acceptance_page_in_english(
    client, partner, admin_agent
):
    # R45: the email's language, whatever the browser says.
    invitation = factories.InvitationFactory(
        partner=partner, created_by=admin_agent, email_language="en"
    )
    _redirect, page = open_in_browser(
        client, invitation, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9"
    )
    assert '<html lang="en">' in text(page)
    assert ENGLISH_TITLE in text(page)


def test_language_chosen_with_the_selector_wins_over_the_email_language(
    client, french_invitation
):
    # R45: "unless the visitor chose one": the selector's cookie.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _redirect, page = open_in_browser(client, french_invitation, **ENGLISH_BROWSER)
    assert '<html lang="en">' in text(page)
    assert ENGLISH_TITLE in text(page)


def test_selector_on_the_acceptance_page_switches_it(client, french_invitation):
    # The visitor reads French by default, picks English, and stays on the page.
    _redirect, page = open_in_browser(client, french_invitation, **ENGLISH_BROWSER)
    client.post(
        reverse("set_language"), {"language": "en", "next": page.wsgi_request.path}
    )
    again = client.get(page.wsgi_request.path, **ENGLISH_BROWSER)
    assert ENGLISH_TITLE in text(again)


def test_messages_and_form_errors_of_the_page_follow_its_language(
    client, french_invitation
):
    # A failed sign-in answers in the page's language too (R20 with R45).
    redirect, _page = open_in_browser(client, french_invitation, **ENGLISH_BROWSER)
    response = client.post(
        redirect["Location"],
        {"action": "signin", "email": "nobody@example.test", "password": "x"},
        **ENGLISH_BROWSER,
    )
    assert response.status_code == 400
    assert '<html lang="fr">' in text(response)


@pytest.mark.parametrize(
    ("status", "french_heading"),
    [(Invitation.Status.REVOKED, "Ce lien a été révoqué")],
)
def test_link_gone_page_is_in_the_email_language(
    client, partner, status, french_heading
):
    # R45: the link-gone pages too.
    invitation = factories.InvitationFactory(
        partner=partner, email_language="fr", status=status
    )
    response = client.get(accept_path(invitation), **ENGLISH_BROWSER)
    assert response.status_code == 410
    assert '<html lang="fr">' in text(response)
    assert french_heading in text(response)


def test_expired_link_page_is_in_the_email_language(client, partner):
    invitation = factories.InvitationFactory(
        partner=partner,
        email_language="fr",
        sent_at=timezone.now() - timezone.timedelta(days=100),
        expires_at=timezone.now() - timezone.timedelta(days=10),
    )
    response = client.get(accept_path(invitation), **ENGLISH_BROWSER)
    assert response.status_code == 410
    assert '<html lang="fr">' in text(response)


def test_german_request_opens_in_german(client, partner, admin_agent):
    # R19/R45: German joins; the page's lang and Content-Language say so (its new
    # texts come with the coordinator's catalogue).
    invitation = invitation_create(
        partner=partner,
        created_by=admin_agent,
        include_dap=True,
        email_language="de",
    )
    _redirect, page = open_in_browser(client, invitation, **ENGLISH_BROWSER)
    assert '<html lang="de">' in text(page)
    assert page["Content-Language"] == "de"


def test_the_page_language_does_not_leak_into_the_next_request(
    client, french_invitation, admin_agent
):
    # The override ends with the response: a partner's next page is in English.
    open_in_browser(client, french_invitation, **ENGLISH_BROWSER)
    client.force_login(admin_agent)
    page = client.get(reverse("invitations:list"), **ENGLISH_BROWSER)
    assert '<html lang="en">' in text(page)
