"""R34: what a partner user may see of a customer, as one table.

Partner role (R1) × DAP active or not × the admin roles assigned to the user ×
the admin relationship expired or not → Users, Licenses. First the rule itself
(``decide``), then the same table through ``access_for`` with real rows and the
clock moved past the end date (time-machine): no job runs in between.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from customers.access import (
    NO_ACCESS,
    access_for,
    access_one,
    active_admin_relationships,
    card_access,
    decide,
)
from customers.models import ResellerRelationship
from partners.models import Role
from partners.permissions import membership_of
from tests import factories

# The partner roles that may see a directory at all (R1).
DIRECTORY_ROLES = {Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.HELPDESK_AGENT}
ALL_ROLES = list(Role)

# assigned admin roles -> (users, licenses) through an admin relationship alone.
ASSIGNED = {
    (): (False, False),
    ("helpdesk_administrator",): (True, False),
    ("user_administrator",): (True, False),
    ("directory_readers",): (True, False),
    ("license_administrator",): (False, True),
    ("global_reader",): (True, True),
    ("global_administrator",): (True, True),
    ("exchange_administrator",): (False, False),
    ("service_support_administrator",): (False, False),
    ("billing_administrator",): (False, False),
    ("security_reader",): (False, False),
    ("exchange_administrator", "license_administrator"): (False, True),
    ("helpdesk_administrator", "license_administrator"): (True, True),
}


def expected(role, dap, assigned, expired):
    """The rule in words: nothing without an R1 directory role; everything with
    DAP; else what the assigned roles open, and nothing once expired."""
    if role not in DIRECTORY_ROLES:
        return False, False
    if dap:
        return True, True
    if expired:
        return False, False
    return ASSIGNED[assigned]


TABLE = [
    (role, dap, assigned, expired)
    for role in ALL_ROLES
    for dap in (True, False)
    for assigned in ASSIGNED
    for expired in (False, True)
]


def _id(value):
    if isinstance(value, tuple):
        return "+".join(value) or "no-roles"
    return str(value)


# --- The rule itself -------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "dap", "assigned"),
    [(r, d, a) for r in ALL_ROLES for d in (True, False) for a in ASSIGNED],
    ids=_id,
)
def test_decide_table(role, dap, assigned):
    access = decide(
        partner_roles={role},
        relationship_active=True,
        dap_active=dap,
        admin_roles=assigned,
    )
    assert (access.users, access.licenses) == expected(role, dap, assigned, False)
    assert access.via_dap == (dap and role in DIRECTORY_ROLES)
    assert access.admin_roles == frozenset(assigned)


@pytest.mark.parametrize("dap", [True, False])
def test_decide_ended_reseller_relationship_grants_nothing(dap):
    # R17: an ended reseller relationship shows nothing current, whatever the roles.
    access = decide(
        partner_roles={Role.GLOBAL_ADMIN},
        relationship_active=False,
        dap_active=dap,
        admin_roles={"global_administrator"},
    )
    assert not access.users and not access.licenses and not access.directory


def test_decide_unions_several_partner_roles():
    # A sales agent who is also a helpdesk agent: R1 allows the directory.
    access = decide(
        partner_roles={Role.SALES_AGENT, Role.HELPDESK_AGENT},
        relationship_active=True,
        dap_active=False,
        admin_roles={"license_administrator"},
    )
    assert (access.users, access.licenses) == (False, True)


# --- The same table through access_for, with real rows and the clock -------------


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "dap", "assigned", "expired"), TABLE, ids=_id)
def test_access_for_table(partner, role, dap, assigned, expired, now):
    user = factories.partner_user(partner, role=role)
    customer = factories.CustomerFactory()
    relationship = factories.RelationshipFactory(
        partner=partner, customer=customer, dap_active=dap
    )
    ends_at = now + timedelta(days=10)
    if assigned:
        admin = factories.admin_relationship(
            partner, customer, roles=assigned, ends_at=ends_at
        )
        factories.assignment(admin, factories.security_group(partner, user))
    moment = ends_at + timedelta(seconds=1) if expired else ends_at - timedelta(1)
    with time_machine.travel(moment, tick=False):
        access = access_one(membership=membership_of(user), relationship=relationship)
    assert (access.users, access.licenses) == expected(role, dap, assigned, expired)


@pytest.mark.django_db
def test_access_ends_on_the_second(partner, now):
    # R34: at the end date itself access has ended; one second before, not yet.
    user = factories.partner_user(partner, role=Role.HELPDESK_AGENT)
    customer = factories.CustomerFactory()
    relationship = factories.RelationshipFactory(
        partner=partner, customer=customer, dap_active=False
    )
    ends_at = now + timedelta(days=3)
    admin = factories.admin_relationship(
        partner, customer, roles=("helpdesk_administrator",), ends_at=ends_at
    )
    factories.assignment(admin, factories.security_group(partner, user))
    membership = membership_of(user)
    with time_machine.travel(ends_at - timedelta(seconds=1), tick=False):
        assert access_one(membership=membership, relationship=relationship).users
    with time_machine.travel(ends_at, tick=False):
        assert not access_one(membership=membership, relationship=relationship).users


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["terminated", "expired"])
def test_ended_admin_relationships_grant_nothing(partner, status, now):
    user = factories.partner_user(partner, role=Role.ADMIN_AGENT)
    customer = factories.CustomerFactory()
    relationship = factories.RelationshipFactory(
        partner=partner, customer=customer, dap_active=False
    )
    admin = factories.admin_relationship(
        partner,
        customer,
        roles=("global_reader",),
        status=status,
        approved_at=now - timedelta(days=5),
        ends_at=now + timedelta(days=5) if status == "terminated" else now,
    )
    factories.assignment(admin, factories.security_group(partner, user))
    access = access_one(membership=membership_of(user), relationship=relationship)
    assert access == NO_ACCESS


@pytest.mark.django_db
def test_access_needs_the_assignment_and_the_group(partner, other_partner, now):
    # Not in the group, a group without an assignment, another partner's relationship.
    hugo = factories.partner_user(partner, role=Role.HELPDESK_AGENT)
    sara = factories.partner_user(partner, role=Role.HELPDESK_AGENT)
    customer = factories.CustomerFactory()
    relationship = factories.RelationshipFactory(
        partner=partner, customer=customer, dap_active=False
    )
    admin = factories.admin_relationship(partner, customer, roles=("global_reader",))
    factories.assignment(admin, factories.security_group(partner, hugo))
    factories.security_group(partner, sara)
    theirs = factories.admin_relationship(
        other_partner, customer, roles=("global_reader",)
    )
    factories.assignment(theirs, factories.security_group(other_partner, sara))
    assert access_one(membership=membership_of(hugo), relationship=relationship).users
    assert (
        access_one(membership=membership_of(sara), relationship=relationship)
        == NO_ACCESS
    )


@pytest.mark.django_db
def test_only_the_assigned_roles_count(partner, now):
    # R33: an assignment gives a subset of the relationship's roles.
    user = factories.partner_user(partner, role=Role.ADMIN_AGENT)
    customer = factories.CustomerFactory()
    relationship = factories.RelationshipFactory(
        partner=partner, customer=customer, dap_active=False
    )
    admin = factories.admin_relationship(
        partner, customer, roles=("helpdesk_administrator", "license_administrator")
    )
    factories.assignment(
        admin,
        factories.security_group(partner, user),
        roles=["license_administrator"],
    )
    access = access_one(membership=membership_of(user), relationship=relationship)
    assert (access.users, access.licenses) == (False, True)
    assert access.admin_roles == {"license_administrator"}


# --- A page of cards: one query, the same answer ---------------------------------


def _page(partner, user, count):
    relationships = []
    for n in range(count):
        customer = factories.CustomerFactory()
        relationships.append(
            factories.RelationshipFactory(
                partner=partner, customer=customer, dap_active=n % 2 == 0
            )
        )
        roles = ("license_administrator",) if n % 3 else ("helpdesk_administrator",)
        admin = factories.admin_relationship(partner, customer, roles=roles)
        factories.assignment(admin, factories.security_group(partner, user))
    return relationships


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 25])
def test_card_access_is_one_query_and_agrees_with_access_for(
    partner, django_assert_num_queries, count
):
    user = factories.partner_user(partner, role=Role.HELPDESK_AGENT)
    relationships = _page(partner, user, count)
    membership = membership_of(user)
    assert membership.role_set  # the roles, read once per request
    with django_assert_num_queries(1):
        allowed, active = card_access(
            membership=membership, relationships=relationships
        )
    assert allowed == access_for(membership=membership, relationships=relationships)
    assert active == active_admin_relationships(
        partner_id=partner.pk, customer_ids=[r.customer_id for r in relationships]
    )
    assert all(len(items) == 1 for items in active.values())


@pytest.mark.django_db
def test_card_access_names_admin_relationships_of_an_ended_reseller_relationship(
    partner,
):
    # R35: ending the reseller relationship does not end admin relationships.
    user = factories.partner_user(partner, role=Role.ADMIN_AGENT)
    (relationship,) = _page(partner, user, 1)
    ResellerRelationship.objects.filter(pk=relationship.pk).update(
        status="ended", ended_at=timezone.now()
    )
    relationship.refresh_from_db()
    allowed, active = card_access(
        membership=membership_of(user), relationships=[relationship]
    )
    assert allowed[relationship.customer_id] == NO_ACCESS
    assert len(active[relationship.customer_id]) == 1
