"""Every read of what core keeps: notifications, scoped to their recipient."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from core.models import Notification


def notification_list(*, recipient, unread_only: bool = False) -> QuerySet:
    """The person's notices, newest first (R43); only theirs, whatever the filter."""
    notices = Notification.objects.filter(recipient=recipient)
    if unread_only:
        notices = notices.filter(read_at__isnull=True)
    return notices.order_by("-created_at", "-id")


def notification_get(*, recipient, notification_id) -> Notification:
    """One of the person's notices; someone else's (or none) is a 404 (R17)."""
    return get_object_or_404(Notification, pk=notification_id, recipient=recipient)


def notifications_unread_count(*, recipient) -> int:
    """How many of the person's notices are unread (the bell, R43)."""
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    return unread.count()
