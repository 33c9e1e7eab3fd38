from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.exceptions import DomainError
from core.links import reverse_each
from core.pagination import paginate
from customers import activity, selectors, services
from customers.access import (
    active_admin_relationships,
    card_access,
    customer_sections,
)
from customers.forms import (
    EndRelationshipForm,
    ServiceRequestFilterForm,
    ServiceRequestForm,
    ServiceRequestNoteForm,
    SupportContactsForm,
)
from customers.permissions import customer_admin_required
from customers.rows import customer_rows, join_rows, service_request_rows
from partners.permissions import Action, can, partner_required, roles_needed_message

PAGE_SIZE = 25


def _posted(request):
    """The form data of a POST, even an empty one (every field of the end and
    support-contacts forms is optional, so ``request.POST or None`` would treat
    a POST without fields as a GET and silently do nothing)."""
    return request.POST if request.method == "POST" else None


def _cards(request, relationships) -> list:
    """The cards of ``relationships`` as the signed-in user may see them: R11
    for services, R34 (``customers.access``) for users and licenses, and the
    partner's active admin relationships (R36), linked to their page only for
    those who may manage them; for the whole page at once (one query per
    source)."""
    relationships = list(relationships)
    allowed, active = card_access(
        membership=request.membership, relationships=relationships, now=timezone.now()
    )
    if not can(request.membership, Action.MANAGE_ADMIN_RELATIONSHIPS):
        active = {
            customer_id: [replace(item, url="") for item in items]
            for customer_id, items in active.items()
        }
    return [
        selectors.card_build(
            r,
            partner=request.partner,
            access=allowed[r.customer_id],
            admin_relationships=active.get(r.customer_id, []),
        )
        for r in relationships
    ]


def _card(request, relationship):
    return _cards(request, [relationship])[0]


def _remaining_admin_relationships(relationship, *, links: bool) -> list:
    """R35: the partner's admin relationships with the customer that stay
    active whatever becomes of the reseller relationship."""
    found = active_admin_relationships(
        partner_id=relationship.partner_id,
        customer_ids=[relationship.customer_id],
    ).get(relationship.customer_id, [])
    return found if links else [replace(item, url="") for item in found]


