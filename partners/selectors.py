"""Reads of partners and their people, scoped to the acting partner (R17)."""

from django.db.models import Case, IntegerField, Value, When
from django.http import Http404

from core.converters import is_id
from partners.models import PartnerMembership, PartnerUserEvent


def partner_people(*, partner) -> list[PartnerMembership]:
    """R26: the partner's people with their users and roles: two queries however
    many there are. Active people first, then by name and address."""
    return list(
        PartnerMembership.objects.filter(partner=partner)
        .select_related("user")
        .prefetch_related("roles")
        .annotate(
            removed=Case(
                When(user__is_active=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("removed", "user__first_name", "user__last_name", "user__email")
    )


def partner_person(*, partner, user_id) -> PartnerMembership:
    """One person of ``partner`` by user id; 404 for anyone else's (R17) and for
    an id that cannot be one (R20)."""
    if not is_id(user_id):
        raise Http404
    membership = (
        PartnerMembership.objects.filter(partner=partner, user_id=user_id)
        .select_related("user")
        .prefetch_related("roles")
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def person_status(user) -> str:
    """ "active", "removed", or "invited" (no password set yet)."""
    if not user.is_active:
        return "removed"
    if not user.has_usable_password():
        return "invited"
    return "active"


def partner_user_events(*, partner, limit: int = 50) -> list[PartnerUserEvent]:
    """The latest changes to the partner's people (for the activity log, R41)."""
    return list(
        PartnerUserEvent.objects.filter(partner=partner).select_related(
            "actor", "subject"
        )[:limit]
    )
