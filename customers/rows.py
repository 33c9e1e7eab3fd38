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
from core.templatetags.portal import machine_time
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
            countries[code] = country_name(code) if code else ""
        if relationship.dap_active:
            badge = badges["dap"]
        elif relationship.dap_removed_at:
            badge = badges["removed"]
        else:
            badge = badges["reseller"]
        toggle = ""
        if card.body_url:
            toggle = format_html(
                '<button type="button" class="card__toggle" hidden data-card-toggle'
                ' aria-expanded="{}" aria-controls="{}-body">'
                '<span class="visually-hidden">{} {}</span>'
                '<span class="card__arrow" aria-hidden="true">▾</span></button>',
                expanded,
                card.dom_id,
                labels["show"],
                customer.name,
            )
        card.row = format_html(
            '<tr class="customer__row">'
            '<th scope="row" class="customer__name" data-label="{name_label}">'
            '<a href="{url}" id="{dom_id}-title" data-card-link>{name}</a> '
            '<span class="customer__domain">{domain}</span></th>'
            '<td class="customer__toggle">{toggle}</td>'
            '<td data-label="{country_label}">{country}</td>'
            '<td data-label="{access_label}">{badge}</td>'
            '<td class="num" data-label="{subscriptions_label}">{subscriptions}</td>'
            '<td data-label="{since_label}">{since}</td>'
            '<td class="num" data-label="{requests_label}">{requests}</td></tr>',
            name_label=labels["name"],
            url=card.detail_url,
            dom_id=card.dom_id,
            name=customer.name,
            domain=customer.domain,
            toggle=toggle,
            country_label=labels["country"],
            country=countries[code],
            access_label=labels["access"],
            badge=badge,
            subscriptions_label=labels["subscriptions"],
            subscriptions=relationship.subscription_count,
            since_label=labels["since"],
            since=since_text(relationship.since),
            requests_label=labels["requests"],
            requests=relationship.open_request_count,
        )
        if not expand_all:
            bodies.append(
                format_html(
                    '<tbody class="customer" id="{dom_id}" data-card>{row}'
                    '<tr class="customer__details" data-card-row hidden>'
                    '<td colspan="7"><div class="card__body" id="{dom_id}-body"'
                    ' data-card-body data-card-src="{src}"></div></td></tr></tbody>',
                    dom_id=card.dom_id,
                    row=card.row,
                    src=card.body_url,
                )
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
    rows = []
    for sr in page:
        url = detail_urls[sr.pk]
        party_name, party_url = party_of(sr)
        party = (
            format_html('<a href="{}">{}</a>', party_url, party_name)
            if party_url
            else party_name
        )
        rows.append(
            format_html(
                '<tr><td data-label="{}"><a href="{}">{}</a></td>'
                '<td data-label="{}"><a href="{}">{}</a></td>'
                '<td data-label="{}">{}</td>'
                '<td data-label="{}"><span class="badge badge--{}">{}</span></td>'
                '<td data-label="{}"><span class="badge badge--{}">{}</span></td>'
                '<td data-label="{}"><time datetime="{}">{}</time></td>'
                '<td data-label="{}"><time datetime="{}">{}</time></td></tr>',
                labels["number"],
                url,
                sr.number,
                labels["title"],
                url,
                sr.title,
                party_label,
                party,
                labels["severity"],
                sr.severity,
                severities.get(sr.severity, sr.severity),
                labels["status"],
                sr.status,
                statuses.get(sr.status, sr.status),
                labels["opened"],
                machine_time(sr.created_at),
                when(sr.created_at),
                labels["updated"],
                machine_time(sr.updated_at),
                when(sr.updated_at),
            )
        )
    return rows


def join_rows(rows) -> SafeString:
    """The rows as one block of HTML (each was escaped by ``format_html``)."""
    return mark_safe("\n".join(rows))  # noqa: S308 (built by format_html above)
