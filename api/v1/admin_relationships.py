"""R39: admin relationships (R31–R36) and their access assignments (R33).

Global admins and Admin agents only, as the pages (R1). Creating one is the
page's service (``gdap.services.admin_relationship_request``) with R31's
refusals and codes (``name_taken``, ``name_too_long``, ``duration_range``,
``unknown_role``, ``roles_required``, ``auto_extend_with_global_admin``,
``unknown_customer``); its request's link is in the create response only (R7).
"""

from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from api.v1.base import PartnerAPIView
from api.v1.serializers import (
    MAX_SHORT_TEXT,
    PERMISSIONS,
    CustomerRefSerializer,
    ReasonSerializer,
    RolesField,
    TextField,
    choice_param,
    id_field,
    role_codes_field,
    with_email_language,
)
from gdap import selectors, services
from gdap.models import DURATION_DEFAULT, AdminRelationship
from invitations import tokens
from invitations.models import Invitation
from partners.permissions import Action

S = AdminRelationship.Status
MANAGE = Action.MANAGE_ADMIN_RELATIONSHIPS
TAGS = ["Admin relationships"]


class GroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    group = GroupRefSerializer()
    roles = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(RolesField())
    def get_roles(self, assignment):
        return RolesField().to_representation(r.role for r in assignment.roles.all())


