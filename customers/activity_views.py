"""R41: the Activity log pages, the partner's (``customers:activity``) and a
customer administrator's of their own organisation
(``customers:customer_activity``), each with filters (a GET form that works
without JavaScript) and a CSV export of every matching row (streamed).

The events come from the sources registered in ``customers.activity``.
"""

import csv
import logging

from django import forms
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from core.admin_helpers import csv_cell
from core.converters import is_id
from core.pagination import paginate
from customers import activity
from customers.permissions import customer_admin_required
from partners.permissions import Action, partner_required

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
DATE_FORMATS = ["%Y-%m-%d"]


class ActivityFilterForm(forms.Form):
    """The filters, read from the query string. A value that is not a date, or
    not one of the choices (another partner's customer id among them, R17), is
    an error next to its field: the page answers 400 and lists nothing."""

    def __init__(self, data, *, party, parties, actions, people=None):
        super().__init__(data)
        date_error = gettext_lazy("Enter a date as YYYY-MM-DD, for example 2026-03-31.")
        self.fields["from"] = forms.DateField(
            label=gettext_lazy("From"),
            required=False,
            input_formats=DATE_FORMATS,
            error_messages={"invalid": date_error},
        )
        self.fields["to"] = forms.DateField(
            label=gettext_lazy("To"),
            required=False,
            input_formats=DATE_FORMATS,
            error_messages={"invalid": date_error},
        )
        party_label, party_error = {
            "customer": (
                gettext_lazy("Customer"),
                gettext_lazy("Choose a customer from the list."),
            ),
            "partner": (
                gettext_lazy("Partner"),
                gettext_lazy("Choose a partner from the list."),
            ),
        }[party]
        self.party = party
        self.fields[party] = forms.ChoiceField(
            label=party_label,
            required=False,
            choices=[("", _("All"))] + [(str(pk), name) for pk, name in parties],
            error_messages={"invalid_choice": party_error},
        )
        self.fields["action"] = forms.ChoiceField(
            label=gettext_lazy("Action"),
            required=False,
            choices=[("", _("All"))] + [(group, items) for group, items in actions],
            error_messages={
                "invalid_choice": gettext_lazy("Choose an action from the list.")
            },
        )
        self.action_groups = actions
        if people is not None:
            self.fields["person"] = forms.ChoiceField(
                label=gettext_lazy("Person"),
                required=False,
                choices=[("", _("All"))] + [(str(pk), name) for pk, name in people],
                error_messages={
                    "invalid_choice": gettext_lazy("Choose a person from the list.")
                },
            )

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end and end < start:
            self.add_error(
                "to", _("The end date must be on the start date or after it.")
            )
        return data

    def filters(self) -> activity.Filters:
        """The cleaned filters (call after ``is_valid()``)."""
        data = self.cleaned_data

        def as_id(name):
            value = data.get(name)
            return int(value) if value and is_id(value) else None

        return activity.Filters(
            start=activity.day_start(data["from"]) if data.get("from") else None,
            end=activity.day_end(data["to"]) if data.get("to") else None,
            customer_id=as_id("customer"),
            partner_id=as_id("partner"),
            action=data.get("action") or None,
            actor_id=as_id("person"),
        )

    def date_inputs(self) -> list[tuple]:
        """For the template: each date field, its input type and value. A
        valid date is written as ISO 8601 ("2026-3-1" is read as a date, but
        is not a valid ``<input type="date">`` value); an invalid one stays as
        typed, in a text input, to be corrected."""
        self.is_valid()
        out = []
        for name in ("from", "to"):
            field = self[name]
            if field.errors:
                out.append((field, "text", self.data.get(name, "")))
            else:
                value = self.cleaned_data.get(name)
                out.append((field, "date", value.isoformat() if value else ""))
        return out

    @property
    def filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields)

    def value_of(self, name) -> str:
        return self.data.get(name, "") if self.is_bound else ""


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


def _csv_response(listing, *, party, filename) -> StreamingHttpResponse:
    """Every matching row, streamed (constant memory): time in ISO 8601 UTC,
    customer (or partner), action, person, details; cells a spreadsheet would
    run as a formula are neutralised (``core.admin_helpers.csv_cell``)."""
    headers = [
        _("Date and time (UTC)"),
        _("Customer") if party == "customer" else _("Partner"),
        _("Action"),
        _("Person"),
        _("Details"),
    ]

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def rows():
        yield writer.writerow([csv_cell(h) for h in headers])
        for entry in listing:
            yield writer.writerow(
                [
                    csv_cell(entry.at),
                    csv_cell(entry.customer if party == "customer" else entry.partner),
                    csv_cell(entry.action),
                    csv_cell(entry.person),
                    csv_cell(entry.details),
                ]
            )

    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def _page(request, *, scope, form, template, csv_name):
    valid = form.is_valid()
    if valid and _wants_csv(request):
        logger.info(
            "activity log CSV export by user %s",
            request.user.pk,
            extra={"event": "activity_csv_export"},
        )
        return _csv_response(
            activity.Listing(scope, form.filters()),
            party=form.party,
            filename=csv_name,
        )
    page = None
    if valid:
        page = paginate(
            request, activity.Listing(scope, form.filters()), default=PAGE_SIZE
        )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    query["format"] = "csv"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "entries": page.object_list if page is not None else [],
            "filtered": form.filtered,
            "csv_query": query.urlencode(),
        },
        status=200 if valid else 400,
    )


@require_safe
@partner_required(Action.VIEW_OVERVIEW)
def activity_log(request):
    """R41: the partner's events (R17: its own only), newest first, 25 a page.

    Who sees it: every partner role, like the Overview's "Recent activity"
    (``Action.VIEW_OVERVIEW``), but each source decides which roles see its
    events (R1: no page shows more than the pages it comes from): relationship
    events for every role (the Overview shows them to all), admin relationship
    events for the roles of the Admin relationships pages (Global admins, Admin
    agents), people changes for Global admins, Admin agents and User
    management admins. A Global admin or an Admin agent sees everything."""
    scope = activity.Scope(partner=request.partner, membership=request.membership)
    form = ActivityFilterForm(
        request.GET,
        party="customer",
        parties=activity.customer_choices(partner=request.partner, scope=scope),
        actions=activity.action_groups(scope),
        people=activity.person_choices(scope=scope),
    )
    return _page(
        request,
        scope=scope,
        form=form,
        template="customers/activity.html",
        csv_name="activity",
    )


@require_safe
@customer_admin_required
def customer_activity(request):
    """R41: the events of the customer's own organisation (R17: never another
    organisation's): every relationship event naming it and the life of its
    admin relationships, filtered by date, partner and action."""
    scope = activity.Scope(customer=request.customer)
    form = ActivityFilterForm(
        request.GET,
        party="partner",
        parties=activity.partner_choices(customer=request.customer, scope=scope),
        actions=activity.action_groups(scope),
    )
    return _page(
        request,
        scope=scope,
        form=form,
        template="customers/activity_customer.html",
        csv_name="activity",
    )
