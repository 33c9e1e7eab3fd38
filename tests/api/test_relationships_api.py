"""R39: a reseller relationship through the API: get it, end it (R14)."""

import pytest
from django.urls import reverse

from customers.models import RelationshipEvent, ResellerRelationship, Subscription
from partners.models import Role
from tests import factories
from tests.helpers import assert_problem


def url(name, relationship):
    return reverse(f"api:reseller-relationship-{name}", args=[relationship.pk])


@pytest.fixture
def agent(make_partner_user):
    return make_partner_user(Role.ADMIN_AGENT, email="ada@contoso.test")


@pytest.fixture
def api(api_client, agent):
    return api_client(agent)


@pytest.fixture
def relationship(partner):
    return factories.RelationshipFactory(
        partner=partner, customer=factories.CustomerFactory(name="Fabrikam")
    )


def test_get_shows_the_relationship_and_what_blocks_its_end(api, partner, relationship):
    sub = factories.SubscriptionFactory(
        customer=relationship.customer, provisioned_by=partner, offer_name="E3"
    )

    data = api.get(url("detail", relationship)).json()

    assert data["id"] == relationship.pk
    assert data["customer"] == {"id": relationship.customer_id, "name": "Fabrikam"}
    assert data["status"] == "active" and data["dap_active"] is True
    assert data["blocking_subscriptions"] == [{"id": sub.pk, "offer_name": "E3"}]


def test_end_ends_it_with_its_event_as_the_page_does(api, agent, relationship):
    response = api.post(url("end", relationship), {"reason": "Moved"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ended"
    relationship.refresh_from_db()
    assert relationship.status == ResellerRelationship.Status.ENDED
    assert relationship.end_reason == "Moved" and relationship.dap_active is False
    event = RelationshipEvent.objects.get(kind="ended", relationship=relationship)
    assert event.actor == agent and event.details["side"] == "partner"
    # Ending again changes nothing (the service's own rule).
    assert api.post(url("end", relationship)).status_code == 200
    assert RelationshipEvent.objects.filter(kind="ended").count() == 1


def test_end_is_refused_while_subscriptions_are_active_r14(api, partner, relationship):
    factories.SubscriptionFactory(
        customer=relationship.customer, provisioned_by=partner, offer_name="E5"
    )

    body = assert_problem(
        api.post(url("end", relationship)), 422, "active_subscriptions"
    )

    assert "E5" in body["detail"]
    relationship.refresh_from_db()
    assert relationship.status == ResellerRelationship.Status.ACTIVE
    assert not RelationshipEvent.objects.filter(kind="ended").exists()


def test_another_partners_subscription_does_not_block(api, other_partner, relationship):
    factories.SubscriptionFactory(
        customer=relationship.customer,
        provisioned_by=other_partner,
        status=Subscription.Status.ACTIVE,
    )

    assert api.post(url("end", relationship)).status_code == 200


@pytest.mark.parametrize("role", [Role.SALES_AGENT, Role.HELPDESK_AGENT])
def test_roles_the_end_page_refuses_are_refused(
    api_client, make_partner_user, relationship, role
):
    client = api_client(make_partner_user(role))

    assert client.get(url("detail", relationship)).status_code == 200
    assert_problem(client.post(url("end", relationship)), 403, "role_required")
    relationship.refresh_from_db()
    assert relationship.is_active


def test_a_read_only_token_cannot_end(api_client, agent, relationship):
    client = api_client(agent, scope="read")

    assert_problem(client.post(url("end", relationship)), 403, "read_only_token")
    relationship.refresh_from_db()
    assert relationship.is_active


def test_another_partners_relationship_is_404(api, other_partner):
    theirs = factories.RelationshipFactory(partner=other_partner)

    assert_problem(api.get(url("detail", theirs)), 404, "not_found")
    assert_problem(api.post(url("end", theirs)), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.is_active


@pytest.mark.parametrize(
    "payload", [{"reason": 5}, {"reason": "x" * 501}, {"reason": "a\x00b"}, [1]]
)
def test_bad_json_is_a_problem_and_ends_nothing(api, relationship, payload):
    response = api.post(url("end", relationship), payload, format="json")

    assert_problem(response, 400, "invalid")
    relationship.refresh_from_db()
    assert relationship.is_active
