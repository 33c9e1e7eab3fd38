"""R39: security groups (R33) through the API: list, create, get, rename and
set members (PATCH), delete.

Global admins and Admin agents only, as the pages (R1). The page's services
give the refusals: ``name_required``, ``name_too_long``, ``name_taken``,
``unknown_member`` (someone not of the partner), ``group_in_use`` (delete).
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from api.v1.base import PartnerAPIView
from api.v1.serializers import (
    MAX_ITEMS,
    MAX_SHORT_TEXT,
    PERMISSIONS,
    TextField,
    id_field,
)
from gdap import selectors, services
from partners.permissions import Action

MANAGE = Action.MANAGE_ADMIN_RELATIONSHIPS
TAGS = ["Security groups"]


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id")
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.get_full_name")


class SecurityGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    members = MemberSerializer(many=True, source="memberships.all")
    assignment_count = serializers.IntegerField(
        help_text="How many admin relationships assign it (R33)."
    )


def _name_field(**kwargs):
    return TextField(
        max_length=MAX_SHORT_TEXT,
        allow_blank=True,
        help_text="1 to 50 characters, unique among the partner's groups.",
        **kwargs,
    )


def _members_field(**kwargs):
    return serializers.ListField(
        child=id_field(),
        max_length=MAX_ITEMS,
        help_text="User ids of the partner's active people.",
        **kwargs,
    )


class SecurityGroupCreateSerializer(serializers.Serializer):
    name = _name_field()
    member_ids = _members_field(required=False, default=list)


class SecurityGroupChangeSerializer(serializers.Serializer):
    name = _name_field(required=False)
    member_ids = _members_field(required=False)


class _Base(PartnerAPIView):
    permission_classes = PERMISSIONS
    role_actions = dict.fromkeys(("GET", "POST", "PATCH", "DELETE"), MANAGE)
    serializer_class = SecurityGroupSerializer

    def group(self, group_id):
        return selectors.security_group_get(partner=self.partner, group_id=group_id)

    def shown(self, group_id, code=status.HTTP_200_OK):
        return Response(SecurityGroupSerializer(self.group(group_id)).data, status=code)


class SecurityGroupList(mixins.ListModelMixin, _Base):
    def get_queryset(self):
        return selectors.security_group_list(partner=self.partner)

    @extend_schema(
        tags=TAGS,
        operation_id="security_groups_list",
        summary="List security groups",
        responses=SecurityGroupSerializer(many=True),
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        tags=TAGS,
        operation_id="security_groups_create",
        summary="Create a security group",
        request=SecurityGroupCreateSerializer,
        responses={201: SecurityGroupSerializer},
    )
    def post(self, request):
        given = SecurityGroupCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        group = services.group_create(
            partner=self.partner,
            name=given.validated_data["name"],
            member_ids=given.validated_data["member_ids"],
            actor=request.user,
        )
        return self.shown(group.pk, code=status.HTTP_201_CREATED)


class SecurityGroupDetail(_Base):
    @extend_schema(
        tags=TAGS,
        operation_id="security_groups_retrieve",
        summary="Get a security group",
        responses=SecurityGroupSerializer,
    )
    def get(self, request, group_id):
        return self.shown(group_id)

    @extend_schema(
        tags=TAGS,
        operation_id="security_groups_partial_update",
        summary="Rename a security group or set its members",
        description="What is left out stays as it is; member_ids replaces the members.",
        request=SecurityGroupChangeSerializer,
        responses=SecurityGroupSerializer,
    )
    def patch(self, request, group_id):
        group = self.group(group_id)
        given = SecurityGroupChangeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        services.group_update(
            partner=self.partner,
            group_id=group.pk,
            name=data.get("name", group.name),
            member_ids=data.get(
                "member_ids", [m.user_id for m in group.memberships.all()]
            ),
            actor=request.user,
        )
        return self.shown(group.pk)

    @extend_schema(
        tags=TAGS,
        operation_id="security_groups_destroy",
        summary="Delete a security group",
        description="Refused (422 group_in_use) while an admin relationship "
        "assigns it.",
        responses={204: None},
    )
    def delete(self, request, group_id):
        group = self.group(group_id)
        services.group_delete(
            partner=self.partner, group_id=group.pk, actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("security-groups/", SecurityGroupList.as_view(), name="security-group-list"),
    path(
        "security-groups/<id:group_id>/",
        SecurityGroupDetail.as_view(),
        name="security-group-detail",
    ),
]
