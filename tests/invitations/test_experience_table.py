"""R8: the portal URLs are generated from EXPERIENCES, so a new experience is one
row (plus its DISPATCH_TABLE rows and a template) and needs no hand-written URL."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import clear_url_caches, resolve, reverse
from django.utils import timezone

from config.logging import redact
from invitations import tokens, views
from invitations.experiences import AFTER, DISPATCH_TABLE, EXPERIENCES, Experience
from invitations.urls import experience_urlpatterns
from partners.models import Cloud
from tests import factories
from tests.invitations.teams_urls import TEAMS

TEAMS_URLCONF = "tests.invitations.teams_urls"
SENT_AFTER = datetime(2019, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def teams(monkeypatch):
    """A third experience: US government cloud invitations sent after the cutover
    open "teams" (the row replaces office for the test only)."""
    monkeypatch.setitem(EXPERIENCES, TEAMS.slug, TEAMS)
    monkeypatch.setitem(DISPATCH_TABLE, (Cloud.USGOV, AFTER), TEAMS)
    clear_url_caches()
    with override_settings(ROOT_URLCONF=TEAMS_URLCONF):
        yield TEAMS
    clear_url_caches()


def usgov_invitation_sent_after():
    partner = factories.PartnerFactory(cloud=Cloud.USGOV, country="US")
    return factories.InvitationFactory(
        partner=partner,
        sent_at=SENT_AFTER,
        expires_at=timezone.now() + timedelta(days=30),
    )


@pytest.mark.parametrize("slug", sorted(EXPERIENCES))
def test_project_urls_have_one_portal_page_per_experience(slug):
    experience = EXPERIENCES[slug]
    url = reverse(experience.url_name, kwargs={"token": "session"})
    assert url == f"/portals/{slug}/session/"
    match = resolve(f"/portals/{slug}/abc/")
    assert match.func is views.experience
    assert match.kwargs == {"token": "abc", "slug": slug}
    assert match.view_name == experience.url_name


def test_experience_urlpatterns_refuses_a_url_name_outside_the_app():
    wrong = Experience(
        slug="teams", url_name="teams", template="portals/office.html", title="T"
    )
    with pytest.raises(ImproperlyConfigured):
        experience_urlpatterns({"teams": wrong})


@pytest.mark.django_db
def test_new_experience_row_link_dispatches_to_its_page(client, teams):
    invitation = usgov_invitation_sent_after()
    token = tokens.make_token(invitation)
    response = client.get(reverse("invitations:accept", kwargs={"token": token}))
    assert response.status_code == 302
    assert response["Location"] == "/portals/teams/session/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert "Teams admin center" in content
    assert invitation.partner.name in content
    assert token not in content


@pytest.mark.django_db
def test_new_experience_opened_with_token_in_url_moves_it_to_session(client, teams):
    invitation = usgov_invitation_sent_after()
    token = tokens.make_token(invitation)
    response = client.get(f"/portals/teams/{token}/")
    assert response.status_code == 302
    assert response["Location"] == "/portals/teams/session/"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_new_experience_link_in_a_log_line_is_redacted(teams):
    # R7: the redaction goes by the token's shape, so a new portal needs no change.
    token = tokens.make_token(usgov_invitation_sent_after())
    line = f'"GET /portals/teams/{token}/ HTTP/1.1" 302'
    cleaned = redact(line)
    assert token not in cleaned
    assert token.split("-")[1] not in cleaned
    assert "[redacted]" in cleaned
