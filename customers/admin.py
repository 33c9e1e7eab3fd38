"""Staff admin for customers, relationships, their timeline and service requests (R18).

Relationships, support contacts and events change only through customers.services
(actions and save_model below call them with the staff member as actor); the
reference data (customers, subscriptions, directory) is plain superuser editing.
"""

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin_helpers import (
    ChangedThroughActionsMixin,
    ChoicesFilter,
    CountryColumnMixin,
    CustomerLinkMixin,
    LabelledInlineFormSet,
    PartnerLinkMixin,
    PortalModelAdmin,
    ReadOnlyInlineMixin,
    UserColumnsMixin,
    act_on_each,
    admin_change_url_for,
    admin_changelist_url,
    admin_link,
    admin_links,
    confirm_with_reason,
    country_filter,
    export_csv_action,
    partner_filter,
    report_outcome,
    short_date,
    with_reason,
)
from core.countries import country_name
from core.timezones import TimeZoneFormField
from customers import selectors, services
from customers.models import (
    Customer,
    CustomerMembership,
    DirectoryUser,
    License,
    RelationshipEvent,
    ResellerRelationship,
    ServiceRequest,
    ServiceRequestNote,
    Subscription,
    SupportContact,
)

# --- Inlines ----------------------------------------------------------------------


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    formset = LabelledInlineFormSet
    extra = 0
    fields = ["offer_name", "quantity", "status", "provisioned_by", "created_at"]
    # Read-only here: an autocomplete widget per row would cost a query per row.
    # The subscription's own admin page changes who provisioned it.
    readonly_fields = ["provisioned_by", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provisioned_by")


class CustomerRelationshipInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ResellerRelationship
    fields = ["partner_link", "status", "dap_active", "since", "ended_at"]
    readonly_fields = fields
    verbose_name = _("reseller relationship")
    verbose_name_plural = _("reseller relationships")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner", "customer")

    @admin.display(description=_("partner"))
    def partner_link(self, obj):
        return admin_link(obj.partner)


class CustomerAdministratorInline(
    UserColumnsMixin, ReadOnlyInlineMixin, admin.TabularInline
):
    model = CustomerMembership
    fields = ["user_email", "is_admin"]
    readonly_fields = fields
    verbose_name = _("customer member")
    verbose_name_plural = _("customer members")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "customer")


class SupportContactInline(UserColumnsMixin, ReadOnlyInlineMixin, admin.TabularInline):
    model = SupportContact
    fields = ["user_email", "user_name", "is_primary"]
    readonly_fields = fields
    show_change_link = False
    # No link in a row: the region itself takes the focus, to scroll at 360 px.
    template = "admin/edit_inline/tabular_region.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class RelationshipEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The relationship's timeline, newest first; nobody edits or deletes it."""

    model = RelationshipEvent
    fields = ["created_at", "kind", "actor_email", "invitation_id", "details"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    verbose_name_plural = _("timeline")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("actor"))
    def actor_email(self, obj):
        return obj.actor.email if obj.actor else "-"


# --- Filters ----------------------------------------------------------------------


class HandledByFilter(ChoicesFilter):
    """Who works a service request; never a list of every user."""

    title = _("handled by")
    parameter_name = "handled"
    options = {
        "me": (_("Me"), lambda request: Q(handled_by=request.user)),
        "nobody": (_("Nobody yet"), Q(handled_by__isnull=True)),
        "someone": (_("Someone"), Q(handled_by__isnull=False)),
    }


# --- Customers and their reference data -------------------------------------------


@admin.register(Customer)
class CustomerAdmin(CountryColumnMixin, PortalModelAdmin):
    list_display = ["name", "domain", "country_label", "cloud", "created_at"]
    list_filter = ["cloud", country_filter("country")]
    search_fields = ["name", "domain", "members__user__email"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "related"]
    inlines = [
        CustomerAdministratorInline,
        CustomerRelationshipInline,
        SubscriptionInline,
    ]

    @admin.display(description=_("related"))
    def related(self, obj):
        if obj.pk is None:
            return "-"
        return admin_links(
            [
                (
                    admin_changelist_url(
                        "invitations.Invitation", customer__id__exact=obj.pk
                    ),
                    _("Relationship requests"),
                ),
                (
                    admin_changelist_url(ServiceRequest, customer__id__exact=obj.pk),
                    _("Service requests"),
                ),
                (
                    admin_changelist_url(RelationshipEvent, customer__id__exact=obj.pk),
                    _("Timeline"),
                ),
            ]
        )