def _end_relationship_page(
    request, relationship, *, side, other_name, retry, done, template, links
):
    """R14 from either side: a confirmation page, then the one service; a refusal
    (active subscriptions) comes back to the page with the message. Both say
    which admin relationships remain active (R35)."""
    form = EndRelationshipForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.relationship_end(
                relationship_id=relationship.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                side=side,
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            return retry
        messages.success(
            request,
            _("Your relationship with %(name)s has ended.") % {"name": other_name},
        )
        remaining = _remaining_admin_relationships(relationship, links=False)
        if remaining:
            messages.info(
                request,
                _(
                    "These admin relationships remain active until they end or "
                    "are terminated: %(names)s."
                )
                % {"names": ", ".join(item.name for item in remaining)},
            )
        return redirect(done)
    blocking = selectors.subscriptions_blocking_end([relationship])[relationship.pk]
    return render(
        request,
        template,
        {
            "form": form,
            "relationship": relationship,
            "blocking": blocking,
            "admin_relationships": _remaining_admin_relationships(
                relationship, links=links
            ),
        },
    )


@partner_required(Action.VIEW_CUSTOMERS)
def customer_list(request):
    """R11: the partner's customers, searchable, sortable, filtered by admin
    access, 25 (or 50, 100) a page."""
    # NUL bytes never get here (config.middleware.RejectNulBytesMiddleware).
    search = request.GET.get("q", "")[:200]
    order = selectors.customer_list_order(request.GET.get("sort", "name"))
    access = selectors.customer_list_access(request.GET.get("access", ""))
    # Cards open on demand (their body comes from customers:card); "expand=all"
    # renders every body server-side, for readers without JavaScript or to print.
    expand_all = request.GET.get("expand") == "all"
    relationships = selectors.customer_list(
        partner=request.partner,
        search=search,
        order=order,
        access=access,
        with_cards=expand_all,
    )
    page = paginate(request, relationships, default=PAGE_SIZE)
    if expand_all:
        cards = _cards(request, page.object_list)
    else:
        cards = [selectors.CustomerCard(relationship=r) for r in page.object_list]
    ids = [card.relationship.customer_id for card in cards]
    detail_urls = reverse_each("customers:detail", "customer_id", ids)
    body_urls = reverse_each("customers:card", "customer_id", ids)
    for card in cards:
        customer_id = card.relationship.customer_id
        card.detail_url = detail_urls[customer_id]
        card.body_url = body_urls[customer_id]
    rows = customer_rows(cards, expand_all=expand_all)
    return render(
        request,
        "customers/customer_list.html",
        {
            "page": page,
            "cards": cards,
            "rows": rows,
            "search": search,
            "order": order,
            "access": access,
            "expand_all": expand_all,
            "filtered": bool(search or access),
            "columns": _sort_columns(order),
            "orderings": [
                ("name", _("Name (A to Z)")),
                ("-name", _("Name (Z to A)")),
                ("country", _("Country/region (A to Z)")),
                ("-since", _("Newest relationship first")),
                ("since", _("Oldest relationship first")),
                ("-subscriptions", _("Most subscriptions first")),
                ("-requests", _("Most open service requests first")),
            ],
            "accesses": [
                ("", _("All")),
                ("dap", _("Admin privileges")),
                ("reseller", _("Reseller only")),
                ("removed", _("Privileges removed")),
            ],
        },
    )


def _sort_columns(order):
    """The Customers table's sortable headers: label, the sort a click asks for
    (the other direction when already sorted by it) and the aria-sort value."""
    columns = []
    for key, label, first in (
        ("name", _("Name"), "name"),
        ("country", _("Country/region"), "country"),
        ("subscriptions", _("Subscriptions"), "-subscriptions"),
        ("since", _("Since"), "-since"),
        ("requests", _("Open service requests"), "-requests"),
    ):
        current = order.lstrip("-") == key
        descending = order.startswith("-")
        if current:
            sort = key if descending else f"-{key}"
            aria = "descending" if descending else "ascending"
        else:
            sort, aria = first, ""
        columns.append({"key": key, "label": label, "sort": sort, "aria_sort": aria})
    return columns


@partner_required(Action.VIEW_CUSTOMERS)
def customer_card(request, customer_id):
    """The body of one customer card, fetched when its arrow opens it (R11)."""
    relationship = selectors.customer_relationship_get(
        partner=request.partner, customer_id=customer_id
    )
    response = render(
        request,
        "customers/includes/card_fragment.html",
        {"card": _card(request, relationship)},
    )
    response["Cache-Control"] = "private, no-store"
    return response


@partner_required(Action.VIEW_CUSTOMERS)
def customer_detail(request, customer_id):
    """The customer's full page: the card without JavaScript, plus the timeline."""
    # The whole timeline is shown: the card's latest events are not read.
    relationship = selectors.customer_relationship_get(
        partner=request.partner, customer_id=customer_id, history=False
    )
    return render(
        request,
        "customers/customer_detail.html",
        {
            "card": _card(request, relationship),
            "events": selectors.relationship_timeline(
                partner=request.partner, customer_id=customer_id
            ),
        },
    )


@require_http_methods(["GET", "POST"])
@partner_required(Action.OPEN_SERVICE_REQUEST)
def service_request_new(request, customer_id):
    """R16: admin and helpdesk agents open a service request, with or without DAP."""
    relationship = selectors.customer_relationship_get(
        partner=request.partner, customer_id=customer_id
    )
    form = ServiceRequestForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.service_request_open(
                relationship_id=relationship.pk, actor=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your service request was opened."))
            return redirect("customers:detail", customer_id=customer_id)
    return render(
        request,
        "customers/service_request_form.html",
        {"form": form, "relationship": relationship},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@partner_required(Action.ASSIGN_SUPPORT_CONTACTS)
def support_contacts(request, customer_id):
    """R15: admin agents choose the customer's support contacts, one primary."""
    relationship = selectors.customer_relationship_get(
        partner=request.partner, customer_id=customer_id
    )
    current = list(relationship.support_contacts.all())
    primary = next((c.user_id for c in current if c.is_primary), None)
    form = SupportContactsForm(
        _posted(request),
        partner=request.partner,
        initial={
            "contacts": [c.user_id for c in current],
            "primary": str(primary) if primary else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        primary_id = form.cleaned_data["primary"]
        try:
            services.support_contacts_set(
                relationship_id=relationship.pk,
                actor=request.user,
                user_ids=[u.pk for u in form.cleaned_data["contacts"]],
                primary_id=int(primary_id) if primary_id else None,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Support contacts were saved."))
            return redirect("customers:detail", customer_id=customer_id)
    return render(
        request,
        "customers/support_contacts_form.html",
        {"form": form, "relationship": relationship},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@partner_required(Action.END_RELATIONSHIP)
def relationship_end(request, customer_id):
    """R14: end the relationship after a confirmation page."""
    relationship = selectors.customer_relationship_get(
        partner=request.partner, customer_id=customer_id
    )
    return _end_relationship_page(
        request,
        relationship,
        side="partner",
        other_name=relationship.customer.name,
        retry=redirect("customers:end", customer_id=customer_id),
        done="customers:list",
        template="customers/relationship_end.html",
        links=can(request.membership, Action.MANAGE_ADMIN_RELATIONSHIPS),
    )


@customer_admin_required
def partner_relationships(request):
    """R12: the customer's partners, with their status, DAP and support contacts;
    R32/R36: their admin relationships, with roles, end dates and Terminate."""
    return render(
        request,
        "customers/partner_relationships.html",
        {
            "relationships": list(
                selectors.customer_relationships(customer=request.customer)
            ),
            # R41: the organisation's latest events (relationships and admin
            # relationships), with a link to its whole log.
            "activity": activity.latest(activity.Scope(customer=request.customer), 50),
            # R32/R36: what the apps above add (gdap: the admin relationships).
            "sections": customer_sections(customer=request.customer),
        },
    )


@require_http_methods(["GET", "POST"])
@customer_admin_required
def customer_dap_remove(request, relationship_id):
    """R12: remove the partner's admin privileges; the relationship stays."""
    relationship = selectors.customer_relationship_for_admin(
        customer=request.customer, relationship_id=relationship_id
    )
    if request.method == "POST":
        try:
            services.dap_remove(relationship_id=relationship.pk, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(partner)s no longer has admin privileges.")
                % {"partner": relationship.partner.name},
            )
        return redirect("customers:partners")
    return render(
        request, "customers/customer_dap_remove.html", {"relationship": relationship}
    )


@require_http_methods(["GET", "POST"])
@customer_admin_required
def customer_relationship_end(request, relationship_id):
    """R12/R14 from the customer's side: end the relationship with a partner."""
    relationship = selectors.customer_relationship_for_admin(
        customer=request.customer, relationship_id=relationship_id
    )
    return _end_relationship_page(
        request,
        relationship,
        side="customer",
        other_name=relationship.partner.name,
        retry=redirect("customers:customer_end", relationship_id=relationship.pk),
        done="customers:partners",
        template="customers/customer_relationship_end.html",
        links=False,
    )


def _sort_headers(columns, order: str) -> list[dict]:
    """R45: the column headers of a sortable list: each links to its sort (the
    other direction when it is the current one) and says how the list is sorted."""
    headers = []
    for key, label in columns:
        current = order.removeprefix("-") == key
        descending = order.startswith("-")
        headers.append(
            {
                "key": key,
                "label": label,
                "sort": f"-{key}" if current and not descending else key,
                "aria_sort": (
                    ("descending" if descending else "ascending") if current else ""
                ),
            }
        )
    return headers


def _service_request_columns(*, other_party):
    return [
        ("number", _("Number")),
        ("title", _("Title")),
        other_party,
        ("severity", _("Severity")),
        ("status", _("Status")),
        ("opened", _("Opened")),
        ("updated", _("Updated")),
    ]


@require_safe
@partner_required(Action.VIEW_SERVICE_REQUESTS)
def service_request_list(request):
    """R44: the partner's service requests, filtered, sortable, 25 a page."""
    filters = ServiceRequestFilterForm(
        request.GET, search_label=_("Number, title or customer")
    )
    order = selectors.service_request_order(request.GET.get("sort", ""))
    rows = selectors.service_request_list(
        partner=request.partner,
        status=filters.value("status"),
        severity=filters.value("severity"),
        search=filters.value("q"),
        customer_id=filters.value("customer"),
        order=order,
    )
    page = paginate(request, rows, default=PAGE_SIZE)
    customer_urls = reverse_each(
        "customers:detail", "customer_id", {sr.customer_id for sr in page}
    )
    table_rows = service_request_rows(
        page,
        detail_urls=reverse_each(
            "customers:service_request", "request_id", [sr.pk for sr in page]
        ),
        party_label=_("Customer"),
        party_of=lambda sr: (sr.customer.name, customer_urls[sr.customer_id]),
    )
    return render(
        request,
        "customers/service_request_list.html",
        {
            "page": page,
            "rows": join_rows(table_rows),
            "filters": filters,
            "order": order,
            "filtered": any(filters.value(f) for f in ("status", "severity", "q"))
            or filters.value("customer") is not None,
            "headers": _sort_headers(
                _service_request_columns(other_party=("customer", _("Customer"))),
                order,
            ),
        },
    )


@require_http_methods(["GET", "POST"])
@partner_required(Action.VIEW_SERVICE_REQUESTS)
def service_request_detail(request, request_id):
    """R44: one service request with its notes; users who may open service
    requests add a note (another partner's request: 404, GET and POST)."""
    service_request = selectors.service_request_get(
        partner=request.partner, request_id=request_id
    )
    can_add_note = can(request.membership, Action.OPEN_SERVICE_REQUEST)
    form = ServiceRequestNoteForm(_posted(request)) if can_add_note else None
    if request.method == "POST":
        if not can_add_note:
            raise PermissionDenied(roles_needed_message(Action.OPEN_SERVICE_REQUEST))
        if form.is_valid():
            try:
                services.service_request_note_add(
                    service_request_id=service_request.pk,
                    author=request.user,
                    body=form.cleaned_data["body"],
                )
            except DomainError as exc:
                form.add_error("body", str(exc))
            else:
                messages.success(request, _("Your note was added."))
                return redirect("customers:service_request", request_id=request_id)
    return render(
        request,
        "customers/service_request_detail.html",
        {"service_request": service_request, "form": form},
        status=400 if form is not None and form.errors else 200,
    )


@require_safe
@customer_admin_required
def customer_service_request_list(request):
    """R44: the service requests partners opened for the customer's organisation."""
    filters = ServiceRequestFilterForm(
        request.GET, search_label=_("Number, title or partner")
    )
    order = selectors.service_request_order(request.GET.get("sort", ""))
    rows = selectors.customer_service_request_list(
        customer=request.customer,
        status=filters.value("status"),
        search=filters.value("q"),
        order=order,
    )
    page = paginate(request, rows, default=PAGE_SIZE)
    table_rows = service_request_rows(
        page,
        detail_urls=reverse_each(
            "customers:customer_service_request", "request_id", [sr.pk for sr in page]
        ),
        party_label=_("Partner"),
        party_of=lambda sr: (sr.partner.name, ""),
    )
    return render(
        request,
        "customers/customer_service_request_list.html",
        {
            "page": page,
            "rows": join_rows(table_rows),
            "filters": filters,
            "order": order,
            "filtered": bool(filters.value("status") or filters.value("q")),
            "headers": _sort_headers(
                _service_request_columns(other_party=("partner", _("Partner"))),
                order,
            ),
        },
    )


@customer_admin_required
def customer_service_request_detail(request, request_id):
    """R44: one of them, read-only, with the notes the partner sees too (another
    organisation's: 404, also for POST)."""
    service_request = selectors.customer_service_request_get(
        customer=request.customer, request_id=request_id
    )
    if request.method not in ("GET", "HEAD"):
        # Only after the lookup: another organisation's id is a 404 whatever
        # the method (R17).
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return render(
        request,
        "customers/customer_service_request_detail.html",
        {"service_request": service_request},
    )
