"""R10: tell the partner when a request is accepted or declined.

Runs after commit. Each recipient gets an in-portal notice (core's notifications,
kinds registered in invitations.apps) and an email in their language; a failing
mail server is logged and recorded on the notice, never undoes the acceptance,
and staff can retry from the admin.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse

from core.services import notifications_send
from partners.models import Role


def recipients_for(invitation):
    User = get_user_model()
    return list(
        User.objects.filter(
            Q(
                partner_membership__partner=invitation.partner,
                partner_membership__roles__role__in=[
                    Role.GLOBAL_ADMIN,
                    Role.ADMIN_AGENT,
                ],
            )
            | Q(pk=invitation.created_by_id),
            is_active=True,
        )
        .select_related("partner_membership__partner")
        .distinct()
    )


def notify_partner(*, invitation_id: int, kind: str) -> None:
    from invitations.models import Invitation

    invitation = Invitation.objects.select_related("partner", "customer").get(
        pk=invitation_id
    )
    params = {
        "customer": invitation.customer.name if invitation.customer else "",
        "partner": invitation.partner.name,
        "invitation_id": invitation.pk,
    }
    notifications_send(
        recipients=recipients_for(invitation),
        kind=kind,
        params=params,
        link=reverse("invitations:list"),
    )


def notify_creator(*, invitation_id: int, kind: str, days: int) -> None:
    """R23: the partner user who made the request is told it expires soon."""
    from invitations.models import Invitation

    invitation = Invitation.objects.select_related(
        "partner", "created_by__partner_membership"
    ).get(pk=invitation_id)
    notifications_send(
        recipients=[invitation.created_by],
        kind=kind,
        params={
            "recipient": invitation.recipient_email,
            "days": days,
            "invitation_id": invitation.pk,
        },
        link=reverse("invitations:email", kwargs={"invitation_id": invitation.pk}),
    )
