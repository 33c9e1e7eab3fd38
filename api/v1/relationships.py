"""R39: a reseller relationship (R11–R14) through the API: get it, end it.

Ending is the page's service (``customers.services.relationship_end``): refused
while the partner's subscriptions are active (R14, ``active_subscriptions``),
and the partner's admin relationships stay active (R35: listed in the answer).
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.v1.base import PartnerAPIView
from api.v1.serializers import PERMISSIONS, CustomerRefSerializer, ReasonSerializer
from customers import selectors, services
from customers.access import active_admin_relationships
from customers.models import ResellerRelationship
from partners.permissions import Action

TAGS = ["Reseller relationships"]


class SubscriptionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    offer_name = serializers.CharField()


class AdminRelationshipRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    ends_at = serializers.DateTimeField(allow_null=True)


class ResellerRelationshipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = CustomerRefSerializer()
    status = serializers.ChoiceField(choices=ResellerRelationship.Status.choices)
    dap_active = serializers.BooleanField(
        help_text="Delegated administration privileges (DAP) are active."
    )
    since = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField()
    blocking_subscriptions = SubscriptionRefSerializer(
        many=True,
        help_text="R14: the active subscriptions this partner provisioned; "
        "while there are any, the relationship cannot end.",
    )
    admin_relationships = AdminRelationshipRefSerializer(
        many=True,
        help_text="R35: the active admin relationships with this customer; "
        "they stay active whatever becomes of this relationship.",
    )


def _shown(partner, relationship_id) -> dict:
    relationship = selectors.reseller_relationship_get(
        partner=partner, relationship_id=relationship_id
    )
    blocking = []
    if relationship.is_active:
        blocking = selectors.subscriptions_blocking_end([relationship])[relationship.pk]
    remaining = active_admin_relationships(
        partner_id=partner.pk, customer_ids=[relationship.customer_id]
    ).get(relationship.customer_id, [])
    relationship.blocking_subscriptions = blocking
    relationship.admin_relationships = remaining
    return ResellerRelationshipSerializer(relationship).data


class ResellerRelationshipDetail(PartnerAPIView):
    permission_classes = PERMISSIONS
    role_actions = {"GET": Action.VIEW_CUSTOMERS}
    serializer_class = ResellerRelationshipSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="reseller_relationships_retrieve",
        summary="Get a reseller relationship",
        responses=ResellerRelationshipSerializer,
    )
    def get(self, request, relationship_id):
        return Response(_shown(self.partner, relationship_id))


class ResellerRelationshipEnd(PartnerAPIView):
    permission_classes = PERMISSIONS
    role_actions = {"POST": Action.END_RELATIONSHIP}
    serializer_class = ResellerRelationshipSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="reseller_relationships_end",
        summary="End a reseller relationship",
        description="R14: refused (422 active_subscriptions) while subscriptions "
        "this partner provisioned are active. Ending an ended relationship "
        "changes nothing.",
        request=ReasonSerializer,
        responses=ResellerRelationshipSerializer,
    )
    def post(self, request, relationship_id):
        relationship = selectors.reseller_relationship_get(
            partner=self.partner, relationship_id=relationship_id
        )
        given = ReasonSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.relationship_end(
            relationship_id=relationship.pk,
            actor=request.user,
            reason=given.validated_data["reason"],
            side="partner",
        )
        return Response(_shown(self.partner, relationship.pk))


ONE = "reseller-relationships/<id:relationship_id>/"
urlpatterns = [
    path(
        ONE,
        ResellerRelationshipDetail.as_view(),
        name="reseller-relationship-detail",
    ),
    path(
        ONE + "end/",
        ResellerRelationshipEnd.as_view(),
        name="reseller-relationship-end",
    ),
]
