"""R39: the partner's customers, as the Customers page shows them (R11, R34).

``GET /api/v1/customers/``: the active relationships, searched by name or
domain as the page searches (customers.selectors.customer_list), by cursor, in
a fixed number of queries. ``GET /api/v1/customers/<customer_id>/``: one
customer's card (active or ended relationship, R17); users and licenses only
when R34 (customers.access) allows them, else ``null`` with the reason.
Another partner's customer is a 404.
"""

from dataclasses import replace

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.pagination import Cursor
from api.v1.base import PartnerAPIView
from customers import selectors
from customers.access import DIRECTORY_PARTNER_ROLES, card_access
from customers.access import has_admin_relationship as _has_admin_relationship
from customers.models import ResellerRelationship
from partners.permissions import Action, can

MAX_SEARCH = 200

# Why a section of the card is left out (R34, R17).
HIDDEN_REASONS = (
    ("relationship_ended", "The relationship has ended (R17)."),
    ("partner_role", "The token's user has no partner role that sees it (R1)."),
    ("no_admin_access", "Neither DAP nor an admin relationship role grants it (R34)."),
)


class CustomerCursor(Cursor):
    # The customer's id: unique in a partner's list, stable whatever is added.
    ordering = "customer_id"


# How DRF writes a date-time (settings' format, the current time zone).
_DATETIME = serializers.DateTimeField()


class CustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="customer_id")
    name = serializers.CharField(source="customer.name")
    domain = serializers.CharField(source="customer.domain")
    country = serializers.CharField(source="customer.country")
    since = serializers.DateTimeField()
    admin_privileges = serializers.BooleanField(
        source="dap_active", help_text="DAP is active (the seed's admin privileges)."
    )
    admin_relationship = serializers.SerializerMethodField(
        help_text="The partner has an active admin relationship with it (R36)."
    )
    subscription_count = serializers.IntegerField()
    open_service_request_count = serializers.IntegerField(source="open_request_count")

    def get_admin_relationship(self, relationship) -> bool:
        return _has_admin_relationship(relationship)

    def to_representation(self, relationship):
        # The fields above, written out once: DRF's field-by-field walk was half
        # of this list's time (bench/api_list.py); the fields still document it.
        customer = relationship.customer
        return {
            "id": relationship.customer_id,
            "name": customer.name,
            "domain": customer.domain,
            "country": str(customer.country),
            "since": _DATETIME.to_representation(relationship.since),
            "admin_privileges": relationship.dap_active,
            "admin_relationship": _has_admin_relationship(relationship),
            "subscription_count": relationship.subscription_count,
            "open_service_request_count": relationship.open_request_count,
        }


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    offer = serializers.CharField(source="offer_name")
    quantity = serializers.IntegerField()
    status = serializers.CharField()


class DirectoryUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    email = serializers.EmailField()


class LicenseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.CharField()
    assigned = serializers.IntegerField()
    total = serializers.IntegerField()


class SupportContactSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user_id")
    email = serializers.EmailField(source="user.email")
    primary = serializers.BooleanField(source="is_primary")


class CardServiceRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    severity = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class CardAdminRelationshipSerializer(serializers.Serializer):
    name = serializers.CharField()
    ends_at = serializers.DateTimeField()


class RelationshipStateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ResellerRelationship.Status.choices)
    since = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    admin_privileges = serializers.BooleanField(source="dap_active")


class HiddenSectionSerializer(serializers.Serializer):
    section = serializers.ChoiceField(choices=["users", "licenses"])
    reason = serializers.ChoiceField(
        choices=[code for code, _text in HIDDEN_REASONS],
        help_text=" ".join(f"{code}: {text}" for code, text in HIDDEN_REASONS),
    )


class CustomerDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="relationship.customer_id")
    name = serializers.CharField(source="customer.name")
    domain = serializers.CharField(source="customer.domain")
    country = serializers.CharField(source="customer.country")
    relationship = RelationshipStateSerializer()
    subscriptions = SubscriptionSerializer(many=True)
    users = DirectoryUserSerializer(
        many=True, allow_null=True, help_text="null: see hidden_sections (R34)."
    )
    licenses = LicenseSerializer(
        many=True, allow_null=True, help_text="null: see hidden_sections (R34)."
    )
    hidden_sections = HiddenSectionSerializer(many=True)
    support_contacts = SupportContactSerializer(many=True, source="contacts")
    service_requests = CardServiceRequestSerializer(many=True)
    admin_relationships = CardAdminRelationshipSerializer(many=True)


def _hidden_reason(card, membership) -> str:
    if not card.relationship.is_active:
        return "relationship_ended"
    if not membership.role_set & DIRECTORY_PARTNER_ROLES:
        return "partner_role"
    return "no_admin_access"


class CustomerList(PartnerAPIView):
    """The partner's customers (active relationships), as the Customers page."""

    required_action = Action.VIEW_CUSTOMERS
    serializer_class = CustomerSerializer
    pagination_class = CustomerCursor

    def get_queryset(self):
        access = self.request.query_params.get("access")
        if access is not None and access not in selectors.ACCESS_FILTERS:
            raise ValidationError(
                {"access": [_("Choose an admin access from the list.")]}
            )
        return selectors.customer_list(
            partner=self.partner,
            search=self.request.query_params.get("search", "")[:MAX_SEARCH],
            access=access or "",
        )

    @extend_schema(
        operation_id="customers_list",
        summary="List customers",
        parameters=[
            OpenApiParameter(
                "search",
                str,
                description="Part of the customer's name or domain (at most "
                f"{MAX_SEARCH} characters are read).",
            ),
            OpenApiParameter(
                "access",
                str,
                enum=sorted(selectors.ACCESS_FILTERS),
                description="dap: admin privileges; reseller: reseller only; "
                "removed: privileges removed.",
            ),
        ],
        responses=CustomerSerializer(many=True),
        tags=["customers"],
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CustomerDetail(PartnerAPIView):
    """One customer's card (R11, R34), active or ended relationship (R17)."""

    required_action = Action.VIEW_CUSTOMERS
    serializer_class = CustomerDetailSerializer

    @extend_schema(
        operation_id="customers_retrieve",
        summary="Get a customer",
        tags=["customers"],
    )
    def get(self, request, customer_id):
        relationship = selectors.customer_relationship_get(
            partner=self.partner, customer_id=customer_id
        )
        allowed, active = card_access(
            membership=self.membership,
            relationships=[relationship],
            now=timezone.now(),
        )
        links = can(self.membership, Action.MANAGE_ADMIN_RELATIONSHIPS)
        card = selectors.card_build(
            relationship,
            partner=self.partner,
            access=allowed[relationship.customer_id],
            admin_relationships=[
                item if links else replace(item, url="")
                for item in active.get(relationship.customer_id, [])
            ],
        )
        data = {
            "relationship": relationship,
            "customer": card.customer,
            "subscriptions": card.subscriptions,
            "users": card.users if card.access.users else None,
            "licenses": card.licenses if card.access.licenses else None,
            "hidden_sections": [
                {"section": section, "reason": _hidden_reason(card, self.membership)}
                for section, shown in (
                    ("users", card.access.users),
                    ("licenses", card.access.licenses),
                )
                if not shown
            ],
            "contacts": card.contacts,
            "service_requests": card.service_requests,
            "admin_relationships": card.admin_relationships,
        }
        return Response(self.get_serializer(data).data)


urlpatterns = [
    path("customers/", CustomerList.as_view(), name="customer-list"),
    path(
        "customers/<id:customer_id>/",
        CustomerDetail.as_view(),
        name="customer-detail",
    ),
]
