from core.models import Notification


def notifications_unread(*, recipient, limit: int = 10) -> list[Notification]:
    """The person's notices not yet shown, oldest first."""
    return list(
        Notification.objects.filter(recipient=recipient, read_at__isnull=True).order_by(
            "created_at", "id"
        )[:limit]
    )


def notifications_unread_count(*, recipient) -> int:
    """How many of the person's notices are unread (the bell, R43)."""
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    return unread.count()
