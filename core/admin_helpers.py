"""Shared pieces of the staff admin (R18): base class, links, CSV export, reports.

Every state change an admin action makes goes through the app's services; these
helpers only build links, write CSV and report outcomes.
"""

import csv
import datetime
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models.constants import LOOKUP_SEP
from django.db.models.fields import BLANK_CHOICE_DASH
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import filters

from core.exceptions import DomainError

logger = logging.getLogger(__name__)

# Columns that never leave the database through an export: the link nonce feeds
# the invitation HMAC (R7), and a password hash is a password hash.
NEVER_EXPORTED = frozenset({"link_nonce", "password", "session_key", "key", "token"})
# Spreadsheets run a cell that starts with one of these as a formula (CSV
# injection): such cells are prefixed with an apostrophe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Characters a spreadsheet may skip before reading a formula: zero-width space,
# non-joiner and joiner, word joiner, byte order mark, and whitespace.
_LEADING_INVISIBLE = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff]+")


class PortalAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete select, as valid HTML: its first option is the empty
    choice, labelled like a plain select's ("---------"). Django gives a required
    one only the chosen option and an optional one an empty ``<option>``, both
    errors for the Nu HTML checker; select2 still shows the empty choice as its
    (blank) placeholder. No query more: the chosen option is fetched as before."""

    def optgroups(self, name, value, attr=None):
        groups = super().optgroups(name, value, attr)
        options = groups[0][1]
        blank = BLANK_CHOICE_DASH[0][1]
        if options and options[0]["value"] == "":
            options[0]["label"] = blank
        elif not self.allow_multiple_selected:
            options.insert(0, self.create_option(name, "", blank, False, 0))
        return groups


class LabelledInlineFormSet(BaseInlineFormSet):
    """A tabular inline's fields, named: the column header is no ``<label>``, so
    each visible widget (the delete box too) gets its field's label as
    ``aria-label`` (axe "label" and "select-name")."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for field in form.fields.values():
            if field.label and not field.widget.is_hidden:
                field.widget.attrs.setdefault("aria-label", capfirst(field.label))


class PortalModelAdmin(admin.ModelAdmin):
    """Defaults for every portal admin page.

    Bulk deletion is for superusers only: support engineers never delete (R18),
    whatever permissions someone adds to their group later.
    """

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(
            request
        ):
            kwargs["widget"] = PortalAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def lookup_allowed(self, lookup, value, request=None):
        """No changelist filter reaches a column that never leaves the database
        (``?link_nonce__startswith=a``, ``?invitations__link_nonce__gt=…`` would
        recover it a character at a time): Django answers 400."""
        if NEVER_EXPORTED.intersection(lookup.split(LOOKUP_SEP)):
            return False
        return super().lookup_allowed(lookup, value, request)


class ChoicesFilter(admin.SimpleListFilter):
    """A list filter of a few fixed choices, each a label and a Q (or a function of
    the request giving one): the filters stay declarations."""

    options: dict = {}

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _q) in self.options.items()]

    def queryset(self, request, queryset):
        choice = self.options.get(self.value())
        if choice is None:
            return queryset
        condition = choice[1]
        return queryset.filter(condition(request) if callable(condition) else condition)


def partner_filter(field_path: str = "partner"):
    """A list_filter entry by partner: only the partners that have rows, in one
    query whatever the number of rows (R18)."""
    return (field_path, admin.RelatedOnlyFieldListFilter)


class CountryFilter(filters.CountryFilter):
    """django-countries' filter: the countries present, by name in the staff
    member's language; the URL keeps the code (``?customer__country=FR``)."""

    title = _("country/region")


def country_filter(field_path: str):
    """A list_filter entry for a CountryField, on the model or through a key."""
    return (field_path, CountryFilter)


class CountryColumnMixin:
    """A ``country_label`` column: the model's ``country`` code by its name."""

    @admin.display(description=_("country/region"), ordering="country")
    def country_label(self, obj):
        return obj.country.name


class UserColumnsMixin:
    """``user_email`` and ``user_name`` columns for models with a ``user`` key."""

    @admin.display(description=_("email address"), ordering="user__email")
    def user_email(self, obj):
        return obj.user.email

    @admin.display(description=_("name"), ordering="user__last_name")
    def user_name(self, obj):
        return obj.user.get_full_name()


class PartnerLinkMixin:
    """A ``partner_link`` column for models with a ``partner`` foreign key."""

    @admin.display(description=_("partner"), ordering="partner__name")
    def partner_link(self, obj):
        return admin_link(obj.partner)


