"""Staff admin for admin relationships, security groups, assignments and their
events (R18, R31–R35).

Everything here is read-only: relationships, assignments and groups change
through gdap.services, in the portal, or by the one admin action below
(Terminate, with the staff member as actor and the reason in the event). Events
are append-only for everyone. The request's link is never shown: the
relationship links to its request (the invitation), whose admin hides it (R7).
"""

from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin_helpers import (
    ChangedThroughActionsMixin,
    CustomerLinkMixin,
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
    short_date,
    with_reason,
)
from customers.role_catalogue import CHOICES as ROLE_CHOICES
from customers.role_catalogue import in_catalogue_order
from gdap import services
from gdap.models import (
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipReminder,
    AdminRelationshipRole,
    GdapEvent,
    SecurityGroup,
    SecurityGroupMember,
)

Status = AdminRelationship.Status
# What Terminate can still end (as people see it).
TERMINABLE = (Status.APPROVAL_PENDING, Status.ACTIVE, Status.EXPIRING)


class ReadOnlyAdminMixin:
    """Nobody adds, changes or deletes here, not even a superuser: the portal's
    services write these rows (with their events)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _role_labels(roles) -> str:
    """The roles' names, in the catalogue's order (from prefetched rows)."""
    return ", ".join(str(r.label) for r in in_catalogue_order(x.role for x in roles))


def _count(model, key: str):
    """How many ``model`` rows point at the row, as a subquery: no GROUP BY on
    the changelist's query, whatever its joins."""
    rows = (
        model.objects.filter(**{key: OuterRef("pk")})
        .order_by()
        .values(key)
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(rows), 0)


# --- Filters ----------------------------------------------------------------------


class EffectiveStatusFilter(admin.SimpleListFilter):
    """Status as people see it: Expiring (30 days or less left), an active row
    past its end as Expired, a pending request whose link is gone as Expired or
    Terminated (the rule of ``with_effective_status``)."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value not in Status.values:
            return queryset
        return queryset.with_effective_status(value, now=timezone.now())


class RoleFilter(admin.SimpleListFilter):
    """Relationships that include a role of the catalogue."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return ROLE_CHOICES

    def queryset(self, request, queryset):
        value = self.value()
        if value not in dict(ROLE_CHOICES):
            return queryset
        # One row per (relationship, role): the join makes no duplicates.
        return queryset.filter(roles__role=value)


# --- Inlines ----------------------------------------------------------------------


class RoleInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = AdminRelationshipRole
    fields = ["role"]
    readonly_fields = fields
    show_change_link = False
    template = "admin/edit_inline/tabular_region.html"


class AssignmentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = AccessAssignment
    fields = ["group_link", "roles_shown", "created_by_email", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("group", "created_by", "relationship")
            .prefetch_related("roles")
        )

    @admin.display(description=_("security group"))
    def group_link(self, obj):
        return admin_link(obj.group)

    @admin.display(description=_("roles"))
    def roles_shown(self, obj):
        return _role_labels(obj.roles.all())

    @admin.display(description=_("assigned by"))
    def created_by_email(self, obj):
        return obj.created_by.email if obj.created_by else "-"


class EventInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The relationship's timeline, newest first; nobody edits or deletes it."""

    model = GdapEvent
    fields = ["at", "kind", "actor_email", "details"]
    readonly_fields = fields
    ordering = ["-at", "-id"]
    verbose_name_plural = _("timeline")
    show_change_link = False
    template = "admin/edit_inline/tabular_region.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("actor"))
    def actor_email(self, obj):
        return obj.actor.email if obj.actor else "-"


class MemberInline(UserColumnsMixin, ReadOnlyInlineMixin, admin.TabularInline):
    model = SecurityGroupMember
    fields = ["user_email", "user_name"]
    readonly_fields = fields
    show_change_link = False
    template = "admin/edit_inline/tabular_region.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


# --- Admin relationships ----------------------------------------------------------

RELATIONSHIP_FIELDS = [
    "number",
    "name",
    "partner_link",
    "customer_link",
    "status_now",
    "roles_shown",
    "duration_days",
    "auto_extend",
    "has_global_administrator",
    "request_link",
    "created_by_email",
    "created_at",
    "approved_by_email",
    "approved_at",
    "ends_at",
    "ended_at",
    "ended_by_email",
    "related",
]


