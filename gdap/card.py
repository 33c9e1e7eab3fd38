"""R34/R36 for a page of Customers cards in one query (registered in
``GdapConfig.ready()`` as the ``card`` of the gdap source of
``customers.access``).

A card needs two things from admin relationships: the roles the viewer holds
for each customer (R34) and the partner's active relationships to name in its
Account section (R36). Both come from the same rows (the roles of the
partner's usable relationships with those customers), so they are read once:
each role row says whether the viewer holds it through a security group.
"""

from collections import defaultdict

from django.db.models import Exists, OuterRef

from core.links import reverse_each
from customers.access import ActiveAdminRelationship
from gdap.models import AccessAssignment, AdminRelationship, AdminRelationshipRole


def card_facts(*, user_id, partner_id, customer_ids, now) -> tuple[dict, dict]:
    """({customer_id: frozenset of role codes the user holds}, {customer_id:
    [ActiveAdminRelationship, soonest end first]}) for the partner's
    relationships active and unexpired at ``now``: one query."""
    held = AccessAssignment.roles.through.objects.filter(
        adminrelationshiprole_id=OuterRef("pk"),
        accessassignment__group__memberships__user_id=user_id,
    )
    rows = list(
        AdminRelationshipRole.objects.filter(
            relationship__in=AdminRelationship.objects.usable(now=now).filter(
                partner_id=partner_id, customer_id__in=list(customer_ids)
            )
        )
        .annotate(held=Exists(held))
        .order_by("relationship__ends_at", "relationship_id")
        .values_list(
            "relationship_id",
            "relationship__customer_id",
            "relationship__name",
            "relationship__ends_at",
            "role",
            "held",
        )
    )
    urls = reverse_each("gdap:detail", "relationship_id", {row[0] for row in rows})
    roles: dict[int, set] = defaultdict(set)
    active: dict[int, dict] = defaultdict(dict)
    for pk, customer_id, name, ends_at, role, is_held in rows:
        if is_held and user_id is not None:
            roles[customer_id].add(role)
        if pk not in active[customer_id]:
            active[customer_id][pk] = ActiveAdminRelationship(
                name=name, ends_at=ends_at, url=urls[pk]
            )
    return (
        {customer_id: frozenset(codes) for customer_id, codes in roles.items()},
        {customer_id: list(found.values()) for customer_id, found in active.items()},
    )


def list_exists(*, partner_id, now):
    """For the Customers list (R36): the row's customer has an active, unexpired
    admin relationship with the partner (a correlated EXISTS, served by the
    (customer, status, ends_at) index)."""
    return Exists(
        AdminRelationship.objects.usable(now=now).filter(
            partner_id=partner_id, customer_id=OuterRef("customer_id")
        )
    )