class CustomerMembershipAdminForm(forms.ModelForm):
    # R45: a select of the IANA zones; blank means the customer's country's zone.
    # No Meta: the admin builds it with every field of the model.
    time_zone = TimeZoneFormField()


@admin.register(CustomerMembership)
class CustomerMembershipAdmin(UserColumnsMixin, CustomerLinkMixin, PortalModelAdmin):
    form = CustomerMembershipAdminForm
    list_display = ["user_email", "customer_link", "is_admin"]
    list_select_related = ["user", "customer"]
    list_filter = ["is_admin", "customer__cloud", country_filter("customer__country")]
    search_fields = ["user__email", "customer__name", "customer__domain"]
    autocomplete_fields = ["user", "customer"]


@admin.register(DirectoryUser)
class DirectoryUserAdmin(CustomerLinkMixin, PortalModelAdmin):
    list_display = ["display_name", "email", "customer_link"]
    list_select_related = ["customer"]
    list_filter = ["customer__cloud", country_filter("customer__country")]
    search_fields = ["display_name", "email", "customer__name", "customer__domain"]
    autocomplete_fields = ["customer"]


@admin.register(License)
class LicenseAdmin(CustomerLinkMixin, PortalModelAdmin):
    list_display = ["product", "customer_link", "assigned", "total"]
    list_select_related = ["customer"]
    list_filter = ["product", "customer__cloud", country_filter("customer__country")]
    search_fields = ["product", "customer__name", "customer__domain"]
    autocomplete_fields = ["customer"]


