"""R36/R33: Admin relationships and Security groups cost the same number of
queries at 5 and at 500 rows (whatever the filter, search, sort or page)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gdap.models import (
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipRole,
    SecurityGroup,
    SecurityGroupMember,
)
from invitations.models import Invitation
from partners.models import Role
from tests import factories

pytestmark = pytest.mark.django_db
# Session, user, membership and roles, notifications count, then the page's own.
MAX_QUERIES = 12


@pytest.fixture
def signed_in(client, make_partner_user):
    user = make_partner_user(Role.GLOBAL_ADMIN, email="ava@contoso.test")
    client.force_login(user)
    return client


def make_relationships(partner, count, prefix="Load"):
    """``count`` relationships in every shown status, each with two roles and
    (every other one) a group assigned; written in bulk."""
    now = timezone.now()
    creator = factories.partner_user(partner, Role.ADMIN_AGENT)
    customers = [factories.CustomerFactory(name=f"{prefix} {i}") for i in range(5)]
    invitations = Invitation.objects.bulk_create(
        Invitation(
            partner=partner,
            created_by=creator,
            kind=Invitation.Kind.ADMIN_RELATIONSHIP,
            include_dap=False,
            subject="s",
            body="b {{invitation_link}}",
            sent_at=now,
            expires_at=now + timedelta(days=90),
            customer=customers[i % 5],
            status=Invitation.Status.PENDING if i % 4 == 0 else "accepted",
        )
        for i in range(count)
    )
    rows = []
    for i, invitation in enumerate(invitations):
        pending = i % 4 == 0
        ends = now + timedelta(days=10 if i % 4 == 1 else 300)
        rows.append(
            AdminRelationship(
                partner=partner,
                customer=customers[i % 5],
                invitation=invitation,
                name=f"{prefix} relationship {i:04d}",
                duration_days=300,
                status="approval_pending" if pending else "active",
                created_by=creator,
                created_at=now - timedelta(minutes=i),
                approved_at=None if pending else now - timedelta(days=1),
                ends_at=None if pending else ends,
            )
        )
    relationships = AdminRelationship.objects.bulk_create(rows)
    roles = AdminRelationshipRole.objects.bulk_create(
        AdminRelationshipRole(relationship=r, role=code)
        for r in relationships
        for code in ("helpdesk_administrator", "user_administrator")
    )
    group = factories.security_group(partner, creator, name=f"{prefix} team")
    assignments = AccessAssignment.objects.bulk_create(
        AccessAssignment(relationship=r, group=group, created_at=now)
        for i, r in enumerate(relationships)
        if i % 2 == 1
    )
    by_relationship = {}
    for role in roles:
        by_relationship.setdefault(role.relationship_id, role)
    AccessAssignment.roles.through.objects.bulk_create(
        AccessAssignment.roles.through(
            accessassignment_id=a.pk,
            adminrelationshiprole_id=by_relationship[a.relationship_id].pk,
        )
        for a in assignments
    )


def make_groups(partner, count):
    now = timezone.now()
    people = [factories.partner_user(partner, Role.HELPDESK_AGENT) for _ in range(3)]
    groups = SecurityGroup.objects.bulk_create(
        SecurityGroup(partner=partner, name=f"Team {i:04d}", created_at=now)
        for i in range(count)
    )
    SecurityGroupMember.objects.bulk_create(
        SecurityGroupMember(group=g, user=user) for g in groups for user in people
    )
    customer = factories.CustomerFactory()
    relationship = factories.admin_relationship(partner, customer)
    for g in groups[:3]:
        factories.assignment(relationship, g)


def _count(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


LIST_PARAMS = [
    {},
    {"status": "expiring"},
    {"status": "approval_pending", "q": "Load"},
    {"sort": "-ends"},
    {"sort": "customer", "per_page": 100, "page": 2},
]


@pytest.mark.parametrize("params", LIST_PARAMS)
def test_admin_relationships_list_queries_fixed(signed_in, partner, params):
    make_relationships(partner, 5)
    make_relationships(factories.PartnerFactory(), 5)  # another partner's rows
    few = _count(signed_in, reverse("gdap:list"), params)
    make_relationships(partner, 495, prefix="More")
    assert AdminRelationship.objects.filter(partner=partner).count() == 500
    many = _count(signed_in, reverse("gdap:list"), params)
    # A full page adds the one COUNT that a short page does not need
    # (core.pagination): never a query a row.
    assert many - few in (0, 1)
    assert many <= MAX_QUERIES


def test_security_groups_list_queries_fixed(signed_in, partner):
    make_groups(partner, 5)
    few = _count(signed_in, reverse("gdap:groups"), {})
    more = SecurityGroup.objects.bulk_create(
        SecurityGroup(partner=partner, name=f"More {i:04d}", created_at=timezone.now())
        for i in range(495)
    )
    people = list(partner.memberships.values_list("user_id", flat=True)[:3])
    SecurityGroupMember.objects.bulk_create(
        SecurityGroupMember(group=g, user_id=pk) for g in more for pk in people
    )
    assert SecurityGroup.objects.filter(partner=partner).count() == 500
    many = _count(signed_in, reverse("gdap:groups"), {})
    assert many == few
    assert many <= MAX_QUERIES
