"""R39: admin relationships (R31, R35) and access assignments (R33) through the API."""

import pytest
from django.urls import reverse

from gdap.models import AccessAssignment, AdminRelationship, GdapEvent
from invitations import tokens
from invitations.models import Invitation
from partners.models import Role
from tests import factories
from tests.helpers import assert_problem

LIST = reverse("api:admin-relationship-list")


def url(name, relationship, *args):
    return reverse(f"api:admin-relationship-{name}", args=[relationship.pk, *args])


@pytest.fixture
def agent(make_partner_user):
    return make_partner_user(Role.ADMIN_AGENT, email="ada@contoso.test")


@pytest.fixture
def api(api_client, agent):
    return api_client(agent)


@pytest.fixture
def customer(partner):
    return factories.RelationshipFactory(
        partner=partner, customer=factories.CustomerFactory(name="Fabrikam")
    ).customer


@pytest.fixture
def active(partner, customer):
    return factories.admin_relationship(
        partner, customer, roles=("helpdesk_administrator", "user_administrator")
    )


def create(api, **fields):
    payload = {"name": "Helpdesk", "roles": ["helpdesk_administrator"], **fields}
    return api.post(LIST, payload, format="json")


def test_create_makes_the_relationship_its_request_and_event_with_the_link_once(
    api, agent, customer
):
    response = create(
        api,
        customer_id=customer.pk,
        duration_days=90,
        auto_extend=True,
        roles=["user_administrator", "helpdesk_administrator"],
    )

    assert response.status_code == 201, response.content
    data = response.json()
    relationship = AdminRelationship.objects.get(pk=data["id"])
    assert relationship.name == "Helpdesk" and relationship.duration_days == 90
    assert relationship.auto_extend and relationship.customer == customer
    assert [r["code"] for r in data["roles"]] == [
        "helpdesk_administrator",
        "user_administrator",
    ]
    assert data["status"] == "approval_pending"
    assert relationship.invitation.kind == Invitation.Kind.ADMIN_RELATIONSHIP
    assert data["link"] == tokens.link_for(relationship.invitation)
    assert GdapEvent.objects.filter(
        kind="requested", relationship=relationship, actor=agent
    ).exists()
    # The link is never shown again.
    token = tokens.make_token(relationship.invitation)
    assert token not in api.get(url("detail", relationship)).content.decode()
    assert token not in api.get(LIST).content.decode()


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"name": ""}, "name_required"),
        ({"name": "x" * 51}, "name_too_long"),
        ({"duration_days": 0}, "duration_range"),
        ({"duration_days": 731}, "duration_range"),
        ({"roles": []}, "roles_required"),
        ({"roles": ["owner"]}, "unknown_role"),
        (
            {"roles": ["global_administrator"], "auto_extend": True},
            "auto_extend_with_global_admin",
        ),
        ({"customer_id": 999999}, "unknown_customer"),
    ],
)
def test_r31s_refusals_are_the_pages_codes_and_create_nothing(api, fields, code):
    assert_problem(create(api, **fields), 422, code)

    assert not AdminRelationship.objects.exists()
    assert not Invitation.objects.exists()


def test_a_duplicate_name_is_refused_whatever_its_case(api, partner):
    factories.admin_relationship(partner, status="approval_pending", name="Helpdesk")

    assert_problem(create(api, name="HELPDESK"), 422, "name_taken")
    assert AdminRelationship.objects.count() == 1


def test_another_partners_customer_is_unknown(api, other_partner):
    theirs = factories.RelationshipFactory(partner=other_partner).customer

    assert_problem(create(api, customer_id=theirs.pk), 422, "unknown_customer")


@pytest.mark.parametrize(
    "payload",
    [
        {"name": 5, "roles": ["helpdesk_administrator"]},
        {"name": "A", "roles": "helpdesk_administrator"},
        {"name": "A", "roles": [5]},
        {"name": "A", "roles": ["helpdesk_administrator"], "duration_days": "x"},
        {"name": "A", "roles": ["helpdesk_administrator"], "duration_days": 10**40},
        {"name": "A", "roles": ["helpdesk_administrator"], "customer_id": 2**64},
        {"name": "A", "roles": ["helpdesk_administrator"], "customer_id": "1; --"},
        {"name": "x" * 100_000, "roles": ["helpdesk_administrator"]},
        {"name": "A\x00B", "roles": ["helpdesk_administrator"]},
        {"roles": ["helpdesk_administrator"]},
        {"name": "A", "roles": ["helpdesk_administrator"], "auto_extend": "often"},
        [],
    ],
)
def test_bad_json_is_a_400_problem_and_creates_nothing(api, payload):
    response = api.post(LIST, payload, format="json")

    assert_problem(response, 400, "invalid")
    assert not AdminRelationship.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.SALES_AGENT, Role.HELPDESK_AGENT, Role.USER_MANAGEMENT_ADMIN]
)
def test_only_global_admins_and_admin_agents(
    api_client, make_partner_user, active, role
):
    client = api_client(make_partner_user(role))

    assert_problem(client.get(LIST), 403, "role_required")
    assert_problem(create(client), 403, "role_required")
    assert_problem(client.get(url("detail", active)), 403, "role_required")
    assert_problem(client.post(url("terminate", active)), 403, "role_required")
    assert AdminRelationship.objects.count() == 1


