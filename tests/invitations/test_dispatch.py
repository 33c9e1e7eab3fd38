"""R8: the acceptance link is dispatched by cloud and by when it was sent."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from invitations import tokens
from invitations.experiences import (
    AFTER,
    BEFORE,
    DISPATCH_TABLE,
    experience_for,
)
from invitations.models import Invitation
from invitations.views import SESSION_KEY
from partners.models import Cloud
from tests import factories
from tests.helpers import accept_path

pytestmark = pytest.mark.django_db

CUTOVER = datetime(2018, 11, 1, tzinfo=UTC)
SENT_BEFORE = datetime(2018, 10, 15, 9, 30, tzinfo=UTC)
SENT_AFTER = datetime(2019, 3, 1, 9, 30, tzinfo=UTC)
COUNTRY_OF_CLOUD = {Cloud.PUBLIC: "FR", Cloud.GERMANY: "DE", Cloud.USGOV: "US"}

# The R8 table as DESIGN.md states it, row by row.
R8_ROWS = [
    (Cloud.PUBLIC, SENT_BEFORE, "office"),
    (Cloud.PUBLIC, SENT_AFTER, "store"),
    (Cloud.GERMANY, SENT_BEFORE, "office"),
    (Cloud.GERMANY, SENT_AFTER, "office"),
    (Cloud.USGOV, SENT_BEFORE, "office"),
    (Cloud.USGOV, SENT_AFTER, "office"),
]


def invitation_sent(*, cloud=Cloud.PUBLIC, sent_at=None, **fields):
    """A pending invitation sent at ``sent_at`` whose link still works today."""
    sent_at = sent_at or timezone.now()
    partner = factories.PartnerFactory(cloud=cloud, country=COUNTRY_OF_CLOUD[cloud])
    return factories.InvitationFactory(
        partner=partner,
        sent_at=sent_at,
        expires_at=max(sent_at, timezone.now()) + timedelta(days=30),
        **fields,
    )


def open_link(client, invitation):
    return client.get(accept_path(invitation))


def experience_url(slug, token="session"):
    return reverse(f"invitations:{slug}", kwargs={"token": token})


def test_dispatch_table_has_one_row_per_cloud_and_era():
    # R8: adding a cloud means adding its rows; none may be missing.
    assert set(DISPATCH_TABLE) == {
        (cloud, era) for cloud in Cloud.values for era in (BEFORE, AFTER)
    }


@pytest.mark.parametrize(("cloud", "sent_at", "slug"), R8_ROWS)
def test_experience_for_cloud_and_sent_date_follows_r8_table(cloud, sent_at, slug):
    # R8
    assert experience_for(cloud=cloud, sent_at=sent_at).slug == slug


@pytest.mark.parametrize(("cloud", "sent_at", "slug"), R8_ROWS)
def test_dispatcher_for_cloud_and_sent_date_redirects_to_r8_experience(
    client, cloud, sent_at, slug
):
    # R8: the link itself lands on the experience of the table.
    invitation = invitation_sent(cloud=cloud, sent_at=sent_at)
    response = open_link(client, invitation)
    assert response.status_code == 302
    assert response["Location"] == experience_url(slug)


@pytest.mark.parametrize(
    ("sent_at", "slug"),
    [
        (CUTOVER, "store"),
        (CUTOVER - timedelta(microseconds=1), "office"),
        (CUTOVER + timedelta(microseconds=1), "store"),
    ],
)
def test_dispatcher_at_exact_cutover_instant_counts_as_after(client, sent_at, slug):
    # R8: "an invitation sent at or after it is after".
    invitation = invitation_sent(sent_at=sent_at)
    response = open_link(client, invitation)
    assert response["Location"] == experience_url(slug)


def test_dispatcher_with_cutover_setting_overridden_uses_the_setting(client, settings):
    # R8: the cutover comes from INVITATION_EXPERIENCE_CUTOVER, not a constant.
    settings.INVITATION_EXPERIENCE_CUTOVER = datetime(2030, 1, 1, tzinfo=UTC)
    invitation = invitation_sent(sent_at=datetime(2025, 6, 1, tzinfo=UTC))
    assert open_link(client, invitation)["Location"] == experience_url("office")

    settings.INVITATION_EXPERIENCE_CUTOVER = datetime(2025, 6, 1, tzinfo=UTC)
    assert open_link(client, invitation)["Location"] == experience_url("store")


def test_dispatcher_with_genuine_link_moves_token_into_session(client):
    # R7/R8: like Django's password reset, the secret leaves the address bar.
    invitation = invitation_sent()
    token = tokens.make_token(invitation)
    response = client.get(reverse("invitations:accept", kwargs={"token": token}))
    assert response.status_code == 302
    assert token not in response["Location"]
    assert response["Location"] == "/portals/store/session/"
    # R7: the session keeps a proof of the link (an HMAC), never the link itself.
    assert client.session[SESSION_KEY] == tokens.session_proof(token)
    assert token not in str(dict(client.session))


def test_dispatcher_then_experience_page_shows_the_request(client):
    invitation = invitation_sent(sent_at=SENT_BEFORE)
    response = open_link(client, invitation)
    assert response["Location"] == "/portals/office/session/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert invitation.partner.name in page.content.decode()
    assert "Office admin portal" in page.content.decode()
    assert tokens.make_token(invitation) not in page.content.decode()


def test_dispatcher_is_never_cached(client):
    response = open_link(client, invitation_sent())
    assert "no-cache" in response["Cache-Control"]


def test_opened_is_recorded_when_a_person_acts_on_the_page_once(client):
    # A bare GET is what mail security gateways do with every link: not "opened".
    invitation = invitation_sent()
    first = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)
    invitation.expires_at = first + timedelta(days=90)
    invitation.save(update_fields=["expires_at"])
    with time_machine.travel(first, tick=False):
        page = open_link(client, invitation)["Location"]
        assert client.get(page).status_code == 200
    invitation.refresh_from_db()
    assert invitation.first_opened_at is None

    with time_machine.travel(first + timedelta(hours=1), tick=False):
        client.post(page, {"action": "signin", "email": "x@y.example", "password": "x"})
    invitation.refresh_from_db()
    assert invitation.first_opened_at == first + timedelta(hours=1)

    with time_machine.travel(first + timedelta(days=2), tick=False):
        client.post(page, {"action": "switch"})
    invitation.refresh_from_db()
    assert invitation.first_opened_at == first + timedelta(hours=1)


def test_experience_opened_with_token_in_url_drops_token_from_url(client):
    # R7: /portals/office/<token>/ works, and the token moves into the session.
    invitation = invitation_sent(sent_at=SENT_BEFORE)
    token = tokens.make_token(invitation)
    response = client.get(experience_url("office", token))
    assert response.status_code == 302
    assert response["Location"] == experience_url("office")
    assert token not in response["Location"]
    assert client.session[SESSION_KEY] == tokens.session_proof(token)
    assert client.get(response["Location"]).status_code == 200


def test_experience_opened_with_token_of_other_experience_redirects_to_right_one(
    client,
):
    # R8: a Store invitation opened on the Office URL goes to the Store.
    invitation = invitation_sent(sent_at=SENT_AFTER)
    token = tokens.make_token(invitation)
    response = client.get(experience_url("office", token))
    assert response["Location"] == experience_url("store")


@pytest.mark.parametrize(
    ("sent_at", "wrong", "right"),
    [(SENT_AFTER, "office", "store"), (SENT_BEFORE, "store", "office")],
)
def test_wrong_experience_page_with_link_in_session_redirects_to_right_one(
    client, sent_at, wrong, right
):
    # R8: the table decides, not the address the visitor typed.
    invitation = invitation_sent(sent_at=sent_at)
    open_link(client, invitation)
    response = client.get(experience_url(wrong))
    assert response.status_code == 302
    assert response["Location"] == experience_url(right)
    assert client.get(response["Location"]).status_code == 200


def test_dispatcher_with_pending_invitation_changes_only_first_opened_at(client):
    invitation = invitation_sent()
    open_link(client, invitation)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.customer is None
    assert invitation.responded_at is None
