"""R43: the Notifications page, the bell, and marking notices read (R17 isolation)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import Notification
from partners.models import Role
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db

PAGE = reverse("partners:notifications")
READ = reverse("partners:notifications_read")


def notice(recipient, customer="Adatum", **fields):
    return factories.NotificationFactory(
        recipient=recipient,
        params={"customer": customer, "partner": "Contoso", "invitation_id": 1},
        **fields,
    )


def accepted_text(customer):
    return f"{customer} accepted your reseller relationship request."


@pytest.fixture
def agent(admin_agent):
    return admin_agent


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


# --- Who may open the page (R1) ----------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_partner_role_opens_the_page_and_sees_its_notices(
    client, make_partner_user, role
):
    user = make_partner_user(role)
    notice(user, customer="Fabrikam")
    client.force_login(user)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert accepted_text("Fabrikam") in text(response)


def test_a_customer_administrator_opens_the_page(client):
    admin = factories.customer_admin()
    notice(admin, customer="Northwind")
    client.force_login(admin)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert accepted_text("Northwind") in text(response)


def test_staff_open_the_page(client):
    staff = factories.UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(PAGE).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    response = client.post(READ, {"all": "1"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- What the page shows ---------------------------------------------------------


def test_page_lists_newest_first_with_unread_marked_in_text(agent_client, agent):
    now = timezone.now()
    old = notice(agent, customer="Oldco", read_at=now)
    new = notice(agent, customer="Newco")
    Notification.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=2))
    body = text(agent_client.get(PAGE))
    assert body.index(accepted_text("Newco")) < body.index(accepted_text("Oldco"))
    # The unread one carries the word, not only a colour; the read one says so.
    new_item = body[body.index(accepted_text("Newco")) - 600 :]
    assert '<span class="badge badge--unread">Unread</span>' in new_item
    assert '<span class="visually-hidden">Read</span>' in body
    assert body.count('name="id"') == 1  # Mark as read only for the unread one
    assert f'value="{new.pk}"' in body


def test_page_shows_time_element_label_and_link(agent_client, agent):
    item = notice(agent, link="/invitations/")
    body = text(agent_client.get(PAGE))
    assert f'<time datetime="{item.created_at:%Y-%m-%dT%H:%M:%S}' in body
    assert "Invitation accepted" in body  # the kind's label
    assert f'<a href="/invitations/">{accepted_text("Adatum")}</a>' in body


def test_a_link_out_of_the_portal_is_not_shown(agent_client, agent):
    notice(agent, link="//evil.example/")
    body = text(agent_client.get(PAGE))
    assert "evil.example" not in body
    assert accepted_text("Adatum") in body


def test_unread_filter_shows_only_unread(agent_client, agent):
    notice(agent, customer="Readco", read_at=timezone.now())
    notice(agent, customer="Unreadco")
    body = text(agent_client.get(PAGE, {"show": "unread"}))
    assert accepted_text("Unreadco") in body
    assert accepted_text("Readco") not in body
    assert accepted_text("Readco") in text(agent_client.get(PAGE))


def test_empty_page_says_so(agent_client):
    assert "No notifications yet." in text(agent_client.get(PAGE))
    assert "No unread notifications." in text(
        agent_client.get(PAGE, {"show": "unread"})
    )


def test_page_is_paginated(agent_client, agent):
    Notification.objects.bulk_create(
        Notification(recipient=agent, kind="invitation_accepted", params={})
        for _ in range(30)
    )
    first = text(agent_client.get(PAGE))
    assert first.count('name="id"') == 25
    assert 'rel="next"' in first
    second = text(agent_client.get(PAGE, {"page": 2}))
    assert second.count('name="id"') == 5


def test_page_shows_only_the_persons_own_notices(agent_client, agent):
    # R17: another partner's user's notice never shows.
    notice(factories.partner_user(), customer="Secretco")
    notice(agent, customer="Mineco")
    body = text(agent_client.get(PAGE))
    assert accepted_text("Secretco") not in body
    assert accepted_text("Mineco") in body


# --- Mark as read / Mark all as read -----------------------------------------------


def test_mark_one_read_and_come_back(agent_client, agent):
    item = notice(agent)
    other = notice(agent)
    back = f"{PAGE}?show=unread&page=1"
    response = agent_client.post(READ, {"id": item.pk, "next": back})
    assert response.status_code == 302
    assert response["Location"] == back
    item.refresh_from_db()
    other.refresh_from_db()
    assert item.read_at is not None
    assert other.read_at is None


def test_mark_read_of_someone_elses_notice_is_404_and_changes_nothing(
    agent_client, make_partner_user
):
    # R17: a colleague's notice and another partner's are both someone else's.
    colleague = notice(make_partner_user(Role.GLOBAL_ADMIN))
    elsewhere = notice(factories.partner_user())
    for item in (colleague, elsewhere):
        assert agent_client.post(READ, {"id": item.pk}).status_code == 404
        item.refresh_from_db()
        assert item.read_at is None


@pytest.mark.parametrize("bad_id", ["", "abc", "1" * 40, "-1"])
def test_mark_read_with_a_bad_id_is_404(agent_client, agent, bad_id):
    item = notice(agent)
    assert agent_client.post(READ, {"id": bad_id}).status_code == 404
    item.refresh_from_db()
    assert item.read_at is None


def test_mark_all_read_marks_only_mine(agent_client, agent):
    mine = [notice(agent), notice(agent)]
    theirs = notice(factories.partner_user())
    response = agent_client.post(READ, {"all": "1", "next": PAGE})
    assert response.status_code == 302
    assert all(
        n.read_at is not None for n in Notification.objects.filter(recipient=agent)
    )
    assert len(mine) == 2
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_needs_post(agent_client, agent):
    item = notice(agent)
    assert agent_client.get(READ, {"id": item.pk}).status_code == 405
    item.refresh_from_db()
    assert item.read_at is None


def test_mark_read_needs_csrf(agent):
    item = notice(agent)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.post(READ, {"id": item.pk}).status_code == 403
    item.refresh_from_db()
    assert item.read_at is None


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "", "javascript:x"]
)
def test_mark_read_never_redirects_off_site(agent_client, agent, next_url):
    response = agent_client.post(READ, {"all": "1", "next": next_url})
    assert response["Location"] == PAGE


def test_page_forms_post_with_csrf_and_come_back_to_the_same_view(agent_client, agent):
    notice(agent)
    body = text(agent_client.get(PAGE, {"show": "unread"}))
    assert body.count("csrfmiddlewaretoken") >= 2  # Mark as read + Mark all as read
    assert 'name="next" value="/notifications/?show=unread"' in body
    assert "Mark all as read" in body


def test_no_mark_all_button_without_unread(agent_client, agent):
    notice(agent, read_at=timezone.now())
    assert "Mark all as read" not in text(agent_client.get(PAGE))


# --- The bell ----------------------------------------------------------------------


def test_bell_counts_unread_and_follows_marking(agent_client, agent):
    items = [notice(agent), notice(agent), notice(agent, read_at=timezone.now())]
    notice(factories.partner_user())  # not mine
    assert "2 unread" in text(agent_client.get(reverse("customers:list")))
    agent_client.post(READ, {"id": items[0].pk})
    assert "1 unread" in text(agent_client.get(reverse("customers:list")))
    agent_client.post(READ, {"all": "1"})
    assert "unread" not in text(agent_client.get(reverse("customers:list")))


@pytest.mark.parametrize("url", [reverse("customers:list"), PAGE])
def test_bell_costs_one_query(agent_client, agent, url):
    # R43: counted once per page, shared with the page's own "you have N unread".
    notice(agent)
    with CaptureQueriesContext(connection) as queries:
        agent_client.get(url)
    counts = [
        q["sql"]
        for q in queries.captured_queries
        if "core_notification" in q["sql"] and "COUNT(" in q["sql"].upper()
    ]
    assert len(counts) == 1


def test_bell_links_to_the_page(agent_client):
    body = text(agent_client.get(reverse("customers:list")))
    assert f'class="bell" href="{PAGE}"' in body


# --- Constant queries (at 5 and 500) ------------------------------------------------


@pytest.mark.parametrize("rows", [5, 500])
@pytest.mark.parametrize("show", ["all", "unread"])
def test_page_queries_do_not_grow_with_notices(
    agent_client, agent, django_assert_max_num_queries, rows, show
):
    Notification.objects.bulk_create(
        Notification(
            recipient=agent,
            kind="invitation_accepted",
            params={"customer": f"C{i}", "partner": "P"},
            link="/invitations/",
        )
        for i in range(rows)
    )
    with django_assert_max_num_queries(9):
        response = agent_client.get(PAGE, {"show": show, "page": 2 if rows > 25 else 1})
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [5, 500])
def test_mark_all_read_queries_do_not_grow(
    agent_client, agent, django_assert_max_num_queries, rows
):
    Notification.objects.bulk_create(
        Notification(recipient=agent, kind="invitation_accepted", params={})
        for _ in range(rows)
    )
    # 6: the session's second factor (R28) is read once per request.
    with django_assert_max_num_queries(6):
        agent_client.post(READ, {"all": "1"})
    assert not Notification.objects.filter(read_at__isnull=True).exists()
