from django.utils.functional import SimpleLazyObject

from core.selectors import notifications_unread_count


def notifications(request):
    """The unread count for the bell in the navigation (R43): one query, and only
    when a page shows the bell."""
    user = getattr(request, "user", None)

    def _unread():
        if user is None or not user.is_authenticated:
            return {"count": 0}
        return {"count": notifications_unread_count(recipient=user)}

    # Templates read ``notifications_unread.count``: a plain int, counted once.
    return {"notifications_unread": SimpleLazyObject(_unread)}
