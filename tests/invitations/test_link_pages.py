"""R7: what a link that does not work says, and with which status."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from customers.models import ResellerRelationship
from invitations import services, tokens
from invitations.models import Invitation
from tests import factories

pytestmark = pytest.mark.django_db

INVALID_TEXT = "This link is not valid"
SESSION_MISSING_TEXT = "Open the link from your email"


def accept_url(token):
    return reverse("invitations:accept", kwargs={"token": token})


def comparable(html: str) -> str:
    # Every page carries a fresh CSRF token and its own address (the language
    # form's "next"): neither tells anything about other invitations.
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'name="next" type="hidden" value="[^"]+"', "", html)


def tampered(token: str) -> str:
    id_part, digest = token.split("-")
    flipped = "0" if digest[0] != "0" else "1"
    return f"{id_part}-{flipped}{digest[1:]}"


@pytest.fixture
def invitation(partner):
    return factories.InvitationFactory(partner=partner)


@pytest.mark.parametrize(
    "token",
    [
        "made-up",
        "zzzzzz-" + "a" * 40,
        # An id beyond any database integer: still a 404, never a 500 (R20).
        "zzzzzzzzzzzzz-" + "a" * 40,
        "-" + "a" * 40,
        "1-" + "0" * 40,
        "not a token at all",
        "x" * 300,
    ],
)
def test_link_with_made_up_token_shows_invalid_page_with_404(client, token):
    # R7: unknown → 404 with a page that says what to do.
    response = client.get(accept_url(token))
    assert response.status_code == 404
    assert INVALID_TEXT in response.content.decode()
    assert "Ask your partner to send you a new link." in response.content.decode()


def test_link_with_tampered_digest_for_existing_id_is_identical_to_unknown_id(
    client, invitation
):
    # R7: a wrong digest must not reveal that the invitation id exists.
    real = tokens.make_token(invitation)
    unknown_id = f"{tokens.int_to_base36(invitation.pk + 1000)}-{real.split('-')[1]}"
    forged = client.get(accept_url(tampered(real)))
    unknown = client.get(accept_url(unknown_id))
    assert forged.status_code == unknown.status_code == 404
    assert comparable(forged.content.decode()) == comparable(unknown.content.decode())
    assert invitation.partner.name not in forged.content.decode()
    invitation.refresh_from_db()
    assert invitation.first_opened_at is None
    assert "_invitation_link" not in client.session


def test_link_with_tampered_digest_of_revoked_invitation_is_404_not_410(client):
    # R7: "revoked" is said only when the token itself is genuine.
    invitation = factories.InvitationFactory(status=Invitation.Status.REVOKED)
    response = client.get(accept_url(tampered(tokens.make_token(invitation))))
    assert response.status_code == 404
    assert "revoked" not in response.content.decode()


def test_link_after_acceptance_shows_already_used_page_with_410(client, partner):
    # R7: single use.
    customer = factories.CustomerFactory()
    relationship = factories.RelationshipFactory(partner=partner, customer=customer)
    invitation = factories.InvitationFactory(
        partner=partner,
        status=Invitation.Status.ACCEPTED,
        customer=customer,
        relationship=relationship,
    )
    response = client.get(accept_url(tokens.make_token(invitation)))
    assert response.status_code == 410
    body = response.content.decode()
    assert "This link has already been used" in body
    assert partner.name in body


def test_link_past_expiry_still_pending_shows_expired_page_with_410(client, invitation):
    # R7: expiry is read from expires_at, whether or not a job marked it.
    with time_machine.travel(invitation.expires_at + timedelta(seconds=1)):
        response = client.get(accept_url(tokens.make_token(invitation)))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert "send you a new link" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_link_at_exact_expiry_instant_is_expired(client, invitation):
    with time_machine.travel(invitation.expires_at, tick=False):
        response = client.get(accept_url(tokens.make_token(invitation)))
    assert response.status_code == 410


def test_link_one_second_before_expiry_still_works(client, invitation):
    with time_machine.travel(invitation.expires_at - timedelta(seconds=1), tick=False):
        response = client.get(accept_url(tokens.make_token(invitation)))
    assert response.status_code == 302


def test_link_marked_expired_shows_expired_page_with_410(client, partner):
    invitation = factories.InvitationFactory(
        partner=partner, status=Invitation.Status.EXPIRED
    )
    response = client.get(accept_url(tokens.make_token(invitation)))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()


def test_link_after_revocation_shows_revoked_page_with_410(
    client, invitation, admin_agent
):
    # R7: revocable.
    token = tokens.make_token(invitation)
    services.invitation_revoke(invitation_id=invitation.pk, actor=admin_agent)
    response = client.get(accept_url(token))
    assert response.status_code == 410
    assert "This link was revoked" in response.content.decode()
    assert invitation.partner.name in response.content.decode()


def test_link_after_decline_shows_declined_page_with_410(client, invitation):
    customer_admin = factories.customer_admin()
    services.invitation_decline(invitation_id=invitation.pk, admin_user=customer_admin)
    response = client.get(accept_url(tokens.make_token(invitation)))
    assert response.status_code == 410
    assert "This request was declined" in response.content.decode()


def test_old_link_after_new_link_is_created_shows_invalid_page_with_404(
    client, invitation, admin_agent
):
    # R7: "Create a new link" invalidates the old one.
    old = tokens.make_token(invitation)
    renewed = services.invitation_renew_link(
        invitation_id=invitation.pk, actor=admin_agent
    )
    response = client.get(accept_url(old))
    assert response.status_code == 404
    assert INVALID_TEXT in response.content.decode()
    assert client.get(accept_url(tokens.make_token(renewed))).status_code == 302


@pytest.mark.parametrize("slug", ["office", "store"])
def test_experience_page_without_link_in_session_shows_help_page(client, slug):
    response = client.get(reverse(f"invitations:{slug}", kwargs={"token": "session"}))
    assert response.status_code == 404
    assert SESSION_MISSING_TEXT in response.content.decode()
    assert "Open the link in your partner" in response.content.decode()


def test_experience_page_after_revocation_of_opened_link_shows_410(
    client, invitation, admin_agent
):
    # R7: the session copy of the link stops working as soon as it is revoked.
    response = client.get(accept_url(tokens.make_token(invitation)))
    services.invitation_revoke(invitation_id=invitation.pk, actor=admin_agent)
    page = client.get(response["Location"])
    assert page.status_code == 410
    assert "This link was revoked" in page.content.decode()


def test_experience_page_after_new_link_for_opened_link_shows_404(
    client, invitation, admin_agent
):
    response = client.get(accept_url(tokens.make_token(invitation)))
    services.invitation_renew_link(invitation_id=invitation.pk, actor=admin_agent)
    page = client.get(response["Location"])
    assert page.status_code == 404
    assert INVALID_TEXT in page.content.decode()


def test_experience_page_post_accept_after_revocation_creates_nothing(
    client, invitation, admin_agent
):
    admin = factories.customer_admin()
    client.force_login(admin)
    response = client.get(accept_url(tokens.make_token(invitation)))
    services.invitation_revoke(invitation_id=invitation.pk, actor=admin_agent)
    page = client.post(
        response["Location"], {"action": "accept", "invitation": invitation.pk}
    )
    assert page.status_code == 410
    assert not ResellerRelationship.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
