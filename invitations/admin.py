"""Staff admin for relationship requests and the partner notices they cause (R18).

An invitation changes only through invitations.services (the revoke action calls
invitation_revoke with the staff member as actor). The link nonce is never shown
or exported: with the server secret it makes the link (R7).
"""

from django.conf import settings
from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.admin_helpers import (
    ChangedThroughActionsMixin,
    CustomerLinkMixin,
    PartnerLinkMixin,
    PortalModelAdmin,
    act_on_each,
    admin_change_url_for,
    admin_changelist_url,
    admin_links,
    country_filter,
    export_csv_action,
)
from invitations import services
from invitations.experiences import (
    AFTER,
    DISPATCH_TABLE,
    EXPERIENCES,
    experience_for,
)
from invitations.models import Invitation

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
    "responded_by_email",
    "responded_at",
    "revoked_at",
    "customer_link",
    "relationship_link",
    "timeline",
    "subject",
    "body",
]


@admin.register(Invitation)
class InvitationAdmin(
    PartnerLinkMixin, CustomerLinkMixin, ChangedThroughActionsMixin, PortalModelAdmin
):
    list_display = [
        "id",
        "partner_link",
        "status_now",
        "include_dap",
        "recipient_email",
        "experience",
        "sent_at",
        "expires_at",
        "first_opened_at",
        "customer_link",
        "relationship_link",
    ]
    list_display_links = ["id"]
    list_select_related = ["partner", "customer", "created_by", "responded_by"]
    list_filter = [
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
        """R7 for staff: the same service as the portal, the staff member as actor;
        a request that is no longer pending is refused and named."""
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
                invitation_id=inv.pk, actor=request.user
            ),
            refused=lambda inv, exc: (
                _("Invitation #%(id)s: %(reason)s") % {"id": inv.pk, "reason": exc}
            ),
            log_message=_("Invitation revoked."),
            done_message=ngettext_lazy(
                "%(count)s invitation revoked; its link no longer works.",
                "%(count)s invitations revoked; their links no longer work.",
                "count",
            ),
        )


def _experience(invitation):
    return experience_for(cloud=invitation.partner.cloud, sent_at=invitation.sent_at)
