from django.db.models import F, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from invitations import tokens
from invitations.models import Invitation
from partners.models import Partner


def invitation_list(*, partner: Partner, status: str = "") -> QuerySet:
    """The partner's requests, newest first (R17: only theirs)."""
    # The list shows neither the draft nor most of the people's columns; the names
    # it shows come as columns, not as a User and a Customer built for every row.
    qs = (
        Invitation.objects.filter(partner=partner)
        .only(
            "id",
            "partner_id",
            "status",
            "include_dap",
            "recipient_email",
            "sent_at",
            "expires_at",
            "created_by_id",
            "customer_id",
        )
        .annotate(
            creator_email=F("created_by__email"),
            creator_first_name=F("created_by__first_name"),
            creator_last_name=F("created_by__last_name"),
            customer_name=F("customer__name"),
        )
    )
    if status:
        qs = qs.with_effective_status(status)
    return qs.order_by("-sent_at", "-id")


def invitation_get(*, partner: Partner, invitation_id: int) -> Invitation:
    """One of the partner's invitations; another partner's id is a 404 (R17)."""
    return get_object_or_404(
        Invitation.objects.select_related("partner", "created_by"),
        pk=invitation_id,
        partner=partner,
    )


def _invitation_or_none(invitation_id) -> Invitation | None:
    """The invitation a link or a session claims, with what its pages show."""
    if not isinstance(invitation_id, int):
        return None
    return (
        Invitation.objects.select_related("partner", "customer", "relationship")
        .filter(pk=invitation_id)
        .first()
    )


def invitation_from_token(token: str) -> Invitation:
    """The invitation a genuine, current link belongs to; anything else is 404.

    An unknown id and a wrong digest look the same, so a link never tells whether
    some other invitation exists.
    """
    invitation = _invitation_or_none(tokens.parse_token(token))
    if not tokens.check_token(invitation, token):
        raise Http404
    return invitation


def invitation_from_session(data) -> Invitation:
    """The invitation whose link was opened in this session; 404 if it changed since."""
    invitation_id = data.get("id") if isinstance(data, dict) else None
    invitation = _invitation_or_none(invitation_id)
    if not tokens.check_session_proof(invitation, data):
        raise Http404
    return invitation
