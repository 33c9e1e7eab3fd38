"""R41: webhook endpoint changes in the partner's activity log (customers.activity
keeps the registry; this app registers its source in ApiConfig.ready())."""

from django.utils.translation import gettext_lazy

from api.models import WebhookChange
from customers.activity import ActivitySource, register_activity_source
from partners.permissions import ADMINS


def _details(kind, details, note) -> str:
    return str(details.get("url") or "")


def register() -> None:
    register_activity_source(
        ActivitySource(
            key="webhooks",
            model=WebhookChange,
            kinds=WebhookChange.Kind,
            label=gettext_lazy("Webhooks"),
            customer_field="",
            # R40: those who manage endpoints (Global admins, Admin agents).
            visible=lambda membership: bool(
                membership is not None and membership.role_set & ADMINS
            ),
            describe=_details,
        )
    )
