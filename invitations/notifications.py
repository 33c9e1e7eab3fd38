"""R10: tell the partner when a request is accepted or declined.

Runs after commit. Each recipient gets an in-portal notice and an email in their
language; a failing mail server is logged and recorded on the notice, never undoes
the acceptance, and staff can retry from the admin.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from partners.models import Notification, Role

logger = logging.getLogger(__name__)


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
        .select_related("partner_membership")
        .distinct()
    )


def recipient_language(user) -> str:
    """The language the partner user last used in the portal (R19)."""
    membership = getattr(user, "partner_membership", None)
    return (membership.language if membership else "") or settings.LANGUAGE_CODE


def notify_partner(*, invitation_id: int, kind: str) -> None:
    from invitations.models import Invitation

    invitation = Invitation.objects.select_related("partner", "customer").get(
        pk=invitation_id
    )
    customer_name = invitation.customer.name if invitation.customer else ""
    for user in recipients_for(invitation):
        notice = Notification.objects.create(
            user=user,
            kind=kind,
            partner_name=invitation.partner.name,
            customer_name=customer_name,
            invitation_id=invitation.pk,
        )
        notification_email_send(notice=notice, language=recipient_language(user))


def notification_email_send(*, notice: Notification, language: str = "en") -> bool:
    """Send (or re-send) the email of one notice; record the outcome on it."""
    context = {"notice": notice}
    with translation.override(language):
        subject = render_to_string("invitations/email/notice_subject.txt", context)
        body = render_to_string("invitations/email/notice_body.txt", context)
    try:
        # One line whatever the names hold: a header cannot carry a line break.
        send_mail(" ".join(subject.split()), body, None, [notice.user.email])
    except Exception as exc:  # any backend failure: log, record, keep the acceptance
        logger.exception(
            "notification email failed",
            extra={
                "event": "notification_email_failed",
                "invitation_id": notice.invitation_id,
            },
        )
        Notification.objects.filter(pk=notice.pk).update(
            email_error=f"{exc.__class__.__name__}: {exc}"[:300]
        )
        return False
    Notification.objects.filter(pk=notice.pk).update(
        email_sent_at=timezone.now(), email_error=""
    )
    return True
