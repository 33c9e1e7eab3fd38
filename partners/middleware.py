from django.contrib import messages
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Notification


class NotificationMiddleware:
    """Show a partner user's new notices (R10) once, on their next page."""

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
            self._deliver(request, user)
        return self.get_response(request)

    def _deliver(self, request, user):
        notices = list(
            Notification.objects.filter(user=user, seen_at__isnull=True).order_by(
                "created_at"
            )[:10]
        )
        if not notices:
            return
        for notice in notices:
            if notice.kind == Notification.Kind.INVITATION_ACCEPTED:
                text = _("%(customer)s accepted your reseller relationship request.")
            else:
                text = _("%(customer)s declined your reseller relationship request.")
            messages.info(request, text % {"customer": notice.customer_name})
        Notification.objects.filter(pk__in=[n.pk for n in notices]).update(
            seen_at=timezone.now()
        )
