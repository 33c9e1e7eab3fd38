from django.contrib import admin

from partners.models import MembershipRole, Notification, Partner, PartnerMembership


class MembershipRoleInline(admin.TabularInline):
    model = MembershipRole
    extra = 0


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "cloud", "public_id", "created_at"]
    list_filter = ["cloud", "country"]
    search_fields = ["name", "public_id"]
    readonly_fields = ["public_id", "created_at"]
    date_hierarchy = "created_at"


@admin.register(PartnerMembership)
class PartnerMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "partner"]
    list_select_related = ["user", "partner"]
    search_fields = ["user__email", "partner__name"]
    list_filter = ["partner__cloud", "roles__role"]
    autocomplete_fields = ["user", "partner"]
    inlines = [MembershipRoleInline]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["kind", "user", "customer_name", "created_at", "seen_at",
                    "email_sent_at", "email_error"]
    list_select_related = ["user"]
    list_filter = ["kind", "email_sent_at"]
    search_fields = ["user__email", "customer_name", "partner_name"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]