@admin.register(Subscription)
class SubscriptionAdmin(CustomerLinkMixin, PortalModelAdmin):
    list_display = [
        "offer_name",
        "customer_link",
        "quantity",
        "status",
        "provisioned_by_link",
        "created_at",
    ]
    list_select_related = ["customer", "provisioned_by"]
    list_filter = ["status", "customer__cloud", country_filter("customer__country")]
    search_fields = [
        "offer_name",
        "customer__name",
        "customer__domain",
        "provisioned_by__name",
    ]
    autocomplete_fields = ["customer", "provisioned_by"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"

    @admin.display(description=_("provisioned by"), ordering="provisioned_by__name")
    def provisioned_by_link(self, obj):
        return admin_link(obj.provisioned_by)


# --- Relationships, their timeline and support contacts ----------------------------

RELATIONSHIP_FIELDS = [
    "partner_link",
    "customer_link",
    "status",
    "dap_active",
    "since",
    "dap_removed_at",
    "ended_at",
    "ended_by_email",
    "end_reason",
    "related",
]


@admin.register(ResellerRelationship)
class ResellerRelationshipAdmin(
    PartnerLinkMixin, CustomerLinkMixin, ChangedThroughActionsMixin, PortalModelAdmin
):
    # Fits 1366 px beside the filters (issue 12): the number instead of
    # "partner → customer" again, dates without their time.
    list_display = [
        "number",
        "partner_link",
        "customer_link",
        "country",
        "cloud",
        "status",
        "dap_active",
        "since_on",
        "ended_on",
    ]
    list_display_links = ["number"]
    list_select_related = ["partner", "customer", "ended_by"]
    list_filter = [
        partner_filter("partner"),
        "status",
        "dap_active",
        "partner__cloud",
        country_filter("customer__country"),
    ]
    search_fields = [
        "partner__name",
        "customer__name",
        "customer__domain",
        "id__exact",
    ]
    date_hierarchy = "since"
    fields = RELATIONSHIP_FIELDS
    readonly_fields = RELATIONSHIP_FIELDS
    inlines = [SupportContactInline, RelationshipEventInline]
    actions = [
        "end_relationships",
        export_csv_action(
            columns=[
                "id",
                "partner.id",
                "partner.name",
                "partner.cloud",
                "partner.country",
                "customer.id",
                "customer.name",
                "customer.domain",
                "customer.country",
                "status",
                "dap_active",
                "since",
                "dap_removed_at",
                "ended_at",
                "ended_by.email",
                "end_reason",
            ],
            filename="relationships",
        ),
    ]

    @admin.display(description=_("relationship"), ordering="id")
    def number(self, obj):
        return f"#{obj.pk}"

    @admin.display(description=_("since"), ordering="since")
    def since_on(self, obj):
        return short_date(obj.since)

    @admin.display(description=_("ended"), ordering="ended_at")
    def ended_on(self, obj):
        return short_date(obj.ended_at)

    @admin.display(description=_("country/region"), ordering="customer__country")
    def country(self, obj):
        return country_name(obj.customer.country)

    @admin.display(description=_("cloud"), ordering="partner__cloud")
    def cloud(self, obj):
        return obj.partner.get_cloud_display()

    @admin.display(description=_("ended by"))
    def ended_by_email(self, obj):
        return obj.ended_by.email if obj.ended_by else "-"

    @admin.display(description=_("related"))
    def related(self, obj):
        return admin_links(
            [
                (
                    admin_changelist_url(
                        "invitations.Invitation", relationship__id__exact=obj.pk
                    ),
                    _("Relationship requests"),
                ),
                (
                    admin_changelist_url(
                        ServiceRequest,
                        partner__id__exact=obj.partner_id,
                        customer__id__exact=obj.customer_id,
                    ),
                    _("Service requests"),
                ),
            ]
        )

    @admin.action(description=_("End selected relationships"), permissions=["change"])
    def end_relationships(self, request, queryset):
        """R14 for staff: a confirmation page with a required reason, then the
        service with the staff member as actor (the reason in the event).

        Refused while the partner's subscriptions are active; the page says so
        beforehand and the message lists them.
        """

        def end(reason):
            act_on_each(
                self,
                request,
                queryset,
                skip=lambda r: (
                    None
                    if r.is_active
                    else _("%(relationship)s had already ended.") % {"relationship": r}
                ),
                act=lambda r: services.relationship_end(
                    relationship_id=r.pk,
                    actor=request.user,
                    reason=reason,
                    side="staff",
                ),
                refused=lambda r, exc: f"{r}: {exc}",
                log_message=with_reason(gettext("Relationship ended."), reason),
                done_message=ngettext_lazy(
                    "%(count)s relationship ended.",
                    "%(count)s relationships ended.",
                    "count",
                ),
            )

        return confirm_with_reason(
            self,
            request,
            queryset,
            run=end,
            title=_("End selected relationships"),
            intro=_(
                "Each relationship below ends for both sides: the customer leaves "
                "the partner's Customers page; its history, events and service "
                "requests stay. A relationship cannot end while subscriptions "
                "provisioned by its partner are active."
            ),
            confirm_label=_("End selected relationships"),
            notes=_end_notes,
        )


def _end_notes(relationships):
    """What the confirmation page says beside a relationship that will not end."""
    blocking = selectors.subscriptions_blocking_end(relationships)
    notes = {}
    for r in relationships:
        if not r.is_active:
            notes[r.pk] = gettext("already ended")
        elif blocking.get(r.pk):
            notes[r.pk] = gettext(
                "will be refused: active subscriptions provisioned by this partner: "
                "%(subscriptions)s"
            ) % {"subscriptions": ", ".join(str(s) for s in blocking[r.pk])}
    return notes


@admin.register(RelationshipEvent)
class RelationshipEventAdmin(PartnerLinkMixin, CustomerLinkMixin, PortalModelAdmin):
    """The append-only timeline: nobody adds, changes or deletes events, not even a
    superuser (the database refuses it too)."""

    list_display = [
        "created_at",
        "kind",
        "partner_link",
        "customer_link",
        "actor_email",
        "invitation_link",
        "relationship_link",
    ]
    list_select_related = ["partner", "customer", "actor", "relationship"]
    list_filter = [
        partner_filter("partner"),
        "kind",
        "partner__cloud",
        country_filter("customer__country"),
    ]
    search_fields = [
        "partner__name",
        "customer__name",
        "customer__domain",
        "actor__email",
        "invitation_id__exact",
    ]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "kind",
        "partner_link",
        "customer_link",
        "relationship_link",
        "invitation_link",
        "actor_email",
        "details",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("actor"), ordering="actor__email")
    def actor_email(self, obj):
        return obj.actor.email if obj.actor else "-"

    @admin.display(description=_("relationship"))
    def relationship_link(self, obj):
        # The relationship's own __str__ would fetch partner and customer again.
        if obj.relationship is None:
            return "-"
        return admin_link(obj.relationship, f"#{obj.relationship_id}")

    @admin.display(description=_("invitation"), ordering="invitation_id")
    def invitation_link(self, obj):
        if obj.invitation_id is None:
            return "-"
        url = admin_change_url_for("invitations.Invitation", obj.invitation_id)
        return admin_links([(url, f"#{obj.invitation_id}")])


