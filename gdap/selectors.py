"""Reads of admin relationships, security groups and what they grant (R33–R36).

Lists cost a fixed number of queries whatever their length; every read is
scoped to one partner (or one customer): another's id is a 404 (R17).
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.access import ActiveAdminRelationship
from customers.models import Customer, ResellerRelationship
from customers.permissions import customer_admin_membership
from customers.selectors import active_relationship
from gdap.models import (
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipRole,
    GdapEvent,
    SecurityGroup,
    SecurityGroupMember,
)
from invitations.models import Invitation
from invitations.selectors import Eligibility, customer_mismatch, not_an_administrator
from partners.models import Partner

S = AdminRelationship.Status
# What the list offers to filter by (the shown statuses, "expiring" included).
LIST_STATUSES = [
    S.APPROVAL_PENDING,
    S.ACTIVE,
    S.EXPIRING,
    S.EXPIRED,
    S.TERMINATED,
    S.DECLINED,
]


def partner_customer(*, partner: Partner, customer_id) -> Customer | None:
    """One of the partner's customers (an active reseller relationship), else None."""
    relationship = active_relationship(partner=partner, customer_id=customer_id)
    return relationship.customer if relationship else None


def partner_customer_choices(*, partner: Partner) -> list[tuple[int, str]]:
    return list(
        ResellerRelationship.objects.filter(
            partner=partner, status=ResellerRelationship.Status.ACTIVE
        )
        .order_by("customer__name")
        .values_list("customer_id", "customer__name")
    )


def partner_people(*, partner: Partner) -> QuerySet:
    """The partner's active users (who may be in its security groups)."""
    return (
        get_user_model()
        .objects.filter(partner_membership__partner=partner, is_active=True)
        .order_by("first_name", "last_name", "email")
    )


def _roles_prefetch():
    return Prefetch("roles", queryset=AdminRelationshipRole.objects.order_by("id"))


# The list's sort keys (a header click): the columns they order by.
LIST_ORDERS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "customer": ("customer__name", "name", "id"),
    "-customer": ("-customer__name", "-name", "-id"),
    "ends": ("ends_at", "id"),
    "-ends": ("-ends_at", "-id"),
    "requested": ("created_at", "id"),
    "-requested": ("-created_at", "-id"),
}
LIST_DEFAULT_ORDER = "-requested"


def admin_relationship_list_order(value) -> str:
    return value if value in LIST_ORDERS else LIST_DEFAULT_ORDER


def _assignment_count():
    counted = (
        AccessAssignment.objects.filter(relationship_id=OuterRef("pk"))
        .order_by()
        .values("relationship_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def admin_relationship_list(
    *,
    partner: Partner,
    status: str = "",
    search: str = "",
    order: str = LIST_DEFAULT_ORDER,
    now=None,
) -> QuerySet:
    """R36: the partner's admin relationships, newest first (or as ``order``
    says), with the customer, roles and the number of assignments (two
    queries a page)."""
    now = now or timezone.now()
    qs = (
        AdminRelationship.objects.filter(partner=partner)
        .select_related("customer", "invitation")
        .only(
            "id",
            "partner_id",
            "customer_id",
            "customer__id",
            "customer__name",
            "customer__domain",
            "name",
            "duration_days",
            "auto_extend",
            "has_global_administrator",
            "status",
            "created_at",
            "approved_at",
            "ends_at",
            "ended_at",
            "invitation__id",
            "invitation__status",
            "invitation__expires_at",
            "invitation__recipient_email",
        )
        # A correlated count, not a JOIN and GROUP BY: only the page's rows
        # are counted, and the order is read from an index.
        .annotate(assignment_count=_assignment_count())
        .prefetch_related(_roles_prefetch())
    )
    search = (search or "").strip()
    if search:
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(customer__domain__icontains=search)
        )
    if status in LIST_STATUSES:
        qs = qs.with_effective_status(status, now=now)
    return qs.order_by(*LIST_ORDERS[admin_relationship_list_order(order)])


def admin_relationship_name_taken(*, partner: Partner, name: str) -> bool:
    """R31: names are unique in the partner whatever their letter case."""
    return AdminRelationship.objects.filter(partner=partner, name__iexact=name).exists()


def security_group_name_taken(*, partner: Partner, name: str, exclude_id=None) -> bool:
    qs = SecurityGroup.objects.filter(partner=partner, name__iexact=name)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.exists()


def assignment_get(*, relationship: AdminRelationship, assignment_id):
    """One assignment of the relationship (already the partner's); another's: 404."""
    return get_object_or_404(
        AccessAssignment.objects.only("id", "relationship_id"),
        relationship=relationship,
        pk=assignment_id,
    )


def admin_relationship_get(*, partner: Partner, relationship_id) -> AdminRelationship:
    """One of the partner's admin relationships; another partner's id: 404."""
    return get_object_or_404(
        AdminRelationship.objects.select_related(
            "customer", "invitation", "created_by", "approved_by", "ended_by"
        ).prefetch_related(
            _roles_prefetch(),
            Prefetch(
                "assignments",
                queryset=AccessAssignment.objects.select_related("group")
                .prefetch_related("roles")
                .order_by("group__name"),
            ),
        ),
        partner=partner,
        pk=relationship_id,
    )


