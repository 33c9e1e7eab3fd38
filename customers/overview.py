"""R42: what the customers app adds to the Overview (registered in ``ready()``):
recent activity and open service requests."""

from django.urls import reverse

from core.formatting import datetime_formatter, html_text
from core.links import reverse_each
from core.templatetags.portal import machine_time
from customers.models import RelationshipEvent, ServiceRequest
from customers.selectors import overview_open_service_requests, overview_recent_events
from partners.overview import html_items, register_panel
from partners.permissions import Action, can

RECENT_ACTIVITY = 10
OPEN_SERVICE_REQUESTS = 5


def recent_activity_panel(*, partner, membership, now) -> dict:
    """The partner's last events, newest first: one query. The items are written
    here (each value escaped), each link reversed once for the panel, each time
    formatted once a minute, each kind translated once."""
    events = overview_recent_events(partner=partner, limit=RECENT_ACTIVITY)
    urls = reverse_each(
        "customers:detail",
        "customer_id",
        {e.customer_id for e in events if e.customer_id is not None},
    )
    kinds = {}
    when = datetime_formatter()
    items = []
    for event in events:
        kind = kinds.get(event.kind)
        if kind is None:
            kind = kinds[event.kind] = html_text(
                _choice_label(RelationshipEvent.Kind, event.kind)
            )
        customer = ""
        if event.customer_id is not None:
            customer = (
                f'<a href="{html_text(urls[event.customer_id])}">'
                f"{html_text(event.customer__name)}</a>: "
            )
        actor = ""
        if event.actor_id is not None:
            name = f"{event.actor__first_name} {event.actor__last_name}".strip()
            actor = f" · {html_text(name or event.actor__email)}"
        items.append(
            f"<li>\n    {customer}{kind}<br>\n    "
            f'<span class="muted"><time datetime="{machine_time(event.created_at)}">'
            f"{html_text(when(event.created_at))}</time>{actor}</span>\n  </li>"
        )
    return {
        "events": events,
        "items_html": html_items(items),
        "list_url": reverse("customers:list"),
    }


def open_service_requests_panel(*, partner, membership, now) -> dict:
    """How many service requests are not resolved, and the latest: one query
    (two when there are more than shown). Items written here, as above."""
    rows, total = overview_open_service_requests(
        partner=partner, limit=OPEN_SERVICE_REQUESTS
    )
    urls = reverse_each(
        "customers:service_request", "request_id", [sr.pk for sr in rows]
    )
    when = datetime_formatter()
    items = []
    for sr in rows:
        status = html_text(sr.status)
        items.append(
            f'<li>\n    <a href="{html_text(urls[sr.pk])}">'
            f"{html_text(ServiceRequest.format_number(sr.pk))} {html_text(sr.title)}"
            f'</a>\n    <span class="badge badge--{status}">'
            f"{html_text(_choice_label(ServiceRequest.Status, sr.status))}</span>\n"
            f'    <br><span class="muted">{html_text(sr.customer__name)} · '
            f'<time datetime="{machine_time(sr.created_at)}">'
            f"{html_text(when(sr.created_at))}</time></span>\n  </li>"
        )
    return {
        "rows": rows,
        "items_html": html_items(items),
        "total": total,
        "list_url": reverse("customers:service_requests"),
    }


def _choice_label(choices, value) -> str:
    """What ``get_FOO_display()`` shows: the choice's label, else the value."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


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