@admin.register(SupportContact)
class SupportContactAdmin(
    UserColumnsMixin, ChangedThroughActionsMixin, PortalModelAdmin
):
    """Partners choose their support contacts in the portal (R15, with an event);
    staff see them here."""

    list_display = [
        "user_email",
        "partner_link",
        "customer_link",
        "is_primary",
    ]
    list_select_related = ["user", "relationship__partner", "relationship__customer"]
    list_filter = [
        partner_filter("relationship__partner"),
        "is_primary",
        "relationship__partner__cloud",
    ]
    search_fields = [
        "user__email",
        "relationship__customer__name",
        "relationship__customer__domain",
        "relationship__partner__name",
    ]
    fields = ["user_email", "relationship", "is_primary"]
    readonly_fields = fields

    @admin.display(description=_("partner"), ordering="relationship__partner__name")
    def partner_link(self, obj):
        return admin_link(obj.relationship.partner)

    @admin.display(description=_("customer"), ordering="relationship__customer__name")
    def customer_link(self, obj):
        return admin_link(obj.relationship.customer)


# --- Service requests (R16) ---------------------------------------------------------


class ServiceRequestAdminForm(forms.ModelForm):
    # Not the model's staff_note: a new note each time, appended by the service
    # (which copies a note the partner sees to staff_note for the customer card).
    staff_note = forms.CharField(
        label=_("Add a note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The partner and the customer see it, unless it is internal."),
    )
    note_is_internal = forms.BooleanField(
        label=_("Internal note"),
        required=False,
        help_text=_("Only support engineers see it; the partner is not notified."),
    )
    assign_to_me = forms.BooleanField(
        label=_("Assign to me"),
        required=False,
        help_text=_("You become the support engineer handling this request."),
    )

    class Meta:
        model = ServiceRequest
        fields = ["status"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(PartnerLinkMixin, CustomerLinkMixin, PortalModelAdmin):
    """Support engineers work service requests: status, notes (for the partner or
    internal), and who handles it. Every save and action goes through
    services.service_request_update, which appends the note, writes an event
    naming the engineer and notifies the partner of a new status or note (R44)."""

    form = ServiceRequestAdminForm
    list_display = [
        "number",
        "title",
        "partner_link",
        "customer_link",
        "severity",
        "status",
        "handled_by_email",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["partner", "customer", "handled_by"]
    list_filter = [
        "status",
        "severity",
        HandledByFilter,
        partner_filter("partner"),
        "partner__cloud",
        country_filter("customer__country"),
    ]
    search_fields = [
        "title",
        "partner__name",
        "customer__name",
        "customer__domain",
        "opened_by__email",
        "id__exact",
    ]
    search_help_text = _("Number (SR-000123), title, partner, customer or opener.")
    date_hierarchy = "created_at"
    readonly_fields = [
        "number",
        "notes",
        "partner_link",
        "customer_link",
        "title",
        "description",
        "severity",
        "opened_by_email",
        "handled_by_email",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "partner_link",
                    "customer_link",
                    "title",
                    "description",
                    "severity",
                    "opened_by_email",
                    "created_at",
                ]
            },
        ),
        (_("Notes"), {"fields": ["notes"]}),
        (
            _("Support"),
            {
                "fields": [
                    "status",
                    "staff_note",
                    "note_is_internal",
                    "handled_by_email",
                    "assign_to_me",
                    "updated_at",
                ]
            },
        ),
    ]
    actions = [
        "assign_to_me",
        "mark_in_progress",
        "mark_resolved",
        export_csv_action(
            columns=[
                "id",
                "partner.name",
                "customer.name",
                "customer.domain",
                "title",
                "severity",
                "status",
                "opened_by.email",
                "handled_by.email",
                "created_at",
                "updated_at",
                "staff_note",
            ],
            filename="service-requests",
        ),
    ]

    def has_add_permission(self, request):
        # Partners open service requests in the portal (R16).
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.base_fields["assign_to_me"].initial = (
            obj is not None and obj.handled_by_id is None
        )
        return form

    def save_model(self, request, obj, form, change):
        """Through the service, with only what this engineer changed: a concurrent
        edit of another field by someone else is not overwritten."""
        changed = set(form.changed_data)
        services.service_request_update(
            service_request_id=obj.pk,
            actor=request.user,
            status=form.cleaned_data["status"] if "status" in changed else None,
            staff_note=form.cleaned_data["staff_note"] or None,
            note_is_internal=bool(form.cleaned_data.get("note_is_internal")),
            assign_to_actor=bool(form.cleaned_data.get("assign_to_me")),
        )
        obj.refresh_from_db()

    def get_search_results(self, request, queryset, search_term):
        """A typed number (SR-000123, sr-123) finds its request too."""
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        pk = ServiceRequest.parse_number(search_term)
        if pk is not None and not search_term.strip().isdigit():
            results |= queryset.filter(pk=pk)
        return results, may_have_duplicates

    @admin.display(description=_("number"), ordering="id")
    def number(self, obj):
        return obj.number

    @admin.display(description=_("notes"))
    def notes(self, obj):
        """The conversation, oldest first, internal notes marked; read-only (the
        notes are append-only: "Add a note" below appends one). Shown as a field,
        not an inline: an inline formset would make every save post its
        management form, for rows nobody may change."""
        rows = list(obj.notes.select_related("author").order_by("created_at", "id"))
        if not rows:
            return _("No notes yet.")
        internal = _("Internal")
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li><strong>{} · {}{}</strong><br>{}</li>",
                (
                    (
                        date_format(
                            timezone.localtime(n.created_at), "DATETIME_FORMAT"
                        ),
                        n.author.email,
                        f" · {internal}" if n.is_internal else "",
                        linebreaksbr(n.body),
                    )
                    for n in rows
                ),
            ),
        )

    @admin.display(description=_("handled by"), ordering="handled_by__email")
    def handled_by_email(self, obj):
        return obj.handled_by.email if obj.handled_by else "-"

    @admin.display(description=_("opened by"))
    def opened_by_email(self, obj):
        return obj.opened_by.email

    def _update_selected(self, request, queryset, done_message, **changes):
        done = 0
        for service_request in queryset:
            services.service_request_update(
                service_request_id=service_request.pk, actor=request.user, **changes
            )
            done += 1
        report_outcome(self, request, done=done, done_message=done_message, refusals=[])

    @admin.action(
        description=_("Assign selected service requests to me"), permissions=["change"]
    )
    def assign_to_me(self, request, queryset):
        self._update_selected(
            request,
            queryset,
            ngettext_lazy(
                "%(count)s service request assigned to you.",
                "%(count)s service requests assigned to you.",
                "count",
            ),
            assign_to_actor=True,
        )

    @admin.action(
        description=_("Mark selected service requests in progress"),
        permissions=["change"],
    )
    def mark_in_progress(self, request, queryset):
        self._update_selected(
            request,
            queryset,
            ngettext_lazy(
                "%(count)s service request marked in progress.",
                "%(count)s service requests marked in progress.",
                "count",
            ),
            status=ServiceRequest.Status.IN_PROGRESS,
        )

    @admin.action(
        description=_("Mark selected service requests resolved"), permissions=["change"]
    )
    def mark_resolved(self, request, queryset):
        self._update_selected(
            request,
            queryset,
            ngettext_lazy(
                "%(count)s service request marked resolved.",
                "%(count)s service requests marked resolved.",
                "count",
            ),
            status=ServiceRequest.Status.RESOLVED,
        )


@admin.register(ServiceRequestNote)
class ServiceRequestNoteAdmin(PortalModelAdmin):
    """Every note of every service request, to search them (R18). Append-only:
    engineers add notes on the request's page; nobody edits or deletes one."""

    list_display = [
        "created_at",
        "request_link",
        "author_email",
        "is_internal",
        "excerpt",
    ]
    list_select_related = ["service_request", "author"]
    list_filter = ["is_internal", "service_request__status"]
    search_fields = ["body", "service_request__title", "author__email"]
    date_hierarchy = "created_at"
    fields = ["created_at", "request_link", "author_email", "is_internal", "body"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("customers.view_servicerequest")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("service request"), ordering="service_request_id")
    def request_link(self, obj):
        request = obj.service_request
        return admin_link(request, f"{request.number} {request.title}")

    @admin.display(description=_("author"), ordering="author__email")
    def author_email(self, obj):
        return obj.author.email

    @admin.display(description=_("note"))
    def excerpt(self, obj):
        return obj.body if len(obj.body) <= 80 else f"{obj.body[:79]}…"
