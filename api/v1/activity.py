"""R39/R41: the partner's activity log, as the Activity log page shows it.

``GET /api/v1/activity/``: every event of the partner the token's user may see
(customers.activity: each source decides which roles see it, R1), newest
first, with the page's filters (``from``/``to`` dates, ``customer``, ``action``,
``person``), by ``limit``/``offset``: a page is the log's one UNION query, and
one more for the count, whatever the number of events.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

from api.v1.base import PartnerAPIView
from customers import activity
from partners.permissions import Action

MAX_ID = 2**63 - 1
MAX_OFFSET = 10**18 - 1


class ActivityPagination(LimitOffsetPagination):
    """``limit`` 1 to 100 (more is read as 100), ``offset`` 0 or more; anything
    else is a 400, not silently the default."""

    default_limit = 25
    max_limit = 100

    def _number(self, request, name, *, default, smallest):
        given = request.query_params.getlist(name)
        if not given:
            return default
        raw = given[0]
        if len(given) > 1 or not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            raise ValidationError({name: [_("Give a whole number.")]})
        if int(raw) < smallest:
            raise ValidationError({name: [_("Give a whole number from 1 to 100.")]})
        return int(raw)

    def get_limit(self, request):
        limit = self._number(
            request, self.limit_query_param, default=self.default_limit, smallest=1
        )
        return min(limit, self.max_limit)

    def get_offset(self, request):
        return self._number(request, self.offset_query_param, default=0, smallest=0)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = (
                1 if parameter["name"] == self.limit_query_param else 0
            )
            parameter["schema"]["maximum"] = MAX_OFFSET
        return parameters


class EntrySerializer(serializers.Serializer):
    source = serializers.CharField(help_text="Where the event comes from.")
    kind = serializers.CharField(help_text="The event's stable code in its source.")
    action = serializers.CharField(help_text="The event, in the user's language.")
    at = serializers.DateTimeField()
    customer_id = serializers.IntegerField(allow_null=True)
    customer = serializers.CharField()
    person = serializers.CharField()
    details = serializers.CharField()


def _id_field():
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class ActivityFilterSerializer(serializers.Serializer):
    """The query string's filters, as the page's form reads them."""

    customer = _id_field()
    person = _id_field()

    def __init__(self, *args, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        # "from" and "to" are Python keywords: added here, not declared.
        self.fields["from"] = serializers.DateField(required=False)
        self.fields["to"] = serializers.DateField(required=False)
        self.fields["action"] = serializers.ChoiceField(
            choices=list(actions),
            required=False,
            error_messages={"invalid_choice": _("Choose an action from the list.")},
        )

    def validate(self, data):
        start, end = data.get("from"), data.get("to")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"to": _("The end date must be on the start date or after it.")}
            )
        return data

    def filters(self) -> activity.Filters:
        data = self.validated_data
        return activity.Filters(
            start=activity.day_start(data["from"]) if data.get("from") else None,
            end=activity.day_end(data["to"]) if data.get("to") else None,
            customer_id=data.get("customer"),
            action=data.get("action") or None,
            actor_id=data.get("person"),
        )


def _given(params) -> dict:
    """The query string as a plain dict: an empty value is a value (a 400 for
    a date or an id), not "not filtered" as in an HTML form."""
    return {name: params.get(name) for name in params}


class ActivityList(PartnerAPIView):
    """The partner's events, newest first (R41)."""

    required_action = Action.VIEW_OVERVIEW
    serializer_class = EntrySerializer
    pagination_class = ActivityPagination

    @extend_schema(
        operation_id="activity_list",
        summary="List the activity log",
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)."
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD)."
            ),
            OpenApiParameter("customer", int, description="A customer's id."),
            OpenApiParameter(
                "action",
                str,
                description='An event, as "source:kind" (e.g. '
                '"relationship:relationship_ended").',
            ),
            OpenApiParameter("person", int, description="The id of who acted."),
        ],
        responses=EntrySerializer(many=True),
        tags=["activity"],
    )
    def get(self, request):
        scope = activity.Scope(partner=self.partner, membership=self.membership)
        actions = [
            value
            for _label, items in activity.action_groups(scope)
            for value, _text in items
        ]
        query = ActivityFilterSerializer(
            data=_given(request.query_params), actions=actions
        )
        query.is_valid(raise_exception=True)
        listing = activity.Listing(scope, query.filters())
        page = self.paginate_queryset(listing)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


urlpatterns = [
    path("activity/", ActivityList.as_view(), name="activity-list"),
]