@admin.register(AdminRelationship)
class AdminRelationshipAdmin(
    PartnerLinkMixin, CustomerLinkMixin, ChangedThroughActionsMixin, PortalModelAdmin
):
    list_display = [
        "number",
        "name",
        "partner_link",
        "customer_link",
        "status_now",
        "roles_shown",
        "ends_on",
        "auto_extend",
        "assigned",
    ]
    list_display_links = ["number", "name"]
    list_select_related = ["partner", "customer", "invitation"]
    list_filter = [
        partner_filter("partner"),
        EffectiveStatusFilter,
        RoleFilter,
        "auto_extend",
        "has_global_administrator",
        "partner__cloud",
        country_filter("customer__country"),
    ]
    search_fields = [
        "id__exact",
        "name",
        "partner__name",
        "customer__name",
        "customer__domain",
        "invitation__recipient_email",
        "created_by__email",
    ]
    date_hierarchy = "created_at"
    # Fields are listed, not excluded: nothing of the request's link shows.
    fields = RELATIONSHIP_FIELDS
    readonly_fields = RELATIONSHIP_FIELDS
    inlines = [RoleInline, AssignmentInline, EventInline]
    actions = [
        "terminate_relationships",
        export_csv_action(
            columns=[
                "id",
                "name",
                "partner.id",
                "partner.name",
                "customer.id",
                "customer.name",
                "customer.domain",
                ("status", lambda r: r.effective_status(timezone.now())),
                ("roles", lambda r: " ".join(x.role for x in r.roles.all())),
                "duration_days",
                "auto_extend",
                "created_at",
                "approved_at",
                "ends_at",
                "ended_at",
            ],
            filename="admin-relationships",
        ),
    ]

    def has_delete_permission(self, request, obj=None):
        # Events keep it (PROTECT); Terminate is how it ends.
        return False

    def get_queryset(self, request):
        # No select_related here: the changelist would then skip
        # list_select_related (the change page reads the people it names).
        return (
            super()
            .get_queryset(request)
            .prefetch_related("roles")
            .annotate(assignment_count=_count(AccessAssignment, "relationship"))
        )

    def get_search_results(self, request, queryset, search_term):
        # Staff quote ids as the portal shows them: "#42".
        return super().get_search_results(
            request, queryset, search_term.strip().removeprefix("#")
        )

    @admin.display(description=_("admin relationship"), ordering="id")
    def number(self, obj):
        return f"#{obj.pk}"

    @admin.display(description=_("status"), ordering="status")
    def status_now(self, obj):
        return Status(obj.effective_status(timezone.now())).label

    @admin.display(description=_("roles"))
    def roles_shown(self, obj):
        return _role_labels(obj.roles.all())

    @admin.display(description=_("ends"), ordering="ends_at")
    def ends_on(self, obj):
        return short_date(obj.ends_at)

    @admin.display(description=_("assigned"), ordering="assignment_count")
    def assigned(self, obj):
        return getattr(obj, "assignment_count", None) or "-"

    @admin.display(description=_("request"))
    def request_link(self, obj):
        # By id: the request's page shows the draft with its link hidden (R7).
        url = admin_change_url_for("invitations.Invitation", obj.invitation_id)
        return admin_links([(url, f"#{obj.invitation_id}")])

    @admin.display(description=_("requested by"), ordering="created_by__email")
    def created_by_email(self, obj):
        return obj.created_by.email

    @admin.display(description=_("approved by"))
    def approved_by_email(self, obj):
        return obj.approved_by.email if obj.approved_by else "-"

    @admin.display(description=_("ended by"))
    def ended_by_email(self, obj):
        return obj.ended_by.email if obj.ended_by else "-"

    @admin.display(description=_("related"))
    def related(self, obj):
        return admin_links(
            [
                (
                    admin_changelist_url(GdapEvent, relationship__id__exact=obj.pk),
                    _("Timeline"),
                ),
                (
                    admin_changelist_url(
                        AccessAssignment, relationship__id__exact=obj.pk
                    ),
                    AccessAssignment._meta.verbose_name_plural,
                ),
            ]
        )

    @admin.action(
        description=_("Terminate selected admin relationships"),
        permissions=["change"],
    )
    def terminate_relationships(self, request, queryset):
        """R35 for staff: a confirmation page with a required reason, then the
        portal's service (side "staff", the staff member as actor, the reason in
        the event); one that has already ended is named and left as it is."""
        now = timezone.now()

        def terminate(reason):
            act_on_each(
                self,
                request,
                queryset,
                skip=lambda r: (
                    _("%(relationship)s was already terminated.") % {"relationship": r}
                    if r.status == Status.TERMINATED
                    else None
                ),
                act=lambda r: services.admin_relationship_terminate(
                    relationship_id=r.pk,
                    actor=request.user,
                    side="staff",
                    reason=reason,
                ),
                refused=lambda r, exc: f"{r}: {exc}",
                log_message=with_reason(
                    gettext("Admin relationship terminated."), reason
                ),
                done_message=ngettext_lazy(
                    "%(count)s admin relationship terminated.",
                    "%(count)s admin relationships terminated.",
                    "count",
                ),
            )

        return confirm_with_reason(
            self,
            request,
            queryset,
            run=terminate,
            title=_("Terminate selected admin relationships"),
            intro=_(
                "Each admin relationship below ends now for both sides: nobody at "
                "the partner can use its roles any more, and a pending request's "
                "link stops working. Its history and events stay. Relationships "
                "that have already ended are left as they are."
            ),
            confirm_label=_("Terminate selected admin relationships"),
            notes=lambda rows: {
                r.pk: Status(r.effective_status(now)).label
                for r in rows
                if r.effective_status(now) not in TERMINABLE
            },
        )


