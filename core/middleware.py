from django.contrib import messages

from core.notifications import notice_text
from core.selectors import notifications_unread
from core.services import notifications_mark_read


class NotificationMiddleware:
    """Show a person's new notices once, on their next page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            request.method == "GET"
            and user is not None
            and user.is_authenticated
            and not request.path.startswith(("/admin/", "/static/", "/healthz"))
        ):
            notices = notifications_unread(recipient=user)
            for notice in notices:
                messages.info(request, notice_text(notice))
            if notices:
                notifications_mark_read(recipient=user, ids=[n.pk for n in notices])
        return self.get_response(request)
