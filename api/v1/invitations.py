"""R39: relationship requests (R2–R7, R22, R24) through the API.

The same services as the Relationship requests pages: create (R3's refusal
``dap_required``), revoke, new link, extend and send (R22, through the queue).
The link is a secret (R7): only the create and new-link responses carry it,
never a list or a get. Sales agents open and change only their own requests,
as on the pages (R1).
"""

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.response import Response

from api.v1.base import PartnerAPIView
from api.v1.serializers import (
    MAX_SHORT_TEXT,
    PERMISSIONS,
    CustomerRefSerializer,
    TextField,
    choice_param,
    with_email_language,
)
from invitations import selectors, services, tokens
from invitations.models import Invitation
from partners.permissions import Action, can_manage_invitation, membership_of

Status = Invitation.Status
TAGS = ["Relationship requests"]


class DeliverySerializer(serializers.Serializer):
    """R22: what became of the latest email sent from the portal."""

    code = serializers.ChoiceField(choices=["queued", "sent", "failed", "opened"])
    label = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()


class InvitationSerializer(serializers.Serializer):
    """A relationship request as the list shows it (never its link, R7)."""

    id = serializers.IntegerField()
    status = serializers.SerializerMethodField()
    include_dap = serializers.BooleanField()
    recipient_email = serializers.CharField()
    sent_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    first_opened_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.CharField(
        source="creator_email", help_text="The email address of who made it."
    )
    customer = serializers.SerializerMethodField()
    can_manage = serializers.SerializerMethodField()
    delivery = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=Status.choices))
    def get_status(self, inv) -> str:
        # As people see it: a pending link past its date is expired.
        return inv.effective_status(self.context["now"])

    @extend_schema_field(CustomerRefSerializer(allow_null=True))
    def get_customer(self, inv):
        if not inv.customer_id:
            return None
        return {"id": inv.customer_id, "name": inv.customer_name}

    def get_can_manage(self, inv) -> bool:
        return can_manage_invitation(self.context["membership"], inv)

    @extend_schema_field(DeliverySerializer(allow_null=True))
    def get_delivery(self, inv):
        shown = selectors.delivery(
            status=inv.email_status,
            sent_at=inv.email_sent_at,
            error=inv.email_error,
            opened_at=inv.first_opened_at,
            labels=self.context["labels"],
        )
        if shown is None:
            return None
        return {
            "code": shown.code,
            "label": str(shown.label),
            "sent_at": shown.sent_at,
            "reason": shown.reason or "",
        }


class InvitationDetailSerializer(InvitationSerializer):
    kind = serializers.ChoiceField(
        choices=Invitation.Kind.choices,
        help_text="The list has reseller requests only; an admin relationship's "
        "request (R31) is got, revoked, renewed and sent here too.",
    )
    email_language = serializers.ChoiceField(choices=Invitation.Language.choices)
    subject = serializers.CharField(
        help_text="The saved draft's subject; {{invitation_link}} stands for the link."
    )
    body = serializers.CharField(
        help_text="The saved draft's text; {{invitation_link}} stands for the link."
    )


class InvitationWithLinkSerializer(InvitationDetailSerializer):
    link = serializers.CharField(
        help_text="The personalised link (R7). Shown only in this response."
    )


class InvitationCreateSerializer(serializers.Serializer):
    """R2/R3: what the request form asks."""

    include_dap = serializers.BooleanField(
        default=True,
        help_text="Include delegated administration privileges (required in "
        "sovereign clouds: refused with dap_required).",
    )
    recipient_email = serializers.EmailField(
        required=False, allow_blank=True, max_length=254, default=""
    )
    email_language = serializers.ChoiceField(
        choices=Invitation.Language.choices,
        required=False,
        help_text="The email's language; by default the token user's language.",
    )


class SendSerializer(serializers.Serializer):
    to = TextField(
        required=False,
        allow_blank=True,
        max_length=MAX_SHORT_TEXT,
        default="",
        help_text="Where to send it; by default the request's recipient.",
    )


def _context(view, **extra):
    return {
        "now": timezone.now(),
        "membership": membership_of(view.request.user),
        "labels": selectors.delivery_labels(),
        **extra,
    }


def _with_columns(invitation: Invitation) -> Invitation:
    """A request read by ``invitation_get`` with the columns the list selector
    annotates, so one serializer shows both."""
    email = invitation.last_email
    invitation.creator_email = invitation.created_by.email
    invitation.customer_name = (
        invitation.customer.name if invitation.customer_id else ""
    )
    invitation.email_status = email.status if email else None
    invitation.email_sent_at = email.sent_at if email else None
    invitation.email_error = email.last_error if email else ""
    return invitation