class CustomerLinkMixin:
    """A ``customer_link`` column for models with a ``customer`` foreign key."""

    @admin.display(description=_("customer"), ordering="customer__name")
    def customer_link(self, obj):
        return admin_link(obj.customer)


class ChangedThroughActionsMixin:
    """A model whose state changes only through admin actions calling services.

    Its change page is read-only for everyone (nothing to save, so no stale row can
    be written back), while the changelist actions still need the change permission.
    Rows are made by the portal, never added in the admin.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False
        return super().has_change_permission(request)


class ReadOnlyInlineMixin:
    """An inline that shows rows and links to them, and changes nothing."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def short_date(value) -> str:
    """A changelist date: the day only, in the staff member's time zone and
    language ("2 Dec 2026" style); the time is on the change page."""
    if value is None:
        return "-"
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "SHORT_DATE_FORMAT")


def admin_change_url(obj) -> str | None:
    """The admin change page of ``obj``, or None when its model is not registered."""
    if obj is None or obj.pk is None:
        return None
    opts = obj._meta
    try:
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]
        )
    except NoReverseMatch:
        return None


def admin_change_url_for(model: str, pk) -> str:
    """The change page of ``"app_label.model"`` number ``pk`` (no object needed)."""
    app_label, model_name = model.lower().split(".")
    return reverse(f"admin:{app_label}_{model_name}_change", args=[pk])


def admin_link(obj, text=None):
    """A link to ``obj``'s change page, or its text alone (or a dash for None)."""
    if obj is None:
        return "-"
    url = admin_change_url(obj)
    label = text if text is not None else str(obj)
    if url is None:
        return label
    return format_html('<a href="{}">{}</a>', url, label)


def admin_changelist_url(model, **filters) -> str:
    """A changelist, filtered; ``model`` is a class or an ``"app_label.model"`` name
    (so an app can link to another app's pages without importing its models)."""
    if isinstance(model, str):
        app_label, model_name = model.lower().split(".")
    else:
        app_label, model_name = model._meta.app_label, model._meta.model_name
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def admin_links(pairs: Iterable[tuple[str, object]]):
    """Several (url, label) links, one per line, for a read-only "related" field."""
    return format_html_join(
        mark_safe("<br>"),  # noqa: S308 (a constant)
        '<a href="{}">{}</a>',
        ((url, label) for url, label in pairs),
    )


def report_outcome(
    modeladmin, request, *, done: int, done_message, refusals: Sequence[str]
) -> None:
    """Tell the staff member what an action did and, one by one, what was refused."""
    if done:
        modeladmin.message_user(
            request, done_message % {"count": done}, level=messages.SUCCESS
        )
    for refusal in refusals:
        modeladmin.message_user(request, refusal, level=messages.ERROR)
    if not done and not refusals:
        modeladmin.message_user(request, _("Nothing to do."), level=messages.INFO)


def act_on_each(
    modeladmin, request, rows, *, skip, act, refused, log_message, done_message
) -> None:
    """An admin action that runs one domain service per selected row.

    ``skip(obj)`` names why a row needs nothing (or None), ``act(obj)`` calls the
    service with the staff member as actor, ``refused(obj, exc)`` words a domain
    refusal. Each change is logged; the outcome is reported once.
    """
    done, refusals = 0, []
    for obj in rows:
        reason = skip(obj)
        if reason:
            refusals.append(reason)
            continue
        try:
            act(obj)
        except DomainError as exc:
            refusals.append(refused(obj, exc))
        else:
            done += 1
            modeladmin.log_change(request, obj, log_message)
    report_outcome(
        modeladmin, request, done=done, done_message=done_message, refusals=refusals
    )


# --- Actions confirmed with a reason -----------------------------------------------

# The confirmation page posts this field back: its presence means "confirmed".
CONFIRM_FIELD = "confirm"
# The confirmation page lists at most this many of the selected rows.
CONFIRM_LISTED_ROWS = 100


