"""R39: service requests (R16, R44) through the API: list, open, get."""

import pytest
from django.urls import reverse

from customers.models import RelationshipEvent, ResellerRelationship, ServiceRequest
from partners.models import Role
from tests import factories
from tests.helpers import assert_problem

LIST = reverse("api:service-request-list")


def url(service_request):
    return reverse("api:service-request-detail", args=[service_request.pk])


@pytest.fixture
def agent(make_partner_user):
    return make_partner_user(Role.HELPDESK_AGENT, email="hugo@contoso.test")


@pytest.fixture
def api(api_client, agent):
    return api_client(agent)


@pytest.fixture
def relationship(partner):
    return factories.RelationshipFactory(
        partner=partner, customer=factories.CustomerFactory(name="Fabrikam")
    )


def open_one(api, relationship, **fields):
    payload = {
        "customer_id": relationship.customer_id,
        "title": "Mailbox full",
        "description": "Since this morning.",
        "severity": "high",
        **fields,
    }
    return api.post(LIST, payload, format="json")


def test_open_creates_the_request_and_its_event_as_the_page(
    api, agent, partner, relationship
):
    response = open_one(api, relationship)

    assert response.status_code == 201, response.content
    data = response.json()
    opened = ServiceRequest.objects.get(pk=data["id"])
    assert opened.partner == partner and opened.customer == relationship.customer
    assert opened.opened_by == agent and opened.severity == "high"
    assert data["number"] == opened.number and data["notes"] == []
    assert RelationshipEvent.objects.filter(
        kind="service_request_opened", relationship=relationship
    ).exists()


def test_the_pages_form_messages_for_missing_text(api, relationship):
    body = assert_problem(
        open_one(api, relationship, title="  ", description=""), 400, "invalid"
    )

    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert messages == {
        "title": "Enter a title.",
        "description": "Describe what the customer needs.",
    }
    assert not ServiceRequest.objects.exists()


def test_an_ended_relationship_is_the_services_refusal(api, relationship):
    ResellerRelationship.objects.filter(pk=relationship.pk).update(
        status="ended", ended_at=relationship.since
    )

    assert_problem(open_one(api, relationship), 422, "not_active")
    assert not ServiceRequest.objects.exists()


def test_another_partners_customer_is_unknown(api, other_partner):
    theirs = factories.RelationshipFactory(partner=other_partner)

    body = assert_problem(open_one(api, theirs), 400, "invalid")

    assert body["errors"][0]["field"] == "customer_id"
    assert body["errors"][0]["code"] == "unknown_customer"
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"title": 5},
        {"title": "x" * 201},
        {"title": "a\x00b"},
        {"description": "d" * 20_000},
        {"severity": "urgent!!"},
        {"customer_id": "abc"},
        {"customer_id": 2**64},
        {"customer_id": None},
    ],
)
def test_bad_json_is_a_400_problem_and_opens_nothing(api, relationship, fields):
    assert_problem(open_one(api, relationship, **fields), 400, "invalid")
    assert not ServiceRequest.objects.exists()


def test_sales_agents_are_refused_as_on_the_pages(
    api_client, make_partner_user, relationship
):
    client = api_client(make_partner_user(Role.SALES_AGENT))

    assert_problem(client.get(LIST), 403, "role_required")
    assert_problem(open_one(client, relationship), 403, "role_required")
    assert not ServiceRequest.objects.exists()


def test_a_read_only_token_reads_but_cannot_open(api_client, agent, relationship):
    client = api_client(agent, scope="read")

    assert client.get(LIST).status_code == 200
    assert_problem(open_one(client, relationship), 403, "read_only_token")


def test_get_shows_the_notes_the_partner_may_see(api, partner, relationship):
    sr = factories.ServiceRequestFactory(
        partner=partner, customer=relationship.customer
    )
    factories.ServiceRequestNoteFactory(service_request=sr, body="Looking")
    factories.ServiceRequestNoteFactory(
        service_request=sr, body="Internal", is_internal=True
    )

    data = api.get(url(sr)).json()

    assert data["id"] == sr.pk and data["customer"]["name"] == "Fabrikam"
    assert [n["body"] for n in data["notes"]] == ["Looking"]


def test_another_partners_request_is_404(api, other_partner):
    theirs = factories.ServiceRequestFactory(partner=other_partner)

    assert_problem(api.get(url(theirs)), 404, "not_found")
    assert theirs.pk not in [r["id"] for r in api.get(LIST).json()["results"]]


def test_list_filters_paginates_and_costs_the_same_for_1_or_20_rows(
    api, partner, relationship, django_assert_max_num_queries
):
    def add(n, **fields):
        for _ in range(n):
            factories.ServiceRequestFactory(
                partner=partner, customer=relationship.customer, **fields
            )

    add(1, severity="critical")
    api.get(LIST)
    with django_assert_max_num_queries(8) as one:
        assert len(api.get(LIST).json()["results"]) == 1
    add(19)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(api.get(LIST).json()["results"]) == 20
    critical = api.get(LIST, {"severity": "critical"}).json()["results"]
    assert len(critical) == 1
    page = api.get(LIST, {"page_size": 12}).json()
    rest = api.get(page["next"]).json()
    ids = [r["id"] for r in page["results"] + rest["results"]]
    assert len(ids) == 20 == len(set(ids))


def test_a_filter_outside_its_choices_is_a_400_naming_it(api, partner, relationship):
    # The page ignores it (a hand-edited query string); an API client is told,
    # rather than getting every row for a filter it thinks it applied.
    factories.ServiceRequestFactory(partner=partner, customer=relationship.customer)

    for params, field in (
        ({"status": "nonsense"}, "status"),
        ({"customer": "x"}, "customer"),
    ):
        response = api.get(LIST, params)
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert len(api.get(LIST, {"status": "new"}).json()["results"]) == 1
    assert api.get(LIST, {"q": "a\x00b"}).status_code == 400
