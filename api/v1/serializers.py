"""What the write resources of /api/v1/ share: the pages' checks (R38's scope,
R1's roles: api.permissions) and the small serializers every resource nests
(a person, a customer, a role).

The API holds no business rule: serializers check only the shape of a request
(types, sizes); the services the pages call give the rules' refusals
(a DomainError with its code, answered 422 by api.errors).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.permissions import PartnerRole, TokenScope
from customers.role_catalogue import ROLES, in_catalogue_order

# Sizes past which a value is malformed, not merely refused by a rule (the
# services give the rules' own messages below these).
MAX_TEXT = 10_000
MAX_SHORT_TEXT = 1_000
MAX_ITEMS = 200
MAX_ID = 2**63 - 1


# Every view of the write resources: the token's scope (R38), then the role.
PERMISSIONS = [TokenScope, PartnerRole]


class TextField(serializers.CharField):
    """A JSON string, nothing else: DRF's CharField would take 5 as "5"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name()


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RoleSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


def roles_of(codes) -> list[dict]:
    """Role codes as ``{code, label}``, in the catalogue's order."""
    return [
        {"code": role.code, "label": str(role.label)}
        for role in in_catalogue_order(list(codes))
    ]


@extend_schema_field(RoleSerializer(many=True))
class RolesField(serializers.Field):
    """A list of role codes shown as ``{code, label}`` (the catalogue's order)."""

    def to_representation(self, value):
        return roles_of(value)


def role_codes_field(**kwargs):
    return serializers.ListField(
        child=TextField(max_length=100),
        max_length=len(ROLES) + 10,
        help_text="Role codes of the catalogue (DESIGN 8.6), e.g. "
        '"helpdesk_administrator".',
        **kwargs,
    )


def id_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def reason_field():
    return TextField(required=False, allow_blank=True, max_length=500, default="")


class ReasonSerializer(serializers.Serializer):
    reason = reason_field()


def raise_form_errors(form) -> None:
    """The page's form's own messages and codes as a 400 (same words as the page)."""
    if form.is_valid():
        return
    detail = {
        (name if name != "__all__" else "non_field_errors"): [
            serializers.ErrorDetail(" ".join(map(str, error.messages)), error.code)
            for error in errors.as_data()
        ]
        for name, errors in form.errors.items()
    }
    raise serializers.ValidationError(detail)


def choice_param(request, name: str, choices) -> str:
    """A query-string filter that must be one of ``choices`` (or absent): anything
    else is a 400 naming the parameter, never a filter silently dropped."""
    value = request.query_params.get(name, "")
    if value and value not in {str(c) for c in choices}:
        raise serializers.ValidationError(
            {
                name: [
                    serializers.ErrorDetail(
                        _("Choose a value from the list."), "invalid_choice"
                    )
                ]
            }
        )
    return value


def with_email_language(data: dict) -> dict:
    """A request's email language (R19): the one given, else the caller's
    (Accept-Language, as the page's), else English."""
    from django.utils import translation

    from invitations.models import Invitation

    if "email_language" not in data:
        language = (translation.get_language() or "en")[:2]
        codes = Invitation.Language.values
        data["email_language"] = language if language in codes else "en"
    return data
