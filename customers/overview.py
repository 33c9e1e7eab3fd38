"""R42: what the customers app adds to the Overview (registered in ``ready()``):
recent activity and open service requests."""

from django.urls import reverse

from customers.selectors import overview_open_service_requests, overview_recent_events
from partners.overview import register_panel
from partners.permissions import Action, can

RECENT_ACTIVITY = 10
OPEN_SERVICE_REQUESTS = 5


def recent_activity_panel(*, partner, membership, now) -> dict:
    """The partner's last events, newest first: one query."""
    return {
        "events": overview_recent_events(partner=partner, limit=RECENT_ACTIVITY),
        "list_url": reverse("customers:list"),
    }


def open_service_requests_panel(*, partner, membership, now) -> dict:
    """How many service requests are not resolved, and the latest: one query."""
    rows, total = overview_open_service_requests(
        partner=partner, limit=OPEN_SERVICE_REQUESTS
    )
    return {
        "rows": rows,
        "total": total,
        "list_url": reverse("customers:service_requests"),
    }


def may_see_service_requests(membership) -> bool:
    return can(membership, Action.VIEW_SERVICE_REQUESTS)


def register() -> None:
    """Called from ``CustomersConfig.ready()``."""
    register_panel(
        "recent_activity",
        order=30,
        template="partners/includes/overview_recent_activity.html",
        build=recent_activity_panel,
    )
    register_panel(
        "open_service_requests",
        order=40,
        template="partners/includes/overview_service_requests.html",
        build=open_service_requests_panel,
        visible=may_see_service_requests,
    )
