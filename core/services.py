"""Every write to what core keeps: notifications."""

import logging

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.mail import email_queue
from core.models import Notification, OutgoingEmail
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

    Called after the cause is committed (``transaction.on_commit``); the emails
    go through the queue (R21): a failing mail server is recorded on the notice
    (``email_error``) for staff to retry, and never undoes the cause. Recipients
    are read with ``partner_membership`` selected, so their language costs no
    query. Inside a transaction, the notices and their emails commit with it.
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


def notification_email_send(
    *, notification: Notification, language: str
) -> OutgoingEmail:
    """Queue the email of one notice (R10 through the queue, R21), written in the
    person's language and time zone now; the worker sends it and records the
    outcome on the notice. A failing mail server never undoes the notice's cause.
    """
    zone = person_time_zone(notification.recipient)  # R45: dates in their zone
    with translation.override(language), timezone.override(zone):
        subject, text = notice_email(notification)
        body = render_to_string("core/email/notice_body.txt", {"text": text})
    with transaction.atomic():
        return email_queue(
            to=notification.recipient.email,
            subject=subject,
            body=body,
            language=language,
            notification=notification,
        )