class RequestRefSerializer(serializers.Serializer):
    """The request (R31) the customer approves through its link."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Invitation.Status.choices)
    expires_at = serializers.DateTimeField()
    recipient_email = serializers.CharField()


class AdminRelationshipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.SerializerMethodField()
    customer = CustomerRefSerializer(allow_null=True)
    roles = serializers.SerializerMethodField()
    duration_days = serializers.IntegerField()
    auto_extend = serializers.BooleanField()
    has_global_administrator = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    approval_request = RequestRefSerializer(source="invitation")
    assignment_count = serializers.IntegerField()

    @extend_schema_field(serializers.ChoiceField(choices=S.choices))
    def get_status(self, relationship) -> str:
        return relationship.effective_status(self.context["now"])

    @extend_schema_field(RolesField())
    def get_roles(self, relationship):
        return RolesField().to_representation(r.role for r in relationship.roles.all())


class AdminRelationshipDetailSerializer(AdminRelationshipSerializer):
    assignments = AssignmentSerializer(many=True, source="assignments.all")
    assignment_count = None


class AdminRelationshipCreatedSerializer(AdminRelationshipDetailSerializer):
    link = serializers.CharField(
        help_text="The request's personalised link (R7). Shown only in this "
        "response; the request's new-link gives another."
    )


class AdminRelationshipCreateSerializer(serializers.Serializer):
    """R31: what the Request admin relationship form asks."""

    name = TextField(
        max_length=MAX_SHORT_TEXT,
        allow_blank=True,
        help_text="1 to 50 characters, unique among the partner's.",
    )
    roles = role_codes_field()
    duration_days = serializers.IntegerField(
        default=DURATION_DEFAULT,
        min_value=-(2**31),
        max_value=2**31,
        help_text="From 1 to 730 days.",
    )
    auto_extend = serializers.BooleanField(
        default=False, help_text="Not available with Global Administrator."
    )
    customer_id = id_field(required=False, allow_null=True, default=None)
    recipient_email = serializers.EmailField(
        required=False, allow_blank=True, max_length=254, default=""
    )
    email_language = serializers.ChoiceField(
        choices=Invitation.Language.choices, required=False
    )


class AssignmentCreateSerializer(serializers.Serializer):
    group_id = id_field()
    roles = role_codes_field()


class AssignmentChangeSerializer(serializers.Serializer):
    roles = role_codes_field()


class SearchSerializer(serializers.Serializer):
    q = TextField(max_length=200, allow_blank=True)


def _context():
    return {"now": timezone.now()}


class _Base(PartnerAPIView):
    permission_classes = PERMISSIONS
    role_actions = dict.fromkeys(("GET", "POST", "PATCH", "DELETE"), MANAGE)

    def relationship(self, admin_relationship_id) -> AdminRelationship:
        return selectors.admin_relationship_get(
            partner=self.partner, relationship_id=admin_relationship_id
        )

    def shown(self, admin_relationship_id, *, link=False, code=status.HTTP_200_OK):
        relationship = self.relationship(admin_relationship_id)
        serializer = AdminRelationshipDetailSerializer
        if link:
            relationship.link = tokens.link_for(relationship.invitation)
            serializer = AdminRelationshipCreatedSerializer
        return Response(serializer(relationship, context=_context()).data, status=code)


class AdminRelationshipList(mixins.ListModelMixin, _Base):
    serializer_class = AdminRelationshipSerializer

    def get_queryset(self):
        params = self.request.query_params
        value = choice_param(self.request, "status", selectors.LIST_STATUSES)
        search = SearchSerializer(data={"q": params.get("q", "")})
        search.is_valid(raise_exception=True)
        return selectors.admin_relationship_list(
            partner=self.partner,
            status=value,
            search=search.validated_data["q"],
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **_context()}

    @extend_schema(
        tags=TAGS,
        operation_id="admin_relationships_list",
        summary="List admin relationships",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=[str(s) for s in selectors.LIST_STATUSES],
                description="Only those with this status as people see it "
                '("expiring": ends within 30 days).',
            ),
            OpenApiParameter("q", str, description="Name or customer contains."),
        ],
        responses=AdminRelationshipSerializer(many=True),
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        tags=TAGS,
        operation_id="admin_relationships_create",
        summary="Request an admin relationship",
        description="R31: a pending admin relationship and its request (email "
        "draft and link). The response carries the link, once.",
        request=AdminRelationshipCreateSerializer,
        responses={201: AdminRelationshipCreatedSerializer},
    )
    def post(self, request):
        given = AdminRelationshipCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = with_email_language(dict(given.validated_data))
        relationship = services.admin_relationship_request(
            partner=self.partner, created_by=request.user, **data
        )
        return self.shown(relationship.pk, link=True, code=status.HTTP_201_CREATED)


class AdminRelationshipDetail(_Base):
    serializer_class = AdminRelationshipDetailSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="admin_relationships_retrieve",
        summary="Get an admin relationship",
        responses=AdminRelationshipDetailSerializer,
    )
    def get(self, request, admin_relationship_id):
        return self.shown(admin_relationship_id)


class AdminRelationshipTerminate(_Base):
    serializer_class = AdminRelationshipDetailSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="admin_relationships_terminate",
        summary="Terminate an admin relationship",
        description="R35: it ends now (a pending request's link stops working "
        "too); terminating twice changes nothing.",
        request=ReasonSerializer,
        responses=AdminRelationshipDetailSerializer,
    )
    def post(self, request, admin_relationship_id):
        relationship = self.relationship(admin_relationship_id)
        given = ReasonSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.admin_relationship_terminate(
            relationship_id=relationship.pk,
            actor=request.user,
            side="partner",
            reason=given.validated_data["reason"],
        )
        return self.shown(relationship.pk)


def _assignment_of(relationship, assignment_id):
    """One assignment of the relationship (already the partner's), from its
    prefetched assignments; another's id: 404 (R17)."""
    found = next(
        (a for a in relationship.assignments.all() if a.pk == assignment_id), None
    )
    if found is None:
        raise Http404
    return found


class AssignmentList(_Base):
    serializer_class = AssignmentSerializer
    pagination_class = None

    @extend_schema(
        tags=TAGS,
        operation_id="admin_relationships_assignments_list",
        summary="List the access assignments of an admin relationship",
        responses=AssignmentSerializer(many=True),
    )
    def get(self, request, admin_relationship_id):
        relationship = self.relationship(admin_relationship_id)
        return Response(
            AssignmentSerializer(relationship.assignments.all(), many=True).data
        )

    @extend_schema(
        tags=TAGS,
        operation_id="admin_relationships_assignments_create",
        summary="Assign a security group some of the relationship's roles",
        description="R33: the relationship must be active; the roles must be "
        "its own. The same group again changes its roles (200).",
        request=AssignmentCreateSerializer,
        responses={201: AssignmentSerializer, 200: AssignmentSerializer},
    )
    def post(self, request, admin_relationship_id):
        relationship = self.relationship(admin_relationship_id)
        given = AssignmentCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        group_id = given.validated_data["group_id"]
        existed = any(a.group_id == group_id for a in relationship.assignments.all())
        assignment = services.assignment_save(
            relationship_id=relationship.pk,
            group_id=group_id,
            roles=given.validated_data["roles"],
            actor=request.user,
        )
        relationship = self.relationship(relationship.pk)
        return Response(
            AssignmentSerializer(_assignment_of(relationship, assignment.pk)).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class AssignmentDetail(_Base):
    serializer_class = AssignmentSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="admin_relationships_assignments_retrieve",
        summary="Get an access assignment",
        responses=AssignmentSerializer,
    )
    def get(self, request, admin_relationship_id, assignment_id):
        relationship = self.relationship(admin_relationship_id)
        return Response(
            AssignmentSerializer(_assignment_of(relationship, assignment_id)).data
        )

    @extend_schema(
        tags=TAGS,
        operation_id="admin_relationships_assignments_partial_update",
        summary="Change the roles of an access assignment",
        request=AssignmentChangeSerializer,
        responses=AssignmentSerializer,
    )
    def patch(self, request, admin_relationship_id, assignment_id):
        relationship = self.relationship(admin_relationship_id)
        assignment = _assignment_of(relationship, assignment_id)
        given = AssignmentChangeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.assignment_save(
            relationship_id=relationship.pk,
            group_id=assignment.group_id,
            roles=given.validated_data["roles"],
            actor=request.user,
        )
        relationship = self.relationship(relationship.pk)
        return Response(
            AssignmentSerializer(_assignment_of(relationship, assignment.pk)).data
        )

    @extend_schema(
        tags=TAGS,
        operation_id="admin_relationships_assignments_destroy",
        summary="Remove an access assignment",
        responses={204: None},
    )
    def delete(self, request, admin_relationship_id, assignment_id):
        relationship = self.relationship(admin_relationship_id)
        assignment = _assignment_of(relationship, assignment_id)
        services.assignment_delete(
            relationship_id=relationship.pk,
            assignment_id=assignment.pk,
            actor=request.user,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


P = "admin-relationships/"
ONE = P + "<id:admin_relationship_id>/"
urlpatterns = [
    path(P, AdminRelationshipList.as_view(), name="admin-relationship-list"),
    path(ONE, AdminRelationshipDetail.as_view(), name="admin-relationship-detail"),
    path(
        ONE + "terminate/",
        AdminRelationshipTerminate.as_view(),
        name="admin-relationship-terminate",
    ),
    path(
        ONE + "assignments/",
        AssignmentList.as_view(),
        name="admin-relationship-assignment-list",
    ),
    path(
        ONE + "assignments/<id:assignment_id>/",
        AssignmentDetail.as_view(),
        name="admin-relationship-assignment-detail",
    ),
]
