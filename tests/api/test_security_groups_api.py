"""R39: security groups (R33) through the API."""

import pytest
from django.urls import reverse

from gdap.models import GdapEvent, SecurityGroup
from partners.models import Role
from tests import factories
from tests.helpers import assert_problem

LIST = reverse("api:security-group-list")


def url(group):
    return reverse("api:security-group-detail", args=[group.pk])


@pytest.fixture
def agent(make_partner_user):
    return make_partner_user(Role.ADMIN_AGENT, email="ada@contoso.test")


@pytest.fixture
def api(api_client, agent):
    return api_client(agent)


def test_create_with_members_writes_the_group_and_its_event(
    api, agent, make_partner_user
):
    bea = make_partner_user(Role.HELPDESK_AGENT, email="bea@contoso.test")

    response = api.post(
        LIST, {"name": "Tier 1", "member_ids": [bea.pk, agent.pk]}, format="json"
    )

    assert response.status_code == 201, response.content
    group = SecurityGroup.objects.get(pk=response.json()["id"])
    assert group.name == "Tier 1"
    assert set(group.members.values_list("pk", flat=True)) == {bea.pk, agent.pk}
    assert {m["email"] for m in response.json()["members"]} == {
        "bea@contoso.test",
        "ada@contoso.test",
    }
    assert GdapEvent.objects.filter(
        kind="group_created", group_id=group.pk, actor=agent
    ).exists()


@pytest.mark.parametrize(
    "name, code", [("", "name_required"), ("x" * 51, "name_too_long")]
)
def test_name_rules_are_the_pages(api, name, code):
    assert_problem(api.post(LIST, {"name": name}, format="json"), 422, code)
    assert not SecurityGroup.objects.exists()


def test_a_duplicate_name_and_someone_elses_person_are_refused(
    api, partner, other_partner, make_partner_user
):
    factories.security_group(partner, name="Tier 1")
    stranger = make_partner_user(Role.ADMIN_AGENT, of=other_partner)

    assert_problem(api.post(LIST, {"name": "tier 1"}, format="json"), 422, "name_taken")
    response = api.post(LIST, {"name": "B", "member_ids": [stranger.pk]}, format="json")
    assert_problem(response, 422, "unknown_member")
    assert SecurityGroup.objects.count() == 1


def test_patch_renames_and_sets_members_and_keeps_what_is_left_out(
    api, partner, agent, make_partner_user
):
    bea = make_partner_user(Role.HELPDESK_AGENT, email="bea@contoso.test")
    group = factories.security_group(partner, agent, name="Tier 1")

    renamed = api.patch(url(group), {"name": "Tier 2"}, format="json")

    assert renamed.status_code == 200, renamed.content
    assert [m["id"] for m in renamed.json()["members"]] == [agent.pk]
    moved = api.patch(url(group), {"member_ids": [bea.pk]}, format="json")
    assert moved.json()["name"] == "Tier 2"
    assert [m["id"] for m in moved.json()["members"]] == [bea.pk]
    kinds = list(GdapEvent.objects.values_list("kind", flat=True))
    assert sorted(kinds) == ["group_members_changed", "group_renamed"]


def test_delete_is_refused_while_assigned_then_works(api, partner):
    group = factories.security_group(partner)
    relationship = factories.admin_relationship(partner, factories.CustomerFactory())
    assignment = factories.assignment(relationship, group)

    assert_problem(api.delete(url(group)), 422, "group_in_use")
    assert SecurityGroup.objects.filter(pk=group.pk).exists()
    assignment.delete()
    assert api.delete(url(group)).status_code == 204
    assert not SecurityGroup.objects.filter(pk=group.pk).exists()
    assert GdapEvent.objects.filter(kind="group_deleted").exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"name": 7},
        {"name": "A", "member_ids": "1,2"},
        {"name": "A", "member_ids": ["x"]},
        {"name": "A", "member_ids": [2**64]},
        {"name": "A", "member_ids": list(range(1, 500))},
        {"name": "A\x00"},
        {"name": "y" * 5000},
        {},
    ],
)
def test_bad_json_is_a_400_problem_and_changes_nothing(api, partner, payload):
    group = factories.security_group(partner, name="Keep")

    assert_problem(api.post(LIST, payload, format="json"), 400, "invalid")
    if payload:
        assert_problem(api.patch(url(group), payload, format="json"), 400, "invalid")
    assert list(SecurityGroup.objects.values_list("name", flat=True)) == ["Keep"]


@pytest.mark.parametrize("role", [Role.SALES_AGENT, Role.HELPDESK_AGENT])
def test_roles_the_pages_refuse(api_client, make_partner_user, partner, role):
    group = factories.security_group(partner)
    client = api_client(make_partner_user(role))

    assert_problem(client.get(LIST), 403, "role_required")
    assert_problem(client.delete(url(group)), 403, "role_required")
    assert SecurityGroup.objects.filter(pk=group.pk).exists()


def test_a_read_only_token_cannot_change(api_client, agent, partner):
    group = factories.security_group(partner, name="Keep")
    client = api_client(agent, scope="read")

    assert client.get(url(group)).status_code == 200
    assert_problem(
        client.post(LIST, {"name": "B"}, format="json"), 403, "read_only_token"
    )
    assert_problem(
        client.patch(url(group), {"name": "B"}, format="json"), 403, "read_only_token"
    )
    assert_problem(client.delete(url(group)), 403, "read_only_token")
    assert list(SecurityGroup.objects.values_list("name", flat=True)) == ["Keep"]


def test_another_partners_group_is_404(api, other_partner):
    theirs = factories.security_group(other_partner, name="Theirs")

    for response in (
        api.get(url(theirs)),
        api.patch(url(theirs), {"name": "Mine"}, format="json"),
        api.delete(url(theirs)),
    ):
        assert_problem(response, 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def test_list_paginates_with_constant_queries(
    api, partner, agent, make_partner_user, django_assert_max_num_queries
):
    factories.security_group(partner, agent)
    api.get(LIST)
    with django_assert_max_num_queries(8) as one:
        assert len(api.get(LIST).json()["results"]) == 1
    people = [make_partner_user(Role.HELPDESK_AGENT) for _ in range(3)]
    for _ in range(19):
        factories.security_group(partner, *people)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(api.get(LIST).json()["results"]) == 20
    page = api.get(LIST, {"page_size": 10}).json()
    assert len(page["results"]) == 10 and page["next"]
