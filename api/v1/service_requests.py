"""R39: service requests (R16, R44) through the API: list, open, get.

Listed by those who follow them (R44: Global admins, Admin agents, Helpdesk
agents), opened by those who may open them (R16), as on the pages. Opening is
the page's form (its messages) and service (``not_active`` once the reseller
relationship has ended).
"""

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from api.v1.base import PartnerAPIView
from api.v1.serializers import (
    MAX_SHORT_TEXT,
    MAX_TEXT,
    PERMISSIONS,
    CustomerRefSerializer,
    PersonSerializer,
    TextField,
    id_field,
    raise_form_errors,
)
from core.converters import is_id
from customers import selectors, services
from customers.forms import ServiceRequestFilterForm, ServiceRequestForm
from customers.models import ServiceRequest
from partners.permissions import Action

TAGS = ["Service requests"]


class NoteSerializer(serializers.Serializer):
    author = serializers.SerializerMethodField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_author(self, note) -> str:
        return note.author.get_full_name() or note.author.email


class ServiceRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="SR-000123")
    title = serializers.CharField()
    severity = serializers.ChoiceField(choices=ServiceRequest.Severity.choices)
    status = serializers.ChoiceField(choices=ServiceRequest.Status.choices)
    customer = CustomerRefSerializer()
    opened_by = PersonSerializer()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ServiceRequestDetailSerializer(ServiceRequestSerializer):
    description = serializers.CharField()
    notes = NoteSerializer(
        many=True,
        source="visible_notes",
        help_text="The notes the partner sees (not the support engineers' own).",
    )


class ServiceRequestCreateSerializer(serializers.Serializer):
    """R16: the page's form (its messages), for one of the partner's customers."""

    customer_id = id_field()
    title = TextField(
        max_length=MAX_SHORT_TEXT, allow_blank=True, help_text="At most 200."
    )
    description = TextField(max_length=MAX_TEXT, allow_blank=True)
    severity = serializers.ChoiceField(
        choices=ServiceRequest.Severity.choices,
        default=ServiceRequest.Severity.NORMAL,
    )


class ServiceRequestList(mixins.ListModelMixin, PartnerAPIView):
    permission_classes = PERMISSIONS
    role_actions = {
        "GET": Action.VIEW_SERVICE_REQUESTS,
        "POST": Action.OPEN_SERVICE_REQUEST,
    }
    serializer_class = ServiceRequestSerializer

    def get_queryset(self):
        filters = ServiceRequestFilterForm(self.request.query_params)
        raise_form_errors(filters)
        customer = self.request.query_params.get("customer", "")
        if customer and not is_id(customer):
            raise serializers.ValidationError(
                {"customer": [_("Enter a whole number.")]}, code="invalid"
            )
        return selectors.service_request_list(
            partner=self.partner,
            status=filters.value("status"),
            severity=filters.value("severity"),
            search=filters.value("q"),
            customer_id=filters.value("customer"),
        )

    @extend_schema(
        tags=TAGS,
        operation_id="service_requests_list",
        summary="List service requests",
        parameters=[
            OpenApiParameter("status", str, enum=ServiceRequest.Status.values),
            OpenApiParameter("severity", str, enum=ServiceRequest.Severity.values),
            OpenApiParameter("q", str, description="Number, title or customer."),
            OpenApiParameter("customer", int, description="A customer's id."),
        ],
        responses=ServiceRequestSerializer(many=True),
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        tags=TAGS,
        operation_id="service_requests_create",
        summary="Open a service request",
        description="R16: for a customer of an active reseller relationship, "
        "with or without DAP.",
        request=ServiceRequestCreateSerializer,
        responses={201: ServiceRequestDetailSerializer},
    )
    def post(self, request):
        given = ServiceRequestCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        customer_id = data.pop("customer_id")
        try:
            relationship = selectors.customer_relationship_get(
                partner=self.partner, customer_id=customer_id, history=False
            )
        except Http404:
            # R17: another partner's customer is unknown, as one that is none.
            raise serializers.ValidationError(
                {
                    "customer_id": [
                        serializers.ErrorDetail(
                            _("Choose one of your customers."), "unknown_customer"
                        )
                    ]
                }
            ) from None
        form = ServiceRequestForm(data)
        raise_form_errors(form)
        opened = services.service_request_open(
            relationship_id=relationship.pk, actor=request.user, **form.cleaned_data
        )
        shown = selectors.service_request_get(
            partner=self.partner, request_id=opened.pk
        )
        return Response(
            ServiceRequestDetailSerializer(shown).data, status=status.HTTP_201_CREATED
        )


class ServiceRequestDetail(PartnerAPIView):
    permission_classes = PERMISSIONS
    role_actions = {"GET": Action.VIEW_SERVICE_REQUESTS}
    serializer_class = ServiceRequestDetailSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="service_requests_retrieve",
        summary="Get a service request",
        responses=ServiceRequestDetailSerializer,
    )
    def get(self, request, service_request_id):
        shown = selectors.service_request_get(
            partner=self.partner, request_id=service_request_id
        )
        return Response(ServiceRequestDetailSerializer(shown).data)


urlpatterns = [
    path(
        "service-requests/", ServiceRequestList.as_view(), name="service-request-list"
    ),
    path(
        "service-requests/<id:service_request_id>/",
        ServiceRequestDetail.as_view(),
        name="service-request-detail",
    ),
]
