"""R45/R7: "Create a new link" asks for confirmation first (issue 12: it "kills the
link the customer may already hold, without asking")."""

import re

import pytest
from django.urls import reverse

from customers.models import RelationshipEvent
from invitations import tokens
from invitations.models import Invitation
from partners.models import Role
from tests import factories
from tests.helpers import accept_path, text

pytestmark = pytest.mark.django_db


def main(response):
    """The page's own content (the header has the language and sign-out forms)."""
    return text(response).split('<main id="main"', 1)[1]


def new_link_url(invitation):
    return reverse("invitations:new_link", args=[invitation.pk])


@pytest.fixture
def sales(make_partner_user):
    return make_partner_user(Role.SALES_AGENT, email="sara@contoso.test")


@pytest.fixture
def own(partner, sales):
    return factories.InvitationFactory(partner=partner, created_by=sales)


def test_get_shows_confirmation_and_changes_nothing(client, sales, own):
    client.force_login(sales)
    nonce = own.link_nonce
    response = client.get(new_link_url(own))
    html = text(response)
    assert response.status_code == 200
    assert "Create a new link?" in html
    assert "will stop working at once, even if the customer already has it" in html
    form = re.search(
        r'<form method="post"[^>]*>(.*?)</form>', main(response), re.S
    ).group(1)
    assert "csrfmiddlewaretoken" in form
    assert ">Create a new link</button>" in form
    assert ">Cancel</a>" in html
    own.refresh_from_db()
    assert own.link_nonce == nonce
    assert not RelationshipEvent.objects.filter(kind="link_renewed").exists()
    # The customer's link still works after the confirmation page was seen.
    assert client.get(accept_path(own)).status_code == 302


def test_post_from_the_confirmation_page_makes_the_new_link(client, sales, own):
    client.force_login(sales)
    old_token = tokens.make_token(own)
    response = client.post(new_link_url(own))
    assert response.status_code == 302
    assert response["Location"] == reverse("invitations:email", args=[own.pk])
    own.refresh_from_db()
    assert not tokens.check_token(own, old_token)
    assert RelationshipEvent.objects.filter(
        kind="link_renewed", invitation_id=own.pk, actor=sales
    ).exists()


def test_post_without_csrf_token_is_refused(sales, own):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(sales)
    nonce = own.link_nonce
    assert client.post(new_link_url(own)).status_code == 403
    own.refresh_from_db()
    assert own.link_nonce == nonce


def test_sales_agent_cannot_open_a_colleagues_confirmation(
    client, sales, partner, admin_agent
):
    # R1: sales agents only for their own requests.
    colleague = factories.InvitationFactory(partner=partner, created_by=admin_agent)
    client.force_login(sales)
    assert client.get(new_link_url(colleague)).status_code == 403


@pytest.mark.parametrize("role", [Role.HELPDESK_AGENT, Role.BILLING_ADMIN])
def test_roles_without_the_right_cannot_open_it(client, make_partner_user, own, role):
    client.force_login(make_partner_user(role))
    assert client.get(new_link_url(own)).status_code == 403


def test_other_partners_request_is_404(client, sales, other_partner):
    # R17
    theirs = factories.InvitationFactory(partner=other_partner)
    client.force_login(sales)
    assert client.get(new_link_url(theirs)).status_code == 404
    assert client.post(new_link_url(theirs)).status_code == 404


def test_finished_request_says_there_is_nothing_to_replace(client, sales, partner):
    revoked = factories.InvitationFactory(
        partner=partner, created_by=sales, status=Invitation.Status.REVOKED
    )
    client.force_login(sales)
    response = client.get(new_link_url(revoked))
    assert response.status_code == 200
    assert "there is no link to replace" in text(response)
    assert "<button" not in main(response)


def test_email_draft_page_links_to_the_confirmation_with_get(client, sales, own):
    # The draft page no longer posts straight to new-link.
    client.force_login(sales)
    html = text(client.get(reverse("invitations:email", args=[own.pk])))
    assert f'<a class="button" href="{new_link_url(own)}">Create a new link</a>' in html
    assert f'action="{new_link_url(own)}"' not in html
