"""Staff admin of the changes to partners' people (R26, R18): read-only audit rows.

Imported by partners/admin.py (``from partners import people_admin  # noqa: F401``).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_helpers import PortalModelAdmin, partner_filter
from partners.models import PartnerUserEvent


@admin.register(PartnerUserEvent)
class PartnerUserEventAdmin(PortalModelAdmin):
    list_display = ["at", "kind", "partner", "subject_email", "actor"]
    list_select_related = ["partner", "subject", "actor"]
    list_filter = ["kind", partner_filter()]
    search_fields = ["partner__name", "subject__email", "actor__email"]
    date_hierarchy = "at"
    fields = ["at", "kind", "partner", "subject", "actor", "details"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    @admin.display(description=_("user"), ordering="subject__email")
    def subject_email(self, obj):
        return obj.subject.email if obj.subject else obj.details.get("email", "")
