"""invitations' tasks (R23) and the renderer that puts the link into an email
only when the worker sends it (R7: what is stored keeps the placeholder)."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from core.mail import Rendered
from invitations import services, tokens
from invitations.models import LINK_PLACEHOLDER, Invitation


@task()
def send_reminder(invitation_id: int, days_before: int, expires_at: str) -> str:
    return services.invitation_remind(
        invitation_id=invitation_id,
        days_before=days_before,
        expires_at=datetime.fromisoformat(expires_at),
    )


def render_invitation_email(email) -> Rendered | str:
    """The email's stored text with the request's current link filled in, or
    why it must not go out: a request no longer pending has no working link."""
    invitation = Invitation.objects.filter(pk=email.object_id).first()
    if invitation is None or (
        invitation.effective_status(timezone.now()) != Invitation.Status.PENDING
    ):
        return _("Not sent: the request is no longer pending.")
    link = tokens.link_for(invitation)
    return Rendered(
        subject=email.subject.replace(LINK_PLACEHOLDER, link),
        body=email.body.replace(LINK_PLACEHOLDER, link),
    )