@admin.register(AdminRelationshipRole)
class AdminRelationshipRoleAdmin(ReadOnlyAdminMixin, PortalModelAdmin):
    list_display = ["role", "relationship_link", "partner_link", "customer_link"]
    list_select_related = ["relationship__partner", "relationship__customer"]
    list_filter = ["role", partner_filter("relationship__partner")]
    search_fields = [
        "relationship__name",
        "relationship__partner__name",
        "relationship__customer__name",
        "relationship__id__exact",
    ]
    fields = ["role", "relationship_link", "partner_link", "customer_link"]
    readonly_fields = fields

    @admin.display(description=_("admin relationship"), ordering="relationship__name")
    def relationship_link(self, obj):
        return admin_link(obj.relationship)

    @admin.display(description=_("partner"), ordering="relationship__partner__name")
    def partner_link(self, obj):
        return admin_link(obj.relationship.partner)

    @admin.display(description=_("customer"), ordering="relationship__customer__name")
    def customer_link(self, obj):
        return admin_link(obj.relationship.customer)


# --- Security groups and assignments ----------------------------------------------


@admin.register(SecurityGroup)
class SecurityGroupAdmin(PartnerLinkMixin, ReadOnlyAdminMixin, PortalModelAdmin):
    list_display = ["name", "partner_link", "member_count", "assigned", "created_at"]
    list_select_related = ["partner"]
    list_filter = [partner_filter("partner"), "partner__cloud"]
    search_fields = ["name", "partner__name", "members__email", "id__exact"]
    date_hierarchy = "created_at"
    fields = ["name", "partner_link", "created_at", "related"]
    readonly_fields = fields
    inlines = [MemberInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_total=_count(SecurityGroupMember, "group"),
                assignment_count=_count(AccessAssignment, "group"),
            )
        )

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj):
        return obj.member_total

    @admin.display(description=_("assigned"), ordering="assignment_count")
    def assigned(self, obj):
        return obj.assignment_count or "-"

    @admin.display(description=_("related"))
    def related(self, obj):
        return admin_links(
            [
                (
                    admin_changelist_url(AccessAssignment, group__id__exact=obj.pk),
                    AccessAssignment._meta.verbose_name_plural,
                ),
                (
                    admin_changelist_url(GdapEvent, group_id__exact=obj.pk),
                    _("Timeline"),
                ),
            ]
        )


