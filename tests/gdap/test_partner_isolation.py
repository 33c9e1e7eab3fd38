"""R1 and R17 on every partner page of admin relationships and security groups.

R1: Sales agents, Helpdesk agents, Billing admins and User management admins get
403 for every URL, GET and POST, and see none of the controls. R17: another partner's
relationship, request, assignment or group id is a 404 for GET and POST, and
nothing changes.
"""

import pytest
from django.urls import reverse

from gdap.models import (
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipRole,
    GdapEvent,
    SecurityGroup,
    SecurityGroupMember,
)
from invitations.models import Invitation
from partners.models import Role
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db

REFUSED_ROLES = [
    Role.SALES_AGENT,
    Role.HELPDESK_AGENT,
    Role.BILLING_ADMIN,
    Role.USER_MANAGEMENT_ADMIN,
]


def _world(partner):
    """A relationship (active, with Global Administrator), its assignment, a
    pending one, and a group: everything the URLs take an id of."""
    customer = factories.CustomerFactory()
    factories.RelationshipFactory(partner=partner, customer=customer)
    relationship = factories.admin_relationship(
        partner, customer, roles=("global_administrator", "user_administrator")
    )
    group = factories.security_group(
        partner, factories.partner_user(partner, Role.HELPDESK_AGENT)
    )
    assignment = factories.assignment(relationship, group)
    pending = factories.admin_relationship(partner, status="approval_pending")
    return {
        "relationship": relationship,
        "assignment": assignment,
        "pending": pending,
        "group": group,
        "unused_group": factories.security_group(partner),
    }


def _urls(w):
    """(url, POST data) for every partner URL of gdap."""
    rel, pending, group = w["relationship"].pk, w["pending"].pk, w["group"].pk
    assignment = w["assignment"].pk
    roles = ["user_administrator"]
    return [
        (reverse("gdap:list"), {}),
        (
            reverse("gdap:new"),
            {"name": "Forged", "duration_days": "10", "roles": roles},
        ),
        (reverse("gdap:detail", args=[rel]), {}),
        (reverse("gdap:terminate", args=[rel]), {"reason": "x"}),
        (reverse("gdap:terminate", args=[pending]), {}),
        (reverse("gdap:remove_global_admin", args=[rel]), {}),
        (reverse("gdap:auto_extend", args=[pending]), {"auto_extend": "on"}),
        (
            reverse("gdap:assignment_save", args=[rel]),
            {"group": w["unused_group"].pk, "roles": roles},
        ),
        (reverse("gdap:assignment_delete", args=[rel, assignment]), {}),
        (reverse("gdap:for_request", args=[w["pending"].invitation_id]), {}),
        (reverse("gdap:groups"), {"name": "Forged group"}),
        (reverse("gdap:group", args=[group]), {"name": "Renamed", "members": []}),
        (reverse("gdap:group_delete", args=[w["unused_group"].pk]), {}),
    ]


def _snapshot():
    """Every row that a gdap page could change."""
    return {
        model.__name__: sorted(map(repr, model.objects.values()))
        for model in (
            AdminRelationship,
            AdminRelationshipRole,
            AccessAssignment,
            SecurityGroup,
            SecurityGroupMember,
            GdapEvent,
            Invitation,
        )
    }


# --- R1 ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_other_roles_get_403_for_every_url_get_and_post(
    client, partner, make_partner_user, role
):
    w = _world(partner)
    client.force_login(make_partner_user(role))
    before = _snapshot()
    for url, data in _urls(w):
        assert client.get(url).status_code == 403, url
        assert client.post(url, data).status_code == 403, url
    assert _snapshot() == before


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_other_roles_see_no_controls(client, partner, make_partner_user, role):
    client.force_login(make_partner_user(role))
    pages = [reverse("customers:list"), reverse("partners:overview")]
    if role == Role.SALES_AGENT:
        pages.append(reverse("invitations:new"))
    for page in pages:
        body = text(client.get(page))
        assert "/admin-relationships/" not in body, page
        assert "/security-groups/" not in body, page


@pytest.mark.parametrize("role", [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT])
def test_admins_open_every_page(client, partner, make_partner_user, role):
    w = _world(partner)
    client.force_login(make_partner_user(role))
    for url, _data in _urls(w):
        assert client.get(url).status_code in (200, 302), url


# --- R17 --------------------------------------------------------------------------


@pytest.fixture(params=[Role.GLOBAL_ADMIN, Role.ADMIN_AGENT])
def me(request, client, partner, make_partner_user):
    user = make_partner_user(request.param)
    client.force_login(user)
    return user


def _their_urls(w, mine):
    """Every URL that takes an id, with the other partner's ids; and my
    relationship with their assignment."""
    pairs = [
        (url, data)
        for url, data in _urls(w)
        if url
        not in (reverse("gdap:list"), reverse("gdap:new"), reverse("gdap:groups"))
    ]
    pairs.append(
        (
            reverse(
                "gdap:assignment_delete",
                args=[mine["relationship"].pk, w["assignment"].pk],
            ),
            {},
        )
    )
    return pairs


def test_other_partners_ids_are_404_for_get_and_post(
    client, me, partner, other_partner
):
    theirs = _world(other_partner)
    mine = _world(partner)
    shown_only = {
        reverse("gdap:detail", args=[theirs["relationship"].pk]),
        reverse("gdap:for_request", args=[theirs["pending"].invitation_id]),
    }
    before = _snapshot()
    for url, data in _their_urls(theirs, mine):
        response = client.get(url)
        assert response.status_code == 404, url
        assert theirs["relationship"].name not in text(response)
        response = client.post(url, data)
        # A page that is only shown refuses a POST before looking anything up.
        assert response.status_code == (405 if url in shown_only else 404), url
    assert _snapshot() == before


def test_their_group_on_my_relationship_is_refused(client, me, partner, other_partner):
    theirs = _world(other_partner)
    mine = _world(partner)
    before = _snapshot()
    response = client.post(
        reverse("gdap:assignment_save", args=[mine["relationship"].pk]),
        {"group": theirs["unused_group"].pk, "roles": ["user_administrator"]},
    )
    assert response.status_code == 400
    assert "Choose one of your security groups." in text(response)
    assert _snapshot() == before


def test_other_partners_rows_never_listed(client, me, partner, other_partner):
    theirs = _world(other_partner)
    AdminRelationship.objects.filter(pk=theirs["relationship"].pk).update(
        name="Their secret relationship"
    )
    SecurityGroup.objects.filter(pk=theirs["group"].pk).update(name="Their team")
    assert "Their secret relationship" not in text(client.get(reverse("gdap:list")))
    assert "Their team" not in text(client.get(reverse("gdap:groups")))
    # Their group is not offered on my relationship's page either.
    mine = _world(partner)
    body = text(client.get(reverse("gdap:detail", args=[mine["relationship"].pk])))
    assert "Their team" not in body
