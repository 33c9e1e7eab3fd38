"""R43: the notice sent when a webhook endpoint is disabled (R40)."""

from django.utils.translation import gettext_lazy as _

from core.notifications import register_kind


def register_kinds() -> None:
    register_kind(
        "webhook_endpoint_disabled",
        label=_("Webhook endpoint disabled"),
        message=_(
            "The webhook endpoint %(url)s was disabled after %(failures)s failed "
            "deliveries in a row."
        ),
        email_subject=_("Webhook endpoint %(url)s disabled"),
        email_body=_(
            "The webhook endpoint %(url)s failed %(failures)s times in a row and "
            "no longer receives events. Fix the receiver, then enable the endpoint "
            "again under Webhooks: the waiting events will be sent."
        ),
    )