class ActionReasonForm(forms.Form):
    """The reason a staff member gives for a state change; kept in the event."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept in the timeline with your name."),
    )


def confirm_with_reason(
    modeladmin,
    request,
    queryset,
    *,
    run: Callable[[str], None],
    title,
    intro,
    confirm_label,
    notes: Callable[[list], dict] | None = None,
):
    """A changelist action that asks first, like Django's delete confirmation.

    The first call answers a page listing the selected rows with a required
    reason, Confirm and Cancel; the page posts the action, the selected ids and
    ``select_across`` back, so the same queryset arrives again. Once a reason is
    given, ``run(reason)`` does the work (through the app's services) and None
    sends the staff member back to the list. Without a reason, the page again
    with the error, and nothing changed.

    ``notes(rows)`` may map a row's pk to a warning shown next to it.
    """
    confirming = CONFIRM_FIELD in request.POST
    form = ActionReasonForm(request.POST if confirming else None)
    if confirming and form.is_valid():
        run(form.cleaned_data["reason"])
        return None
    total = queryset.count()
    rows = list(queryset[:CONFIRM_LISTED_ROWS])
    row_notes = notes(rows) if notes else {}
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "intro": intro,
        "confirm_label": confirm_label,
        "opts": opts,
        "rows": [{"object": obj, "note": row_notes.get(obj.pk)} for obj in rows],
        "more": total - len(rows),
        "form": form,
        "action_name": request.POST.get("action", ""),
        "select_across": request.POST.get("select_across") == "1",
        "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "confirm_field": CONFIRM_FIELD,
        "cancel_url": request.get_full_path(),
        "media": modeladmin.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(
        request,
        [
            f"admin/{opts.app_label}/{opts.model_name}/confirm_with_reason.html",
            "admin/confirm_with_reason.html",
        ],
        context,
    )


def with_reason(message: str, reason: str) -> str:
    """A change-log message naming the staff member's reason."""
    return gettext("%(message)s Reason: %(reason)s") % {
        "message": message,
        "reason": reason,
    }


# --- CSV export -----------------------------------------------------------------


def csv_cell(value) -> str:
    """One CSV cell: ISO dates, plain booleans, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if _looks_like_formula(text):
        return "'" + text
    return text


def _looks_like_formula(text: str) -> bool:
    """What a spreadsheet may run: read as it would be, after NFKC (a full-width
    "＝" is "="), past leading invisible characters and spaces ("\u200b=1"), and
    past one leading separator (";=1", ",+1")."""
    normalised = unicodedata.normalize("NFKC", text)
    if normalised.startswith(FORMULA_PREFIXES):
        return True
    stripped = _strip_invisible(normalised)
    if stripped.startswith(FORMULA_PREFIXES):
        return True
    return stripped[:1] in (";", ",") and _strip_invisible(stripped[1:]).startswith(
        FORMULA_PREFIXES
    )


def _strip_invisible(text: str) -> str:
    return _LEADING_INVISIBLE.sub("", text, count=1)


def _attribute_path(path: str) -> Callable:
    names = path.split(".")

    def get(obj):
        value = obj
        for name in names:
            if value is None:
                return None
            value = getattr(value, name)
        return value() if callable(value) else value

    return get


def _related_paths(model, paths: Iterable[str]) -> list[str]:
    """The select_related() arguments that make the export one query."""
    related = set()
    for path in paths:
        current, prefix = model, []
        for name in path.split(".")[:-1]:
            try:
                field = current._meta.get_field(name)
            except FieldDoesNotExist:
                break
            if not (field.many_to_one or field.one_to_one):
                break
            prefix.append(name)
            current = field.related_model
        if prefix:
            related.add("__".join(prefix))
    return sorted(related)


def export_csv_action(
    *,
    columns: Sequence[str | tuple[str, Callable]],
    filename: str,
    description=None,
):
    """An admin action writing the selected rows as CSV.

    ``columns`` are dotted attribute paths (``"partner.name"``; the header is the
    path with underscores) or ``(header, function_of_the_row)`` pairs. Headers are
    stable machine names, whatever the staff member's language. Paths through
    foreign keys are fetched with ``select_related``, so an export is one query.
    """
    headers, getters, paths = [], [], []
    for column in columns:
        if isinstance(column, str):
            parts = column.split(".")
            if NEVER_EXPORTED.intersection(parts):
                raise ImproperlyConfigured(f"{column!r} must never be exported.")
            headers.append("_".join(parts))
            getters.append(_attribute_path(column))
            paths.append(column)
        else:
            header, getter = column
            if header in NEVER_EXPORTED:
                raise ImproperlyConfigured(f"{header!r} must never be exported.")
            headers.append(header)
            getters.append(getter)

    def export_csv(modeladmin, request, queryset):
        related = _related_paths(queryset.model, paths)
        if related:
            queryset = queryset.select_related(*related)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{filename}-{stamp}.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(headers)
        count = 0
        for obj in queryset:
            writer.writerow([csv_cell(get(obj)) for get in getters])
            count += 1
        # Who took which data out, for the audit trail (no row contents logged).
        logger.info(
            "admin CSV export of %s %s rows by user %s",
            count,
            queryset.model._meta.label,
            request.user.pk,
            extra={"event": "admin_csv_export"},
        )
        return response

    export_csv.short_description = description or _("Export selected rows as CSV")
    export_csv.allowed_permissions = ("view",)
    return export_csv
