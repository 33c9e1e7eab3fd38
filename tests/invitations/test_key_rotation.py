"""R7: rotating SECRET_KEY keeps the links already sent working while the old key
is a fallback (DJANGO_SECRET_KEY_FALLBACKS), and only that long."""

import pytest
from django.test import Client
from django.urls import reverse

from invitations import tokens
from invitations.models import Invitation
from tests import factories
from tests.helpers import accept_path

pytestmark = pytest.mark.django_db

OLD_KEY = "old-key-for-the-rotation-test-0123456789abcdef"  # noqa: S105
NEW_KEY = "new-key-for-the-rotation-test-0123456789abcdef"  # noqa: S105


@pytest.fixture
def invitation(partner):
    return factories.InvitationFactory(partner=partner)


@pytest.fixture
def old_link(settings, invitation):
    settings.SECRET_KEY = OLD_KEY
    settings.SECRET_KEY_FALLBACKS = []
    return tokens.make_token(invitation)


def open_link(token):
    """Follow the link as a fresh browser does, to the acceptance page."""
    return Client().get(accept_path(token=token), follow=True)


def test_secret_key_fallbacks_is_a_setting(settings):
    assert isinstance(settings.SECRET_KEY_FALLBACKS, list)


def test_link_made_before_rotation_still_opens_the_acceptance_page(
    settings, invitation, old_link
):
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    assert tokens.check_token(invitation, old_link)
    response = open_link(old_link)
    assert response.status_code == 200
    assert response.redirect_chain  # through the dispatcher to the experience
    assert b'name="action" value="signin"' in response.content
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_session_proof_of_an_old_link_is_accepted_after_rotation(
    settings, invitation, old_link
):
    proof_before = tokens.session_proof(old_link)
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    # Made before the rotation, and made after it from the old link.
    assert tokens.check_session_proof(invitation, proof_before)
    assert tokens.check_session_proof(invitation, tokens.session_proof(old_link))


def test_new_links_are_made_with_the_new_key(settings, invitation, old_link):
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    new_link = tokens.make_token(invitation)
    assert new_link != old_link
    assert tokens.check_token(invitation, new_link)
    # Under the old key alone the new link is not valid: it was made with the new.
    settings.SECRET_KEY = OLD_KEY
    settings.SECRET_KEY_FALLBACKS = []
    assert not tokens.check_token(invitation, new_link)
    assert tokens.check_token(invitation, old_link)


def test_old_link_is_404_once_the_old_key_is_dropped(settings, invitation, old_link):
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = []
    assert not tokens.check_token(invitation, old_link)
    assert not tokens.check_session_proof(
        invitation, {"id": invitation.pk, "proof": "x"}
    )
    response = Client().get(reverse("invitations:accept", kwargs={"token": old_link}))
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.first_opened_at is None


def test_session_proof_made_under_a_dropped_key_is_refused(
    settings, invitation, old_link
):
    proof_before = tokens.session_proof(old_link)
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = []
    assert not tokens.check_session_proof(invitation, proof_before)


def test_renewed_link_invalidates_the_old_one_under_every_key(
    settings, invitation, old_link
):
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    invitation.link_nonce = "renewed-nonce"
    invitation.save(update_fields=["link_nonce"])
    assert not tokens.check_token(invitation, old_link)
