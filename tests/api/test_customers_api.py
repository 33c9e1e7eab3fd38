"""R39 on the Customers page's data (R11, R34, R17): list with search and
cursor, constant queries, one customer's card as R34 allows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import ResellerRelationship
from partners.models import Role
from tests import factories

LIST = "api:customer-list"


def _detail(customer_id):
    return reverse("api:customer-detail", kwargs={"customer_id": customer_id})


def _customer(partner, **fields):
    customer = factories.CustomerFactory(**fields)
    factories.RelationshipFactory(
        partner=partner, customer=customer, customer_name=customer.name
    )
    return customer


def test_the_list_is_the_partners_active_customers(
    api_client, admin_agent, partner, other_partner
):
    mine = _customer(partner, name="Fabrikam")
    _customer(other_partner, name="Not mine")
    ended = _customer(partner, name="Ended Ltd")
    ResellerRelationship.objects.filter(customer=ended).update(
        status=ResellerRelationship.Status.ENDED, ended_at=timezone.now()
    )
    response = api_client(admin_agent).get(reverse(LIST))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert rows[0]["name"] == "Fabrikam"
    assert rows[0]["admin_privileges"] is True


def test_search_by_name_or_domain_as_the_page(api_client, admin_agent, partner):
    fabrikam = _customer(partner, name="Fabrikam", domain="fabrikam.example")
    tailspin = _customer(partner, name="Tailspin", domain="flytoys.example")
    client = api_client(admin_agent)

    def ids(search):
        response = client.get(reverse(LIST), {"search": search})
        return {row["id"] for row in response.json()["results"]}

    assert ids("fabri") == {fabrikam.pk}
    assert ids("FLYTOYS") == {tailspin.pk}
    assert ids("nothing like it") == set()


def test_an_unknown_access_filter_is_400(api_client, admin_agent):
    response = api_client(admin_agent).get(reverse(LIST), {"access": "everything"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "access"


def test_cursor_pages_cover_every_customer_once(api_client, admin_agent, partner):
    made = {_customer(partner).pk for _ in range(30)}
    client = api_client(admin_agent)
    first = client.get(reverse(LIST)).json()
    assert len(first["results"]) == 25
    assert first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert second["next"] is None
    seen = [row["id"] for row in first["results"] + second["results"]]
    assert sorted(seen) == sorted(made)
    small = client.get(reverse(LIST), {"page_size": 10}).json()
    assert len(small["results"]) == 10


@pytest.mark.parametrize("size", ["0", "-1", "ten", "1.5"])
def test_a_bad_page_size_is_400(api_client, admin_agent, size):
    response = api_client(admin_agent).get(reverse(LIST), {"page_size": size})
    assert response.status_code == 400


def test_a_bad_cursor_is_404_not_500(api_client, admin_agent):
    response = api_client(admin_agent).get(reverse(LIST), {"cursor": "garbage"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(LIST)).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_1_or_30_customers(
    api_client, admin_agent, partner
):
    client = api_client(admin_agent)
    _customer(partner)
    _list_queries(client)  # the token's last_used_at is written once
    one = _list_queries(client)
    for _ in range(29):
        customer = _customer(partner)
        factories.SubscriptionFactory(customer=customer, provisioned_by=partner)
        factories.ServiceRequestFactory(customer=customer, partner=partner)
    assert _list_queries(client) == one
    assert one <= 4


def test_detail_shows_users_and_licenses_with_dap(api_client, admin_agent, partner):
    customer = _customer(partner, name="Fabrikam")
    factories.DirectoryUserFactory(customer=customer, display_name="Megan Bowen")
    factories.LicenseFactory(customer=customer)
    body = api_client(admin_agent).get(_detail(customer.pk)).json()
    assert body["name"] == "Fabrikam"
    assert [u["name"] for u in body["users"]] == ["Megan Bowen"]
    assert body["licenses"][0]["product"] == "Microsoft 365 E3"
    assert body["hidden_sections"] == []


def test_a_sales_agent_sees_the_customer_but_not_its_directory(
    api_client, make_partner_user, partner
):
    """R1: Sales agents never see users and licenses, as on the page."""
    customer = _customer(partner)
    factories.DirectoryUserFactory(customer=customer)
    sales = make_partner_user(Role.SALES_AGENT, email="sam@contoso.test")
    body = api_client(sales).get(_detail(customer.pk)).json()
    assert body["users"] is None
    assert body["licenses"] is None
    assert body["hidden_sections"] == [
        {"section": "users", "reason": "partner_role"},
        {"section": "licenses", "reason": "partner_role"},
    ]


def test_without_dap_or_admin_role_the_directory_is_hidden(
    api_client, admin_agent, partner
):
    customer = _customer(partner)
    ResellerRelationship.objects.filter(customer=customer).update(dap_active=False)
    factories.DirectoryUserFactory(customer=customer)
    body = api_client(admin_agent).get(_detail(customer.pk)).json()
    assert body["users"] is None
    assert {s["reason"] for s in body["hidden_sections"]} == {"no_admin_access"}


def test_an_admin_relationship_role_grants_users_only(api_client, admin_agent, partner):
    """R34: without DAP, a User administrator role shows users, not licenses."""
    customer = _customer(partner)
    ResellerRelationship.objects.filter(customer=customer).update(dap_active=False)
    factories.DirectoryUserFactory(customer=customer, display_name="Megan Bowen")
    relationship = factories.admin_relationship(
        partner, customer, roles=("user_administrator",)
    )
    group = factories.security_group(partner, admin_agent)
    factories.assignment(relationship, group)
    body = api_client(admin_agent).get(_detail(customer.pk)).json()
    assert [u["name"] for u in body["users"]] == ["Megan Bowen"]
    assert body["licenses"] is None
    assert body["hidden_sections"] == [
        {"section": "licenses", "reason": "no_admin_access"}
    ]
    assert [a["name"] for a in body["admin_relationships"]] == [relationship.name]


def test_an_ended_relationship_shows_nothing_current(api_client, admin_agent, partner):
    customer = _customer(partner, name="Fabrikam", domain="fabrikam.example")
    ResellerRelationship.objects.filter(customer=customer).update(
        status=ResellerRelationship.Status.ENDED, ended_at=timezone.now()
    )
    body = api_client(admin_agent).get(_detail(customer.pk)).json()
    assert body["relationship"]["status"] == "ended"
    assert body["domain"] == ""
    assert {s["reason"] for s in body["hidden_sections"]} == {"relationship_ended"}


def test_another_partners_customer_is_404(api_client, admin_agent, other_partner):
    theirs = _customer(other_partner)
    response = api_client(admin_agent).get(_detail(theirs.pk))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
