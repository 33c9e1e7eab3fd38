"""R40 in the admin: webhook endpoints (never their secret) and deliveries."""

from django.contrib import admin

from api.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "partner", "is_active", "consecutive_failures", "created_at")
    list_filter = ("is_active",)
    list_select_related = ("partner",)
    search_fields = ("url", "partner__name")
    exclude = ("secret_encrypted",)
    readonly_fields = ("partner", "created_by", "created_at", "disabled_at")
    raw_id_fields = ("created_by",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "event_name",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "occurred_at",
    )
    list_filter = ("status", "event_name")
    list_select_related = ("endpoint",)
    search_fields = ("event_id", "endpoint__url")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False