def admin_relationship_for_request(
    *, partner: Partner, invitation_id
) -> AdminRelationship:
    return get_object_or_404(
        AdminRelationship.objects.only("id", "partner_id", "invitation_id"),
        partner=partner,
        invitation_id=invitation_id,
    )


def relationship_events(*, relationship: AdminRelationship, limit: int = 50) -> list:
    return list(
        GdapEvent.objects.filter(relationship=relationship)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def security_group_list(*, partner: Partner) -> QuerySet:
    """R33: the partner's groups with their members and how many assignments
    use each (two queries)."""
    return (
        SecurityGroup.objects.filter(partner=partner)
        .annotate(assignment_count=Count("assignments", distinct=True))
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=SecurityGroupMember.objects.select_related("user").order_by(
                    "user__first_name", "user__last_name", "user__email"
                ),
            )
        )
        .order_by("name", "id")
    )


def security_group_get(*, partner: Partner, group_id) -> SecurityGroup:
    return get_object_or_404(
        SecurityGroup.objects.prefetch_related(
            Prefetch(
                "memberships",
                queryset=SecurityGroupMember.objects.select_related("user"),
            )
        ).annotate(assignment_count=Count("assignments", distinct=True)),
        partner=partner,
        pk=group_id,
    )


def group_choices(*, partner: Partner) -> list[tuple[int, str]]:
    return list(
        SecurityGroup.objects.filter(partner=partner)
        .order_by("name")
        .values_list("id", "name")
    )


# --- What admin relationships grant (R34, registered in customers.access) ---------


def granted_roles(*, user_id, partner_id, customer_ids, now) -> dict[int, frozenset]:
    """{customer_id: role codes} the user holds through security groups on the
    partner's relationships that are active and unexpired at ``now`` (one query)."""
    rows = (
        AdminRelationshipRole.objects.filter(
            assignments__group__memberships__user_id=user_id,
            relationship__partner_id=partner_id,
            relationship__customer_id__in=customer_ids,
            relationship__status=S.ACTIVE,
            relationship__ends_at__gt=now,
        )
        .values_list("relationship__customer_id", "role")
        .distinct()
    )
    found: dict[int, set] = defaultdict(set)
    for customer_id, role in rows:
        found[customer_id].add(role)
    return {customer_id: frozenset(roles) for customer_id, roles in found.items()}


def active_relationships(*, partner_id, customer_ids, now) -> dict[int, list]:
    """{customer_id: [ActiveAdminRelationship]}: the partner's usable ones (one
    query), soonest end first."""
    from core.links import reverse_each

    rows = list(
        AdminRelationship.objects.usable(now=now)
        .filter(partner_id=partner_id, customer_id__in=customer_ids)
        .order_by("ends_at", "id")
        .values_list("pk", "customer_id", "name", "ends_at")
    )
    urls = reverse_each("gdap:detail", "relationship_id", [row[0] for row in rows])
    found: dict[int, list] = defaultdict(list)
    for pk, customer_id, name, ends_at in rows:
        found[customer_id].append(
            ActiveAdminRelationship(name=name, ends_at=ends_at, url=urls[pk])
        )
    return dict(found)


# --- The customer's side (R32, R36) ----------------------------------------------


def customer_admin_relationships(*, customer: Customer) -> list[AdminRelationship]:
    """The admin relationships approved by (or for) this organisation, with
    their partner and roles; newest first (two queries)."""
    return list(
        AdminRelationship.objects.filter(customer=customer)
        .exclude(status=S.APPROVAL_PENDING)
        .select_related("partner", "invitation")
        .prefetch_related(_roles_prefetch())
        .order_by("-approved_at", "-id")
    )


def customer_admin_relationship_get(*, customer: Customer, relationship_id):
    return get_object_or_404(
        AdminRelationship.objects.select_related("partner", "invitation"),
        customer=customer,
        pk=relationship_id,
    )


def approval_eligibility(*, invitation: Invitation, user) -> Eligibility:
    """R45 for the approval page: may ``user`` approve (or decline), and if not, why.

    A customer administrator (R9) of an organisation in the partner's country/
    region and cloud (R4); when the partner named the customer, only that one.
    """
    membership = customer_admin_membership(user)
    if membership is None:
        return not_an_administrator(user)
    customer = membership.customer
    mismatch = customer_mismatch(invitation, customer)
    if mismatch:
        code, reason = mismatch
        return Eligibility(membership=membership, code=code, reason=reason)
    if invitation.customer_id is not None and invitation.customer_id != customer.pk:
        return Eligibility(
            membership=membership,
            code="other_customer",
            reason=_(
                "This request is for another organisation, not %(organisation)s. "
                "Switch to an administrator account of the organisation it was "
                "sent to."
            )
            % {"organisation": customer.name},
        )
    return Eligibility(membership=membership, can_decline=True)
