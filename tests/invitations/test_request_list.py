"""Relationship requests (/invitations/): R1 actions, R7 revoke / new link, R17."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import RelationshipEvent
from invitations import tokens
from invitations.models import Invitation
from partners.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("invitations:list")
# session, user, notices, membership, roles, partner, count, invitations (+ creator,
# customer joined); 8 today.
MAX_LIST_QUERIES = 9


def rows(html):
    """Each table row of the list, in page order."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    return re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S) if body else []


def row_of(html, invitation):
    for row in rows(html):
        if reverse("invitations:email", args=[invitation.pk]) in row or (
            f">{invitation.recipient_email}<" in row
        ):
            return row
    return ""


def actions(row):
    return {
        "email": "View email" in row,
        "revoke": "/revoke/" in row,
        "new_link": "/new-link/" in row,
    }


@pytest.fixture
def sara(partner):
    return factories.partner_user(
        partner=partner,
        role=Role.SALES_AGENT,
        email="sara@contoso.test",
        first_name="Sara",
        last_name="Sales",
    )


@pytest.fixture
def sam(partner):
    return factories.partner_user(
        partner=partner, role=Role.SALES_AGENT, email="sam@contoso.test"
    )


def invite(partner, creator, days_ago=0, **fields):
    fields.setdefault("sent_at", timezone.now() - timedelta(days=days_ago))
    fields.setdefault("expires_at", fields["sent_at"] + timedelta(days=90))
    return factories.InvitationFactory(partner=partner, created_by=creator, **fields)


# --- The list -----------------------------------------------------------------------


def test_list_newest_first(client, admin_agent, partner, sara):
    old = invite(partner, sara, days_ago=30, recipient_email="old@example.test")
    new = invite(partner, sara, days_ago=1, recipient_email="new@example.test")
    mid = invite(partner, sara, days_ago=10, recipient_email="mid@example.test")
    client.force_login(admin_agent)
    html = client.get(LIST_URL).content.decode()
    order = [
        next(i.recipient_email for i in (old, new, mid) if i.recipient_email in row)
        for row in rows(html)
    ]
    assert order == ["new@example.test", "mid@example.test", "old@example.test"]


def test_list_shows_dap_recipient_dates_and_creator(client, admin_agent, partner, sara):
    invitation = invite(
        partner,
        sara,
        recipient_email="admin@tailspin.example",
        include_dap=False,
        sent_at=timezone.now().replace(year=2026, month=2, day=3, hour=12),
        expires_at=timezone.now().replace(year=2026, month=5, day=4, hour=12),
    )
    client.force_login(admin_agent)
    row = row_of(client.get(LIST_URL).content.decode(), invitation)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert re.search(r"<td[^>]*>No</td>", row)  # DAP
    assert "admin@tailspin.example" in row
    assert "3 February 2026" in row
    assert "4 May 2026" in row
    assert "Sara Sales" in row
    assert len(cells) == 8


def test_list_shows_each_status(client, admin_agent, partner, sara):
    # Issue 4: pending, accepted, declined, expired, revoked
    relationship = factories.RelationshipFactory(partner=partner)
    made = {
        "Pending": invite(partner, sara, recipient_email="p@example.test"),
        "Accepted": invite(
            partner,
            sara,
            recipient_email="a@example.test",
            status=Invitation.Status.ACCEPTED,
            customer=relationship.customer,
            relationship=relationship,
        ),
        "Declined": invite(
            partner,
            sara,
            recipient_email="d@example.test",
            status=Invitation.Status.DECLINED,
        ),
        "Expired": invite(
            partner,
            sara,
            recipient_email="e@example.test",
            status=Invitation.Status.EXPIRED,
        ),
        "Revoked": invite(
            partner,
            sara,
            recipient_email="r@example.test",
            status=Invitation.Status.REVOKED,
        ),
    }
    client.force_login(admin_agent)
    html = client.get(LIST_URL).content.decode()
    for label, invitation in made.items():
        row = row_of(html, invitation)
        # Issue 12: a status is a labelled badge.
        assert re.search(rf'<span class="badge badge--\w+">{label}</span>', row)
    accepted_row = row_of(html, made["Accepted"])
    assert relationship.customer.name in accepted_row


def test_list_in_french_shows_french_statuses_and_actions(
    client, admin_agent, partner, sara
):
    # R19: labels of section 5
    invite(partner, sara, recipient_email="p@example.test")
    invite(partner, sara, recipient_email="r@example.test", status="revoked")
    invite(partner, sara, recipient_email="e@example.test", status="expired")
    invite(partner, sara, recipient_email="d@example.test", status="declined")
    client.force_login(admin_agent)
    client.cookies["django_language"] = "fr"
    html = client.get(LIST_URL).content.decode()
    assert "<h1>Demandes de relation</h1>" in html
    for label in ("En attente", "Révoquée", "Expirée", "Refusée"):
        assert f">{label}</span>" in html
    assert ">Révoquer</a>" in html
    assert ">Créer un nouveau lien</a>" in html


