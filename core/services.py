"""Every write to what core keeps: notifications."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.models import Notification
from core.notifications import notice_email
from core.timezones import person_time_zone

logger = logging.getLogger(__name__)


def recipient_language(user) -> str:
    """The language the person last used in the portal (R19), else the default.

    Partner users keep it on their membership (partners.services); read by name,
    so core imports no app.
    """
    membership = getattr(user, "partner_membership", None)
    return getattr(membership, "language", "") or settings.LANGUAGE_CODE


def notification_create(
    *, recipient, kind: str, params: dict | None = None, link: str = ""
) -> Notification:
    """One unread notice of a registered kind (core.notifications.register_kind).

    ``params`` holds codes and names, not translated text: the kind's texts are
    rendered in each reader's language. ``link`` is a path in the portal.
    """
    return Notification.objects.create(
        recipient=recipient, kind=kind, params=params or {}, link=link
    )


def notifications_send(
    *, recipients, kind: str, params: dict | None = None, link: str = ""
) -> list[Notification]:
    """Give each person a notice and its email in their language (R10, R43).

    Called after the cause is committed (``transaction.on_commit``): a failing
    mail server is recorded on the notice (``email_error``) for staff to retry,
    and never undoes the cause. Recipients are read with ``partner_membership``
    selected, so their language costs no query.
    """
    notices = []
    for user in recipients:
        notice = notification_create(
            recipient=user, kind=kind, params=params, link=link
        )
        notification_email_send(notification=notice, language=recipient_language(user))
        notices.append(notice)
    return notices


def notifications_mark_read(*, recipient, ids) -> int:
    """Mark these notices of this person read; someone else's ids change nothing.

    Notices stay unread until the person marks them (R43): pages never do.
    """
    return Notification.objects.filter(
        recipient=recipient, pk__in=list(ids), read_at__isnull=True
    ).update(read_at=timezone.now())


def notifications_mark_all_read(*, recipient) -> int:
    """Mark every unread notice of this person read (R43); returns how many."""
    return Notification.objects.filter(
        recipient=recipient, read_at__isnull=True
    ).update(read_at=timezone.now())


def notification_email_send(*, notification: Notification, language: str) -> bool:
    """Send (or re-send) the email of one notice; record the outcome on it.

    A failing mail server is logged and recorded, never raised: what caused the
    notice (an acceptance, say) stands.
    """
    zone = person_time_zone(notification.recipient)  # R45: dates in their zone
    with translation.override(language), timezone.override(zone):
        subject, text = notice_email(notification)
        body = render_to_string("core/email/notice_body.txt", {"text": text})
    try:
        # One line whatever the names hold: a header cannot carry a line break.
        send_mail(" ".join(subject.split()), body, None, [notification.recipient.email])
    except Exception as exc:  # any backend failure: log, record, keep the cause
        logger.exception(
            "notification email failed",
            extra={
                "event": "notification_email_failed",
                "invitation_id": (notification.params or {}).get("invitation_id"),
            },
        )
        Notification.objects.filter(pk=notification.pk).update(
            email_error=f"{exc.__class__.__name__}: {exc}"[:300]
        )
        return False
    Notification.objects.filter(pk=notification.pk).update(
        email_sent_at=timezone.now(), email_error=""
    )
    return True
