"""Table rows written in Python, for the lists that show 25 to 100 of them.

A row of the Customers table or of a service-request list is about thirty
template variables; rendered by the template engine, 25 rows were most of those
pages' time (make bench, bench/README.md "Issue 12"). As Django's own admin does
for its change list (``admin_list.items_for_result``), the cells are built here
with ``format_html`` (every value escaped), each label translated once per page,
and the template prints the finished rows. The markup is the one the templates
had; the tests of those pages read it.
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from core.countries import country_name
from core.formatting import date_formatter, datetime_formatter
from core.formatting import html_text as _e
from core.templatetags.portal import machine_time
from customers.access import has_admin_relationship
from customers.models import ServiceRequest


def customer_rows(cards, *, expand_all: bool) -> SafeString:
    """Give each card of the Customers list its ``row``: the customer's line of
    the table (name and domain, the arrow that opens the details, country, admin
    access, subscriptions, since, open service requests). Return the table's
    bodies for collapsed cards: each card's row and its empty details row (the
    body arrives from ``body_url`` when the arrow opens it)."""
    labels = {
        "name": gettext("Name"),
        "country": gettext("Country/region"),
        "access": gettext("Admin access"),
        "subscriptions": gettext("Subscriptions"),
        "since": gettext("Since"),
        "requests": gettext("Open service requests"),
        "show": gettext("Show details of"),
    }
    labels = {key: _e(label) for key, label in labels.items()}
    badges = {
        "dap": format_html(
            '<span class="badge badge--active">{}</span>', gettext("Admin privileges")
        ),
        "removed": format_html(
            '<span class="badge badge--removed">{}</span>',
            gettext("Privileges removed"),
        ),
        "reseller": format_html(
            '<span class="badge badge--reseller">{}</span>', gettext("Reseller only")
        ),
        # R36: an active admin relationship (GDAP), beside the DAP state.
        "gdap": format_html(
            ' <span class="badge badge--active">{}</span>',
            gettext("Admin relationship"),
        ),
    }
    expanded = "true" if expand_all else "false"
    since_text = date_formatter()
    countries = {}
    bodies = []
    for card in cards:
        relationship = card.relationship
        customer = relationship.customer
        code = customer.country
        if code not in countries:
            countries[code] = _e(country_name(code)) if code else ""
        if relationship.dap_active:
            badge = badges["dap"]
        elif relationship.dap_removed_at:
            badge = badges["removed"]
        else:
            badge = badges["reseller"]
        if has_admin_relationship(relationship):
            badge += badges["gdap"]
        dom_id = _e(card.dom_id)
        name = _e(customer.name)
        toggle = ""
        if card.body_url:
            toggle = (
                '<button type="button" class="card__toggle" hidden data-card-toggle'
                f' aria-expanded="{expanded}" aria-controls="{dom_id}-body">'
                f'<span class="visually-hidden">{labels["show"]} {name}</span>'
                '<span class="card__arrow" aria-hidden="true">▾</span></button>'
            )
        card.row = mark_safe(  # noqa: S308 (every value escaped)
            '<tr class="customer__row">'
            f'<th scope="row" class="customer__name" data-label="{labels["name"]}">'
            f'<a href="{_e(card.detail_url)}" id="{dom_id}-title" data-card-link>'
            f"{name}</a> "
            f'<span class="customer__domain">{_e(customer.domain)}</span></th>'
            f'<td class="customer__toggle">{toggle}</td>'
            f'<td data-label="{labels["country"]}">{countries[code]}</td>'
            f'<td data-label="{labels["access"]}">{badge}</td>'
            f'<td class="num" data-label="{labels["subscriptions"]}">'
            f"{_e(relationship.subscription_count)}</td>"
            f'<td data-label="{labels["since"]}">{_e(since_text(relationship.since))}'
            "</td>"
            f'<td class="num" data-label="{labels["requests"]}">'
            f"{_e(relationship.open_request_count)}</td></tr>"
        )
        if not expand_all:
            bodies.append(
                f'<tbody class="customer" id="{dom_id}" data-card>{card.row}'
                '<tr class="customer__details" data-card-row hidden>'
                f'<td colspan="7"><div class="card__body" id="{dom_id}-body"'
                f' data-card-body data-card-src="{_e(card.body_url)}"></div></td>'
                "</tr></tbody>"
            )
    return join_rows(bodies)


def service_request_rows(
    page, *, detail_urls: dict, party_label: str, party_of
) -> list[SafeString]:
    """One row per service request of ``page`` (R44): number and title linking to
    its page (``detail_urls`` by id), the other party (``party_of(sr)`` gives its
    name and the URL of its page, or ``""``), severity, status, opened, updated.
    Times in the person's zone (R45), each minute formatted once."""
    labels = {
        "number": gettext("Number"),
        "title": gettext("Title"),
        "severity": gettext("Severity"),
        "status": gettext("Status"),
        "opened": gettext("Opened"),
        "updated": gettext("Updated"),
    }
    when = datetime_formatter()
    # Each choice's label translated once for the page, not twice a row.
    severities = {key: str(label) for key, label in ServiceRequest.Severity.choices}
    statuses = {key: str(label) for key, label in ServiceRequest.Status.choices}
    labels = {key: _e(label) for key, label in labels.items()}
    party_label = _e(party_label)
    rows = []
    for sr in page:
        url = _e(detail_urls[sr.pk])
        party_name, party_url = party_of(sr)
        party = (
            f'<a href="{_e(party_url)}">{_e(party_name)}</a>'
            if party_url
            else _e(party_name)
        )
        severity, status = _e(sr.severity), _e(sr.status)
        rows.append(
            mark_safe(  # noqa: S308 (every value escaped)
                f'<tr><td data-label="{labels["number"]}"><a href="{url}">'
                f"{_e(sr.number)}</a></td>"
                f'<td data-label="{labels["title"]}"><a href="{url}">{_e(sr.title)}'
                "</a></td>"
                f'<td data-label="{party_label}">{party}</td>'
                f'<td data-label="{labels["severity"]}"><span class="badge'
                f' badge--{severity}">{_e(severities.get(sr.severity, sr.severity))}'
                "</span></td>"
                f'<td data-label="{labels["status"]}"><span class="badge'
                f' badge--{status}">{_e(statuses.get(sr.status, sr.status))}'
                "</span></td>"
                f'<td data-label="{labels["opened"]}"><time'
                f' datetime="{_e(machine_time(sr.created_at))}">'
                f"{_e(when(sr.created_at))}</time></td>"
                f'<td data-label="{labels["updated"]}"><time'
                f' datetime="{_e(machine_time(sr.updated_at))}">'
                f"{_e(when(sr.updated_at))}</time></td></tr>"
            )
        )
    return rows


def join_rows(rows) -> SafeString:
    """The rows as one block of HTML (each was escaped by ``format_html``)."""
    return mark_safe("\n".join(rows))  # noqa: S308 (built by format_html above)