def test_a_read_only_token_reads_but_writes_nothing(api_client, agent, active):
    client = api_client(agent, scope="read")

    assert client.get(url("detail", active)).status_code == 200
    assert_problem(create(client), 403, "read_only_token")
    assert_problem(client.post(url("terminate", active)), 403, "read_only_token")
    active.refresh_from_db()
    assert active.status == AdminRelationship.Status.ACTIVE


def test_terminate_ends_it_with_its_event(api, agent, active):
    response = api.post(url("terminate", active), {"reason": "Done"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "terminated"
    event = GdapEvent.objects.get(kind="terminated", relationship=active)
    assert event.actor == agent and event.details["reason"] == "Done"


def test_terminating_an_expired_one_is_the_pages_refusal(api, partner, customer):
    expired = factories.admin_relationship(partner, customer, status="expired")

    assert_problem(api.post(url("terminate", expired)), 422, "not_active_expired")


def test_assignments_create_change_and_delete_as_the_page(api, partner, agent, active):
    group = factories.security_group(partner, agent, name="Tier 1")

    made = api.post(
        url("assignment-list", active),
        {"group_id": group.pk, "roles": ["helpdesk_administrator"]},
        format="json",
    )

    assert made.status_code == 201, made.content
    assignment = AccessAssignment.objects.get(pk=made.json()["id"])
    assert made.json()["group"] == {"id": group.pk, "name": "Tier 1"}
    assert GdapEvent.objects.filter(kind="assignment_created").count() == 1
    listed = api.get(url("assignment-list", active)).json()
    assert [a["id"] for a in listed] == [assignment.pk]
    one = url("assignment-detail", active, assignment.pk)
    changed = api.patch(
        one,
        {"roles": ["helpdesk_administrator", "user_administrator"]},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert {r["code"] for r in changed.json()["roles"]} == {
        "helpdesk_administrator",
        "user_administrator",
    }
    assert GdapEvent.objects.filter(kind="assignment_changed").count() == 1
    assert api.get(one).json()["id"] == assignment.pk
    assert api.delete(one).status_code == 204
    assert not AccessAssignment.objects.exists()
    assert GdapEvent.objects.filter(kind="assignment_deleted").count() == 1


def test_assignment_refusals_are_the_services(api, partner, other_partner, active):
    mine = factories.security_group(partner)
    theirs = factories.security_group(other_partner)
    post = lambda **f: api.post(url("assignment-list", active), f, format="json")  # noqa: E731

    assert_problem(
        post(group_id=mine.pk, roles=["global_reader"]), 422, "role_not_in_relationship"
    )
    assert_problem(
        post(group_id=theirs.pk, roles=["helpdesk_administrator"]), 422, "unknown_group"
    )
    assert_problem(post(group_id=mine.pk, roles=[]), 422, "roles_required")
    assert_problem(post(group_id="x", roles=[]), 400, "invalid")
    assert not AccessAssignment.objects.exists()


def test_no_assignment_on_a_relationship_that_is_not_active(api, partner, customer):
    pending = factories.admin_relationship(partner, status="approval_pending")
    group = factories.security_group(partner)

    response = api.post(
        url("assignment-list", pending),
        {"group_id": group.pk, "roles": ["helpdesk_administrator"]},
        format="json",
    )

    assert_problem(response, 422, "not_active_approval_pending")


def test_another_partners_ids_are_404(api, partner, other_partner, active):
    theirs = factories.admin_relationship(
        other_partner, factories.CustomerFactory(), roles=("helpdesk_administrator",)
    )
    their_assignment = factories.assignment(
        theirs, factories.security_group(other_partner)
    )

    assert_problem(api.get(url("detail", theirs)), 404, "not_found")
    assert_problem(api.post(url("terminate", theirs)), 404, "not_found")
    assert_problem(api.get(url("assignment-list", theirs)), 404, "not_found")
    # Their assignment under my relationship's id is not mine either.
    for method in (api.get, api.delete):
        response = method(url("assignment-detail", active, their_assignment.pk))
        assert_problem(response, 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.status == AdminRelationship.Status.ACTIVE
    assert AccessAssignment.objects.filter(pk=their_assignment.pk).exists()


def test_list_filters_paginates_and_costs_the_same_for_1_or_20_rows(
    api, partner, customer, django_assert_max_num_queries
):
    factories.admin_relationship(partner, customer, name="First")
    api.get(LIST)
    with django_assert_max_num_queries(8) as one:
        assert len(api.get(LIST).json()["results"]) == 1
    for n in range(19):
        factories.admin_relationship(partner, customer, name=f"More {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(api.get(LIST).json()["results"]) == 20

    page = api.get(LIST, {"page_size": 15}).json()
    rest = api.get(page["next"]).json()
    assert len(page["results"]) + len(rest["results"]) == 20
    found = api.get(LIST, {"q": "first"}).json()["results"]
    assert [r["name"] for r in found] == ["First"]


@pytest.mark.parametrize(
    "q, code", [("a\x00b", "malformed_request"), ("x" * 300, "invalid")]
)
def test_a_bad_search_is_a_400_problem(api, q, code):
    assert_problem(api.get(LIST, {"q": q}), 400, code)


def test_a_status_filter_outside_its_choices_is_a_400(api_client, admin_agent):
    client = api_client(admin_agent)
    for path in ("/api/v1/admin-relationships/", "/api/v1/relationship-requests/"):
        response = client.get(path, {"status": "AAA"})
        assert response.status_code == 400, path
        assert response.json()["errors"][0]["field"] == "status"
