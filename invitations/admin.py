from django.contrib import admin

from invitations.models import Invitation


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["id", "partner", "status", "include_dap", "recipient_email",
                    "sent_at", "expires_at", "customer"]
    list_select_related = ["partner", "customer"]
    list_filter = ["status", "include_dap", "partner__cloud"]
    search_fields = ["=id", "partner__name", "recipient_email", "customer__name"]
    date_hierarchy = "sent_at"
    exclude = ["link_nonce"]
    readonly_fields = ["partner", "created_by", "include_dap", "sent_at", "expires_at",
                       "status", "first_opened_at", "responded_by", "responded_at",
                       "revoked_at", "customer", "relationship"]
