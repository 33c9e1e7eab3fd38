"""Every read a customers view needs, scoped to the acting partner or customer.

Each returns a fixed number of queries whatever the number of rows.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from customers.models import (
    RelationshipEvent,
    ResellerRelationship,
    ServiceRequest,
    Subscription,
    SupportContact,
)
from partners.models import Partner

ORDERINGS = {
    "name": ("customer__name", "customer__id"),
    "-name": ("-customer__name", "-customer__id"),
    "since": ("since", "id"),
    "-since": ("-since", "-id"),
}


@dataclass
class CustomerCard:
    """What one partner may see of one customer (R11)."""

    relationship: ResellerRelationship
    subscriptions: list = field(default_factory=list)
    users: list = field(default_factory=list)
    licenses: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    service_requests: list = field(default_factory=list)
    show_directory: bool = False

    @property
    def customer(self):
        return self.relationship.customer

    @property
    def dap_active(self) -> bool:
        return self.relationship.dap_active


def _card_prefetches(partner: Partner) -> list:
    return [
        Prefetch(
            "customer__subscriptions",
            queryset=Subscription.objects.order_by("offer_name", "id"),
        ),
        "customer__directory_users",
        "customer__licenses",
        Prefetch(
            "support_contacts",
            queryset=SupportContact.objects.select_related("user").order_by(
                "-is_primary", "user__email"
            ),
        ),
        Prefetch(
            "customer__service_requests",
            queryset=ServiceRequest.objects.filter(partner=partner).order_by(
                "-created_at"
            ),
            to_attr="partner_service_requests",
        ),
    ]


def card_build(
    relationship: ResellerRelationship, *, partner: Partner, can_see_directory: bool
) -> CustomerCard:
    """Apply R11 to prefetched rows: no DAP, no users or licenses, own services only."""
    customer = relationship.customer
    subscriptions = list(customer.subscriptions.all())
    if not relationship.dap_active:
        subscriptions = [s for s in subscriptions if s.provisioned_by_id == partner.pk]
    show_directory = relationship.dap_active and relationship.is_active and can_see_directory
    return CustomerCard(
        relationship=relationship,
        subscriptions=subscriptions,
        users=list(customer.directory_users.all()) if show_directory else [],
        licenses=list(customer.licenses.all()) if show_directory else [],
        contacts=list(relationship.support_contacts.all()),
        service_requests=list(getattr(customer, "partner_service_requests", [])),
        show_directory=show_directory,
    )


def customer_list(*, partner: Partner, search: str = "", order: str = "name") -> QuerySet:
    """The partner's active relationships, searched and sorted, cards prefetched."""
    qs = ResellerRelationship.objects.filter(
        partner=partner, status=ResellerRelationship.Status.ACTIVE
    ).select_related("customer")
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(customer__name__icontains=search) | Q(customer__domain__icontains=search)
        )
    return qs.order_by(*ORDERINGS.get(order, ORDERINGS["name"])).prefetch_related(
        *_card_prefetches(partner)
    )


def customer_relationship_get(*, partner: Partner, customer_id: int) -> ResellerRelationship:
    """The partner's relationship with this customer, active or ended; else 404 (R17)."""
    qs = ResellerRelationship.objects.select_related("customer", "partner").prefetch_related(
        *_card_prefetches(partner)
    )
    return get_object_or_404(qs, partner=partner, customer_id=customer_id)


def relationship_timeline(*, partner: Partner, customer_id: int, limit: int = 100):
    return list(
        RelationshipEvent.objects.filter(partner=partner, customer_id=customer_id)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def customer_relationships(*, customer) -> QuerySet:
    """A customer's partners, for its administrators (R12)."""
    return (
        ResellerRelationship.objects.filter(customer=customer)
        .select_related("partner", "ended_by")
        .prefetch_related(
            Prefetch(
                "support_contacts",
                queryset=SupportContact.objects.select_related("user").order_by(
                    "-is_primary", "user__email"
                ),
            )
        )
        .order_by("status", "partner__name")
    )


def customer_relationship_for_admin(*, customer, relationship_id: int):
    return get_object_or_404(
        ResellerRelationship.objects.select_related("partner", "customer"),
        pk=relationship_id,
        customer=customer,
    )


def customer_timeline(*, customer, limit: int = 100):
    return list(
        RelationshipEvent.objects.filter(customer=customer)
        .select_related("actor", "partner")
        .order_by("-created_at", "-id")[:limit]
    )
