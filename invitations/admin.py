"""Staff admin for relationship requests and the partner notices they cause (R18).

An invitation changes only through invitations.services (the revoke action calls
invitation_revoke with the staff member as actor). The link nonce is never shown
or exported: with the server secret it makes the link (R7).
"""

from django.conf import settings
from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin_helpers import (
    ChangedThroughActionsMixin,
    CustomerLinkMixin,
    PartnerLinkMixin,
    PortalModelAdmin,
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
from invitations import services
from invitations.experiences import (
    AFTER,
    DISPATCH_TABLE,
    EXPERIENCES,
    experience_of,
)
from invitations.models import BulkRequest, Invitation, InvitationReminder, hide_link

Status = Invitation.Status


class EffectiveStatusFilter(admin.SimpleListFilter):
    """Status as people see it: a pending link past its date counts as expired."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value not in Status.values:
            return queryset
        return queryset.with_effective_status(value)


class ExperienceFilter(admin.SimpleListFilter):
    """R8: which acceptance experience a link opens, from the dispatch table itself
    (the partner's cloud, and sent before or on/after the cutover)."""

    title = _("experience")
    parameter_name = "experience"

    def lookups(self, request, model_admin):
        return [(slug, e.title) for slug, e in EXPERIENCES.items()]

    def queryset(self, request, queryset):
        slug = self.value()
        if slug not in EXPERIENCES:
            return queryset
        cutover = settings.INVITATION_EXPERIENCE_CUTOVER
        rows = Q(pk__in=[])
        for (cloud, era), experience in DISPATCH_TABLE.items():
            if experience.slug != slug:
                continue
            sent = Q(sent_at__gte=cutover) if era == AFTER else Q(sent_at__lt=cutover)
            rows |= Q(partner__cloud=cloud) & sent
        return queryset.filter(rows)


INVITATION_FIELDS = [
    "id",
    "partner_link",
    "created_by_email",
    "status_now",
    "include_dap",
    "recipient_email",
    "email_language",
    "experience",
    "sent_at",
    "expires_at",
    "first_opened_at",
    "email_delivery",
    "responded_by_email",
    "responded_at",
    "revoked_at",
    "customer_link",
    "relationship_link",
    "timeline",
    "subject_shown",
    "body_shown",
]


@admin.register(Invitation)
class InvitationAdmin(
    PartnerLinkMixin, CustomerLinkMixin, ChangedThroughActionsMixin, PortalModelAdmin
):
    # Fits 1366 px beside the filters (issue 12): recipient and partner share a
    # column, dates are short; the experience (a filter), the first open and the
    # times are on the change page.
    list_display = [
        "number",
        "recipient",
        "status_now",
        "include_dap",
        "sent_on",
        "expires_on",
        "customer_link",
        "relationship_link",
    ]
    list_display_links = ["number"]
    list_select_related = [
        "partner",
        "customer",
        "created_by",
        "responded_by",
        "last_email",
    ]
    list_filter = [
        partner_filter("partner"),
        EffectiveStatusFilter,
        ExperienceFilter,
        "include_dap",
        "partner__cloud",
        country_filter("partner__country"),
        "email_language",
    ]
    search_fields = [
        "id__exact",
        "partner__name",
        "recipient_email",
        "customer__name",
        "customer__domain",
        "created_by__email",
    ]
    date_hierarchy = "sent_at"
    # Never link_nonce: fields are listed, not excluded.
    fields = INVITATION_FIELDS
    readonly_fields = INVITATION_FIELDS
    actions = [
        "revoke_invitations",
        export_csv_action(
            columns=[
                "id",
                "partner.id",
                "partner.name",
                "partner.cloud",
                "partner.country",
                "created_by.email",
                ("status", lambda i: i.effective_status(timezone.now())),
                "include_dap",
                "recipient_email",
                "email_language",
                ("experience", lambda i: _experience(i).slug),
                "sent_at",
                "expires_at",
                "first_opened_at",
                "responded_by.email",
                "responded_at",
                "revoked_at",
                "customer.id",
                "customer.name",
                "customer.domain",
                "relationship_id",
            ],
            filename="invitations",
        ),
    ]

    def get_search_results(self, request, queryset, search_term):
        # Staff quote ids as the portal shows them: "#42".
        return super().get_search_results(
            request, queryset, search_term.strip().removeprefix("#")
        )

    @admin.display(description=_("email sent from the portal"))
    def email_delivery(self, obj):
        """R22: the latest email's status, linked to it in the outbox."""
        email = obj.last_email
        if email is None:
            return "-"
        return admin_link(email, email.get_status_display())

    @admin.display(description=_("request"), ordering="id")
    def number(self, obj):
        return f"#{obj.pk}"

    @admin.display(description=_("recipient and partner"), ordering="recipient_email")
    def recipient(self, obj):
        return format_html(
            '{}<br><span class="admin-secondary">{}</span>',
            obj.recipient_email,
            admin_link(obj.partner),
        )

    @admin.display(description=_("sent"), ordering="sent_at")
    def sent_on(self, obj):
        return short_date(obj.sent_at)

    @admin.display(description=_("expires"), ordering="expires_at")
    def expires_on(self, obj):
        return short_date(obj.expires_at)

    @admin.display(description=_("subject"))
    def subject_shown(self, obj):
        return hide_link(obj.subject)

    @admin.display(description=_("body"))
    def body_shown(self, obj):
        # The stored draft holds the link's placeholder; the link itself is never
        # shown to staff (R7), and "{{invitation_link}}" reads like a fault.
        return hide_link(obj.body)

    @admin.display(description=_("status"), ordering="status")
    def status_now(self, obj):
        return Status(obj.effective_status(timezone.now())).label

    @admin.display(description=_("experience"))
    def experience(self, obj):
        return _experience(obj).title

    @admin.display(description=_("relationship"))
    def relationship_link(self, obj):
        # By id: the relationship's own __str__ would fetch partner and customer.
        if obj.relationship_id is None:
            return "-"
        url = admin_change_url_for(
            "customers.ResellerRelationship", obj.relationship_id
        )
        return admin_links([(url, f"#{obj.relationship_id}")])

    @admin.display(description=_("created by"), ordering="created_by__email")
    def created_by_email(self, obj):
        return obj.created_by.email

    @admin.display(description=_("accepted or declined by"))
    def responded_by_email(self, obj):
        return obj.responded_by.email if obj.responded_by else "-"

    @admin.display(description=_("timeline"))
    def timeline(self, obj):
        url = admin_changelist_url(
            "customers.RelationshipEvent", invitation_id__exact=obj.pk
        )
        return admin_links([(url, _("Events of this request"))])

    @admin.action(description=_("Revoke selected invitations"), permissions=["change"])
    def revoke_invitations(self, request, queryset):
        """R7 for staff, after a confirmation with a reason: the same service as
        the portal, the staff member as actor, the reason in the event; a request
        that is no longer pending is refused and named."""

        def revoke(reason):
            act_on_each(
                self,
                request,
                queryset,
                skip=lambda inv: (
                    _("Invitation #%(id)s was already revoked.") % {"id": inv.pk}
                    if inv.status == Status.REVOKED
                    else None
                ),
                act=lambda inv: services.invitation_revoke(
                    invitation_id=inv.pk, actor=request.user, reason=reason
                ),
                refused=lambda inv, exc: (
                    _("Invitation #%(id)s: %(reason)s") % {"id": inv.pk, "reason": exc}
                ),
                log_message=with_reason(gettext("Invitation revoked."), reason),
                done_message=ngettext_lazy(
                    "%(count)s invitation revoked; its link no longer works.",
                    "%(count)s invitations revoked; their links no longer work.",
                    "count",
                ),
            )

        now = timezone.now()
        return confirm_with_reason(
            self,
            request,
            queryset,
            run=revoke,
            title=_("Revoke selected invitations"),
            intro=_(
                "The links of the requests below stop working at once; the "
                "customer sees that the request was revoked. Requests that are no "
                "longer pending are left as they are."
            ),
            confirm_label=_("Revoke selected invitations"),
            notes=lambda rows: {
                inv.pk: Status(inv.effective_status(now)).label
                for inv in rows
                if inv.effective_status(now) != Status.PENDING
            },
        )


def _experience(invitation):
    return experience_of(invitation)


@admin.register(InvitationReminder)
class InvitationReminderAdmin(PortalModelAdmin):
    """R23: the reminders given, one per request and expiry date (read-only)."""

    list_display = ["invitation_number", "days_before", "expires_at", "email_status"]
    list_select_related = ["invitation", "email"]
    list_filter = ["days_before"]
    search_fields = ["invitation__id__exact", "invitation__recipient_email"]
    fields = ["invitation_number", "days_before", "expires_at", "email_status"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("request"), ordering="invitation_id")
    def invitation_number(self, obj):
        return admin_link(obj.invitation, f"#{obj.invitation_id}")

    @admin.display(description=_("email"))
    def email_status(self, obj):
        if obj.email is None:
            return "-"
        return admin_link(obj.email, obj.email.get_status_display())


@admin.register(BulkRequest)
class BulkRequestAdmin(PartnerLinkMixin, PortalModelAdmin):
    """R25: the files partners uploaded (read-only); each request is listed with
    the invitations, and its emails in the outbox."""

    list_display = ["number", "partner_link", "created_by_email", "created_at", "total"]
    list_select_related = ["partner", "created_by"]
    list_filter = [partner_filter("partner")]
    search_fields = ["id__exact", "partner__name", "created_by__email"]
    date_hierarchy = "created_at"
    fields = ["number", "partner_link", "created_by_email", "created_at", "total"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("bulk request"), ordering="id")
    def number(self, obj):
        return f"#{obj.pk}"

    @admin.display(description=_("created by"), ordering="created_by__email")
    def created_by_email(self, obj):
        return obj.created_by.email