def test_list_pending_past_its_date_shows_expired(client, admin_agent, partner, sara):
    # R7: a pending link past expires_at is expired, even before any cron runs.
    stale = invite(
        partner,
        sara,
        days_ago=100,
        recipient_email="stale@example.test",
        expires_at=timezone.now() - timedelta(days=10),
    )
    client.force_login(admin_agent)
    row = row_of(client.get(LIST_URL).content.decode(), stale)
    assert ">Expired</span>" in row
    assert actions(row) == {"email": True, "revoke": False, "new_link": False}


def test_list_shows_only_own_partners_requests(client, admin_agent, partner, sara):
    # R17
    mine = invite(partner, sara, recipient_email="mine@example.test")
    stranger = factories.partner_user(role=Role.GLOBAL_ADMIN)
    theirs = invite(
        stranger.partner_membership.partner, stranger, recipient_email="t@example.test"
    )
    client.force_login(admin_agent)
    html = client.get(LIST_URL).content.decode()
    assert mine.recipient_email in html
    assert theirs.recipient_email not in html
    assert reverse("invitations:email", args=[theirs.pk]) not in html


def test_list_status_filter(client, admin_agent, partner, sara):
    pending = invite(partner, sara, recipient_email="p@example.test")
    revoked = invite(partner, sara, recipient_email="r@example.test", status="revoked")
    client.force_login(admin_agent)
    html = client.get(LIST_URL, {"status": "revoked"}).content.decode()
    assert revoked.recipient_email in html
    assert pending.recipient_email not in html
    # An unknown filter shows everything rather than failing (R20).
    html = client.get(LIST_URL, {"status": "nonsense"}).content.decode()
    assert revoked.recipient_email in html
    assert pending.recipient_email in html


def test_list_empty_state(client, admin_agent):
    client.force_login(admin_agent)
    html = client.get(LIST_URL).content.decode()
    assert "No requests yet." in html


# --- Actions per R1 -----------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT])
def test_list_admins_manage_every_pending_request(
    client, make_partner_user, partner, sara, role
):
    # R1 row 4
    pending = invite(partner, sara, recipient_email="p@example.test")
    client.force_login(make_partner_user(role))
    row = row_of(client.get(LIST_URL).content.decode(), pending)
    assert actions(row) == {"email": True, "revoke": True, "new_link": True}


def test_list_sales_agent_manages_only_own_requests(client, partner, sara, sam):
    # R1 row 4: "own requests"
    own = invite(partner, sara, recipient_email="own@example.test")
    colleagues = invite(partner, sam, recipient_email="theirs@example.test")
    client.force_login(sara)
    html = client.get(LIST_URL).content.decode()
    assert actions(row_of(html, own)) == {
        "email": True,
        "revoke": True,
        "new_link": True,
    }
    other_row = row_of(html, colleagues)
    assert other_row  # sales agents see every request of their partner...
    assert actions(other_row) == {"email": False, "revoke": False, "new_link": False}


@pytest.mark.parametrize("status", ["accepted", "declined", "revoked", "expired"])
def test_list_no_revoke_or_new_link_for_finished_requests(
    client, admin_agent, partner, sara, status
):
    extra = {}
    if status == "accepted":
        relationship = factories.RelationshipFactory(partner=partner)
        extra = {"customer": relationship.customer, "relationship": relationship}
    done = invite(
        partner, sara, recipient_email="x@example.test", status=status, **extra
    )
    client.force_login(admin_agent)
    row = row_of(client.get(LIST_URL).content.decode(), done)
    assert actions(row) == {"email": True, "revoke": False, "new_link": False}


# --- Revoke (R7) ---------------------------------------------------------------------