@admin.register(SecurityGroupMember)
class SecurityGroupMemberAdmin(UserColumnsMixin, ReadOnlyAdminMixin, PortalModelAdmin):
    list_display = ["user_email", "user_name", "group_link", "partner_link"]
    list_select_related = ["user", "group__partner"]
    list_filter = [partner_filter("group__partner")]
    search_fields = ["user__email", "group__name", "group__partner__name"]
    fields = ["user_email", "user_name", "group_link", "partner_link"]
    readonly_fields = fields

    @admin.display(description=_("security group"), ordering="group__name")
    def group_link(self, obj):
        return admin_link(obj.group)

    @admin.display(description=_("partner"), ordering="group__partner__name")
    def partner_link(self, obj):
        return admin_link(obj.group.partner)


@admin.register(AccessAssignment)
class AccessAssignmentAdmin(ReadOnlyAdminMixin, PortalModelAdmin):
    list_display = [
        "number",
        "relationship_link",
        "group_link",
        "partner_link",
        "customer_link",
        "roles_shown",
        "created_at",
    ]
    list_display_links = ["number"]
    list_select_related = [
        "relationship__partner",
        "relationship__customer",
        "group",
        "created_by",
    ]
    list_filter = [partner_filter("relationship__partner")]
    search_fields = [
        "group__name",
        "relationship__name",
        "relationship__partner__name",
        "relationship__customer__name",
        "relationship__id__exact",
    ]
    date_hierarchy = "created_at"
    fields = [
        "relationship_link",
        "group_link",
        "partner_link",
        "customer_link",
        "roles_shown",
        "created_by_email",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description=_("access assignment"), ordering="id")
    def number(self, obj):
        return f"#{obj.pk}"

    @admin.display(description=_("admin relationship"), ordering="relationship__name")
    def relationship_link(self, obj):
        return admin_link(obj.relationship)

    @admin.display(description=_("security group"), ordering="group__name")
    def group_link(self, obj):
        return admin_link(obj.group)

    @admin.display(description=_("partner"), ordering="relationship__partner__name")
    def partner_link(self, obj):
        return admin_link(obj.relationship.partner)

    @admin.display(description=_("customer"), ordering="relationship__customer__name")
    def customer_link(self, obj):
        return admin_link(obj.relationship.customer)

    @admin.display(description=_("roles"))
    def roles_shown(self, obj):
        return _role_labels(obj.roles.all())

    @admin.display(description=_("assigned by"))
    def created_by_email(self, obj):
        return obj.created_by.email if obj.created_by else "-"


# --- Events and reminders ----------------------------------------------------------


@admin.register(GdapEvent)
class GdapEventAdmin(
    PartnerLinkMixin, CustomerLinkMixin, ReadOnlyAdminMixin, PortalModelAdmin
):
    """The append-only timeline: nobody adds, changes or deletes events, not
    even a superuser (the database refuses it too)."""

    list_display = [
        "at",
        "kind",
        "partner_link",
        "customer_link",
        "relationship_link",
        "actor_email",
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
        "relationship__name",
        "actor__email",
        "relationship__id__exact",
    ]
    date_hierarchy = "at"
    fields = [
        "at",
        "kind",
        "partner_link",
        "customer_link",
        "relationship_link",
        "group_id",
        "actor_email",
        "details",
    ]
    readonly_fields = fields

    @admin.display(description=_("actor"), ordering="actor__email")
    def actor_email(self, obj):
        return obj.actor.email if obj.actor else "-"

    @admin.display(description=_("admin relationship"))
    def relationship_link(self, obj):
        if obj.relationship is None:
            return "-"
        return admin_link(obj.relationship)


@admin.register(AdminRelationshipReminder)
class AdminRelationshipReminderAdmin(ReadOnlyAdminMixin, PortalModelAdmin):
    """R23: the end reminders given, one per relationship, day and end date."""

    list_display = ["days_before", "relationship_link", "ends_at", "created_at"]
    list_select_related = ["relationship"]
    list_filter = ["days_before", partner_filter("relationship__partner")]
    search_fields = ["relationship__name", "relationship__id__exact"]
    date_hierarchy = "created_at"
    fields = ["relationship_link", "days_before", "ends_at", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("admin relationship"), ordering="relationship__name")
    def relationship_link(self, obj):
        return admin_link(obj.relationship)
