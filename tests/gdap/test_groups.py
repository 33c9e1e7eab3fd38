"""R33: Security groups: create, rename, members, delete when unused."""

import pytest
from django.urls import reverse

from gdap.models import GdapEvent, SecurityGroup
from partners.models import Role
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def ava(make_partner_user):
    return make_partner_user(Role.GLOBAL_ADMIN, email="ava@contoso.test")


@pytest.fixture
def hugo(make_partner_user):
    return make_partner_user(
        Role.HELPDESK_AGENT, email="hugo@contoso.test", first_name="Hugo"
    )


@pytest.fixture
def signed_in(client, ava):
    client.force_login(ava)
    return client


def test_groups_page_lists_members_and_assignments(signed_in, partner, hugo):
    group = factories.security_group(partner, hugo, name="Helpdesk team")
    customer = factories.CustomerFactory()
    factories.assignment(factories.admin_relationship(partner, customer), group)
    response = signed_in.get(reverse("gdap:groups"))
    assert response.status_code == 200
    body = text(response)
    assert "Helpdesk team" in body
    assert "Hugo" in body
    assert '<td data-label="Assignments">1</td>' in body
    assert "Create a security group" in body


def test_create_group_with_members(signed_in, partner, hugo, ava):
    response = signed_in.post(
        reverse("gdap:groups"), {"name": "Helpdesk team", "members": [hugo.pk]}
    )
    assert response.status_code == 302
    group = SecurityGroup.objects.get(partner=partner)
    assert group.name == "Helpdesk team"
    assert list(group.members.all()) == [hugo]
    assert GdapEvent.objects.filter(kind="group_created", group_id=group.pk).exists()


def test_rename_and_set_members(signed_in, partner, hugo, ava):
    group = factories.security_group(partner, hugo, name="Helpdesk team")
    url = reverse("gdap:group", kwargs={"group_id": group.pk})
    page = signed_in.get(url)
    assert page.status_code == 200
    assert 'value="Helpdesk team"' in text(page)
    response = signed_in.post(url, {"name": "Support team", "members": [ava.pk]})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "Support team"
    assert list(group.members.all()) == [ava]
    kinds = set(
        GdapEvent.objects.filter(group_id=group.pk).values_list("kind", flat=True)
    )
    assert kinds == {"group_renamed", "group_members_changed"}


def test_rename_to_another_groups_name_in_other_case_is_refused(signed_in, partner):
    factories.security_group(partner, name="Helpdesk team")
    group = factories.security_group(partner, name="Admins")
    response = signed_in.post(
        reverse("gdap:group", kwargs={"group_id": group.pk}),
        {"name": "HELPDESK TEAM"},
    )
    assert response.status_code == 400
    assert "You already have a security group with this name" in text(response)
    group.refresh_from_db()
    assert group.name == "Admins"


def test_create_with_another_partners_user_is_refused(
    signed_in, partner, other_partner
):
    stranger = factories.partner_user(other_partner, Role.ADMIN_AGENT)
    response = signed_in.post(
        reverse("gdap:groups"), {"name": "Helpdesk", "members": [stranger.pk]}
    )
    assert response.status_code == 400
    assert not SecurityGroup.objects.exists()


def test_delete_unused_group(signed_in, partner):
    group = factories.security_group(partner, name="Old team")
    url = reverse("gdap:group_delete", kwargs={"group_id": group.pk})
    confirm = signed_in.get(url)
    assert confirm.status_code == 200
    assert SecurityGroup.objects.filter(pk=group.pk).exists()
    assert signed_in.post(url).status_code == 302
    assert not SecurityGroup.objects.filter(pk=group.pk).exists()
    assert GdapEvent.objects.filter(kind="group_deleted", group_id=group.pk).exists()


def test_delete_refused_while_assigned(signed_in, partner):
    group = factories.security_group(partner, name="Helpdesk team")
    customer = factories.CustomerFactory()
    factories.assignment(factories.admin_relationship(partner, customer), group)
    url = reverse("gdap:group_delete", kwargs={"group_id": group.pk})
    assert "Remove its assignments first" in text(signed_in.get(url))
    response = signed_in.post(url, follow=True)
    assert "Remove its assignments first" in text(response)
    assert SecurityGroup.objects.filter(pk=group.pk).exists()
    assert not GdapEvent.objects.filter(kind="group_deleted").exists()