def test_revoke_get_shows_confirmation_and_changes_nothing(client, partner, sara):
    invitation = invite(partner, sara)
    client.force_login(sara)
    response = client.get(reverse("invitations:revoke", args=[invitation.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Revoke this request?" in html
    assert re.search(r'<form method="post"', html)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert not RelationshipEvent.objects.filter(kind="revoked").exists()


def test_revoke_post_revokes_writes_event_and_link_stops(client, partner, sara):
    invitation = invite(partner, sara)
    token = tokens.make_token(invitation)
    client.force_login(sara)
    response = client.post(reverse("invitations:revoke", args=[invitation.pk]))
    assert response.status_code == 302
    assert response.url == LIST_URL
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert invitation.revoked_at is not None
    event = RelationshipEvent.objects.get(kind="revoked", invitation_id=invitation.pk)
    assert event.actor == sara
    page = client.get(LIST_URL).content.decode()
    assert "The request was revoked; its link no longer works." in page
    client.logout()
    assert client.get(reverse("invitations:accept", args=[token])).status_code == 410


def test_revoke_sales_agent_colleagues_request_is_403(client, partner, sara, sam):
    invitation = invite(partner, sam)
    client.force_login(sara)
    url = reverse("invitations:revoke", args=[invitation.pk])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_revoke_accepted_request_is_refused_with_message(
    client, admin_agent, partner, sara
):
    relationship = factories.RelationshipFactory(partner=partner)
    accepted = invite(
        partner,
        sara,
        status=Invitation.Status.ACCEPTED,
        customer=relationship.customer,
        relationship=relationship,
    )
    client.force_login(admin_agent)
    response = client.post(
        reverse("invitations:revoke", args=[accepted.pk]), follow=True
    )
    assert "This request is no longer pending (Accepted)." in response.content.decode()
    accepted.refresh_from_db()
    assert accepted.status == Invitation.Status.ACCEPTED


def test_revoke_twice_changes_nothing_the_second_time(client, partner, sara):
    invitation = invite(partner, sara)
    client.force_login(sara)
    url = reverse("invitations:revoke", args=[invitation.pk])
    client.post(url)
    invitation.refresh_from_db()
    first_revoked_at = invitation.revoked_at
    client.post(url)
    invitation.refresh_from_db()
    assert invitation.revoked_at == first_revoked_at
    assert RelationshipEvent.objects.filter(kind="revoked").count() == 1


# --- New link (R7) -------------------------------------------------------------------


def test_new_link_get_only_asks_for_confirmation(client, partner, sara):
    # Changes are POST only: a GET shows the confirmation page (R45) and changes
    # nothing (tests/invitations/test_new_link_confirm.py has the page).
    invitation = invite(partner, sara)
    nonce = invitation.link_nonce
    client.force_login(sara)
    response = client.get(reverse("invitations:new_link", args=[invitation.pk]))
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.link_nonce == nonce


def test_new_link_post_renews_and_restarts_expiry(client, partner, sara, settings):
    settings.INVITATION_TTL_DAYS = 10
    invitation = invite(partner, sara, days_ago=5)
    old_token = tokens.make_token(invitation)
    client.force_login(sara)
    response = client.post(reverse("invitations:new_link", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert not tokens.check_token(invitation, old_token)
    assert invitation.expires_at - invitation.sent_at == timedelta(days=10)
    assert invitation.sent_at > timezone.now() - timedelta(minutes=1)
    assert RelationshipEvent.objects.filter(
        kind="link_renewed", invitation_id=invitation.pk, actor=sara
    ).exists()


def test_new_link_for_revoked_request_is_refused(client, partner, sara):
    invitation = invite(partner, sara, status=Invitation.Status.REVOKED)
    nonce = invitation.link_nonce
    client.force_login(sara)
    response = client.post(
        reverse("invitations:new_link", args=[invitation.pk]), follow=True
    )
    assert "no longer pending" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.link_nonce == nonce
    assert invitation.status == Invitation.Status.REVOKED


# --- Constant queries ---------------------------------------------------------------


def list_query_count(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def make_requests(partner, count):
    creators = [
        factories.partner_user(partner=partner, role=Role.SALES_AGENT) for _ in range(3)
    ]
    relationship = factories.RelationshipFactory(partner=partner)
    for i in range(count):
        extra = {}
        if i % 4 == 0:
            extra = {
                "status": Invitation.Status.ACCEPTED,
                "customer": relationship.customer,
                "relationship": relationship,
            }
        invite(partner, creators[i % 3], days_ago=i % 30, **extra)


def test_list_queries_same_for_few_and_many_requests(
    client, admin_agent, partner, django_assert_max_num_queries
):
    client.force_login(admin_agent)
    make_requests(partner, 30)
    few, few_html = list_query_count(client)
    assert len(rows(few_html)) == 25
    make_requests(partner, 60)
    many, many_html = list_query_count(client)
    assert len(rows(many_html)) == 25
    assert many == few
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        client.get(LIST_URL, {"page": 3})


def test_list_filter_uses_the_status_people_see(client, admin_agent, partner, sara):
    # A pending link past its date shows as expired, and filters as expired.
    fresh = invite(partner, sara, recipient_email="fresh@tailspin.example")
    stale = invite(
        partner, sara, days_ago=120, recipient_email="stale@tailspin.example"
    )
    client.force_login(admin_agent)
    url = reverse("invitations:list")
    pending = client.get(url, {"status": "pending"}).content.decode()
    expired = client.get(url, {"status": "expired"}).content.decode()
    assert row_of(pending, fresh) and not row_of(pending, stale)
    assert row_of(expired, stale) and not row_of(expired, fresh)


def test_unfiltered_list_pagination_keeps_every_status(client, admin_agent, partner):
    for days in range(30):
        invite(partner, admin_agent, days_ago=days)
    client.force_login(admin_agent)
    html = client.get(reverse("invitations:list")).content.decode()
    assert "status=pending" not in html
    assert '<option value="" selected' in html or 'value="pending" selected' not in html


@pytest.mark.parametrize("language", ["en", "fr"])
def test_list_dates_read_as_the_date_filter_writes_them(
    client, admin_agent, partner, sara, language
):
    from django.template import Context, Template
    from django.utils import translation

    invitation = invite(partner, sara, days_ago=3, recipient_email="d@t.example")
    client.force_login(admin_agent)
    client.cookies["django_language"] = language
    row = row_of(client.get(reverse("invitations:list")).content.decode(), invitation)
    with translation.override(language):
        expected = Template('{{ d|date:"DATE_FORMAT" }}').render(
            Context({"d": invitation.sent_at})
        )
    assert re.search(rf"<td[^>]*>{re.escape(expected)}</td>", row)