class _Managed(PartnerAPIView):
    permission_classes = PERMISSIONS

    def managed(self, invitation_id) -> Invitation:
        """The page's ``_managed``: the partner's (else 404, R17) and one this
        person may open and change (R1, else 403)."""
        invitation = selectors.invitation_get(
            partner=self.partner, invitation_id=invitation_id
        )
        if not can_manage_invitation(membership_of(self.request.user), invitation):
            raise exceptions.PermissionDenied(
                _(
                    "Only the person who made this request, a Global admin or an "
                    "Admin agent can open or change it."
                ),
                code="not_request_owner",
            )
        return invitation

    def shown(self, invitation_id, *, link=False, code=status.HTTP_200_OK):
        invitation = _with_columns(
            selectors.invitation_get(partner=self.partner, invitation_id=invitation_id)
        )
        serializer = InvitationDetailSerializer
        if link:
            # R7: made from the current nonce, shown in this response only.
            invitation.link = tokens.link_for(invitation)
            serializer = InvitationWithLinkSerializer
        data = serializer(invitation, context=_context(self)).data
        return Response(data, status=code)


class InvitationList(mixins.ListModelMixin, _Managed):
    role_actions = {
        "GET": Action.REQUEST_RELATIONSHIP,
        "POST": Action.REQUEST_RELATIONSHIP,
    }
    serializer_class = InvitationSerializer

    def get_queryset(self):
        value = choice_param(self.request, "status", Status.values)
        return selectors.invitation_list(partner=self.partner, status=value)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **_context(self)}

    @extend_schema(
        tags=TAGS,
        operation_id="relationship_requests_list",
        summary="List relationship requests",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=Status.values,
                description="Only requests with this status (as people see it).",
            )
        ],
        responses=InvitationSerializer(many=True),
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        tags=TAGS,
        operation_id="relationship_requests_create",
        summary="Request a reseller relationship",
        description="R2/R3/R7: a pending request with its email draft. The "
        "response carries the link, once.",
        request=InvitationCreateSerializer,
        responses={201: InvitationWithLinkSerializer},
    )
    def post(self, request):
        given = InvitationCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = with_email_language(dict(given.validated_data))
        invitation = services.invitation_create(
            partner=self.partner, created_by=request.user, **data
        )
        return self.shown(invitation.pk, link=True, code=status.HTTP_201_CREATED)


class InvitationDetail(_Managed):
    role_actions = {"GET": Action.REQUEST_RELATIONSHIP}
    serializer_class = InvitationDetailSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="relationship_requests_retrieve",
        summary="Get a relationship request",
        responses=InvitationDetailSerializer,
    )
    def get(self, request, invitation_id):
        self.managed(invitation_id)
        return self.shown(invitation_id)


class _Action(_Managed):
    """One POST on a request: the page's service, then the request as it is."""

    role_actions = {"POST": Action.MANAGE_REQUESTS}
    serializer_class = InvitationDetailSerializer


class InvitationRevoke(_Action):
    @extend_schema(
        tags=TAGS,
        operation_id="relationship_requests_revoke",
        summary="Revoke a pending request",
        description="R7: its link then answers 410.",
        request=None,
        responses=InvitationDetailSerializer,
    )
    def post(self, request, invitation_id):
        invitation = self.managed(invitation_id)
        services.invitation_revoke(invitation_id=invitation.pk, actor=request.user)
        return self.shown(invitation.pk)


class InvitationNewLink(_Action):
    serializer_class = InvitationWithLinkSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="relationship_requests_new_link",
        summary="Create a new link",
        description="R7: the previous link stops working at once. The response "
        "carries the new link, once.",
        request=None,
        responses=InvitationWithLinkSerializer,
    )
    def post(self, request, invitation_id):
        invitation = self.managed(invitation_id)
        invitation = services.invitation_renew_link(
            invitation_id=invitation.pk, actor=request.user
        )
        return self.shown(invitation.pk, link=True)


class InvitationExtend(_Action):
    @extend_schema(
        tags=TAGS,
        operation_id="relationship_requests_extend",
        summary="Extend a pending request",
        description="R24: it expires INVITATION_TTL_DAYS from now; same link.",
        request=None,
        responses=InvitationDetailSerializer,
    )
    def post(self, request, invitation_id):
        invitation = self.managed(invitation_id)
        services.invitation_extend(invitation_id=invitation.pk, actor=request.user)
        return self.shown(invitation.pk)


class InvitationSend(_Action):
    @extend_schema(
        tags=TAGS,
        operation_id="relationship_requests_send",
        summary="Send the email",
        description="R22: the saved draft with its link goes out through the "
        "queue (refused past the hourly limit).",
        request=SendSerializer,
        responses={202: InvitationDetailSerializer},
    )
    def post(self, request, invitation_id):
        invitation = self.managed(invitation_id)
        given = SendSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.invitation_send_email(
            invitation_id=invitation.pk,
            actor=request.user,
            to=given.validated_data["to"] or invitation.recipient_email,
        )
        return self.shown(invitation.pk, code=status.HTTP_202_ACCEPTED)


P = "relationship-requests/"
ONE = P + "<id:invitation_id>/"
urlpatterns = [
    path(P, InvitationList.as_view(), name="relationship-request-list"),
    path(ONE, InvitationDetail.as_view(), name="relationship-request-detail"),
    path(
        ONE + "revoke/", InvitationRevoke.as_view(), name="relationship-request-revoke"
    ),
    path(
        ONE + "new-link/",
        InvitationNewLink.as_view(),
        name="relationship-request-new-link",
    ),
    path(
        ONE + "extend/", InvitationExtend.as_view(), name="relationship-request-extend"
    ),
    path(ONE + "send/", InvitationSend.as_view(), name="relationship-request-send"),
]
