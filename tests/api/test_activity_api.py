"""R39/R41: the activity log in the API, with the page's filters, its R1
visibility and a fixed number of queries."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import RelationshipEvent
from partners.models import PartnerUserEvent, Role
from tests import factories

URL = "api:activity-list"


def _event(partner, customer=None, *, kind="accepted", at=None, actor=None):
    customer = customer or factories.CustomerFactory()
    return factories.RelationshipEventFactory(
        partner=partner,
        customer=customer,
        kind=kind,
        actor=actor,
        created_at=at or datetime(2026, 3, 10, 12, tzinfo=UTC),
    )


def _rows(client, *, people=False, **query):
    """The rows; without the token's own "token created" people event unless
    ``people``."""
    response = client.get(reverse(URL), query)
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    return rows if people else [r for r in rows if r["source"] != "people"]


def test_the_log_is_the_partners_own_events_newest_first(
    api_client, admin_agent, partner, other_partner
):
    old = _event(partner, at=datetime(2026, 3, 1, tzinfo=UTC))
    new = _event(partner, at=datetime(2026, 3, 5, tzinfo=UTC))
    _event(other_partner)
    rows = _rows(api_client(admin_agent))
    assert [(r["customer_id"], r["kind"]) for r in rows] == [
        (new.customer_id, "accepted"),
        (old.customer_id, "accepted"),
    ]
    assert rows[0]["action"] == "Accepted"
    assert rows[0]["source"] == "relationship"


def test_the_pages_filters(api_client, admin_agent, partner):
    fabrikam = factories.CustomerFactory(name="Fabrikam")
    in_range = _event(
        partner, fabrikam, at=datetime(2026, 3, 10, 9, tzinfo=UTC), actor=admin_agent
    )
    _event(partner, fabrikam, at=datetime(2026, 4, 1, tzinfo=UTC))
    _event(partner, kind="declined", at=datetime(2026, 3, 10, tzinfo=UTC))
    client = api_client(admin_agent)

    def kinds(**query):
        return [(r["customer_id"], r["kind"]) for r in _rows(client, **query)]

    march = {"from": "2026-03-01", "to": "2026-03-31"}
    assert len(kinds(**march)) == 2
    assert kinds(**march, customer=fabrikam.pk) == [(fabrikam.pk, "accepted")]
    assert kinds(**march, action="relationship:declined")[0][1] == "declined"
    assert kinds(person=admin_agent.pk) == [(in_range.customer_id, "accepted")]


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-13-01"},
        {"from": "2026-03-02", "to": "2026-03-01"},
        {"action": "relationship:nothing"},
        {"customer": "abc"},
        {"customer": "9" * 30},
        {"to": ""},
    ],
)
def test_bad_filters_are_400_problems(api_client, admin_agent, query):
    response = api_client(admin_agent).get(reverse(URL), query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_people_events_only_for_the_roles_of_the_users_page(
    api_client, make_partner_user, partner
):
    """R1: a Sales agent sees relationship events, not people changes."""
    factories.PartnerUserEventFactory(partner=partner)
    _event(partner)
    sales = make_partner_user(Role.SALES_AGENT, email="sam@contoso.test")
    admin = make_partner_user(Role.GLOBAL_ADMIN, email="gina@contoso.test")
    assert {r["source"] for r in _rows(api_client(sales), people=True)} == {
        "relationship"
    }
    assert {r["source"] for r in _rows(api_client(admin), people=True)} >= {
        "relationship",
        "people",
    }
    assert PartnerUserEvent.objects.exists()


def test_limit_offset_pages(api_client, admin_agent, partner):
    for day in range(1, 8):
        _event(partner, at=datetime(2026, 3, day, tzinfo=UTC))
    client = api_client(admin_agent)
    body = client.get(
        reverse(URL), {"limit": 3, "offset": 3, "action": "relationship:accepted"}
    ).json()
    assert body["count"] == 7
    assert len(body["results"]) == 3
    assert body["next"] and body["previous"]


def _queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(URL)).status_code == 200
    return len(queries)


def test_a_page_costs_the_same_queries_for_1_or_40_events(
    api_client, admin_agent, partner
):
    client = api_client(admin_agent)
    _event(partner, actor=admin_agent)
    _queries(client)
    one = _queries(client)
    for _ in range(39):
        _event(partner, actor=admin_agent)
    assert _queries(client) == one
    assert RelationshipEvent.objects.count() == 40
