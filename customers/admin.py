from django.contrib import admin

from customers.models import (
    Customer,
    CustomerMembership,
    DirectoryUser,
    License,
    RelationshipEvent,
    ResellerRelationship,
    ServiceRequest,
    Subscription,
    SupportContact,
)


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    autocomplete_fields = ["provisioned_by"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "country", "cloud", "created_at"]
    list_filter = ["cloud", "country"]
    search_fields = ["name", "domain"]
    date_hierarchy = "created_at"
    inlines = [SubscriptionInline]


@admin.register(CustomerMembership)
class CustomerMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "customer", "is_admin"]
    list_select_related = ["user", "customer"]
    list_filter = ["is_admin"]
    search_fields = ["user__email", "customer__name", "customer__domain"]
    autocomplete_fields = ["user", "customer"]


@admin.register(DirectoryUser)
class DirectoryUserAdmin(admin.ModelAdmin):
    list_display = ["display_name", "email", "customer"]
    list_select_related = ["customer"]
    search_fields = ["display_name", "email", "customer__name"]
    autocomplete_fields = ["customer"]


@admin.register(License)
class LicenseAdmin(admin.ModelAdmin):
    list_display = ["product", "customer", "assigned", "total"]
    list_select_related = ["customer"]
    search_fields = ["product", "customer__name"]
    autocomplete_fields = ["customer"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["offer_name", "customer", "quantity", "status", "provisioned_by"]
    list_select_related = ["customer", "provisioned_by"]
    list_filter = ["status"]
    search_fields = ["offer_name", "customer__name", "customer__domain"]
    autocomplete_fields = ["customer", "provisioned_by"]
    date_hierarchy = "created_at"


@admin.register(ResellerRelationship)
class ResellerRelationshipAdmin(admin.ModelAdmin):
    list_display = ["partner", "customer", "status", "dap_active", "since", "ended_at"]
    list_select_related = ["partner", "customer"]
    list_filter = ["status", "dap_active", "partner__cloud"]
    search_fields = ["partner__name", "customer__name", "customer__domain"]
    date_hierarchy = "since"
    readonly_fields = ["partner", "customer", "status", "dap_active", "since",
                       "dap_removed_at", "ended_at", "ended_by", "end_reason"]


@admin.register(RelationshipEvent)
class RelationshipEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "partner", "customer", "actor"]
    list_select_related = ["partner", "customer", "actor"]
    list_filter = ["kind"]
    search_fields = ["partner__name", "customer__name", "actor__email"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SupportContact)
class SupportContactAdmin(admin.ModelAdmin):
    list_display = ["user", "relationship", "is_primary"]
    list_select_related = ["user", "relationship__partner", "relationship__customer"]
    search_fields = ["user__email", "relationship__customer__name"]
    autocomplete_fields = ["user"]
    raw_id_fields = ["relationship"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ["title", "partner", "customer", "severity", "status", "created_at"]
    list_select_related = ["partner", "customer"]
    list_filter = ["status", "severity"]
    search_fields = ["title", "partner__name", "customer__name"]
    date_hierarchy = "created_at"
