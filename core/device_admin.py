"""R28 in the staff admin: people's second factors, without their secrets.

django-otp's own admin pages show a TOTP device's key (and a QR code of it) and
let staff type one in; here a device can only be looked at (whose, what, whether
confirmed, last used) and, by a superuser, deleted: how someone who lost both
their phone and their recovery codes gets back in (they set up a new one at their
next sign-in). The deletion is a security event like any other removal.
"""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.admin_helpers import PortalModelAdmin
from core.security_log import security_event

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class SecondFactorAdmin(PortalModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__email", "name"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields
    ordering = ["-id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        security_event(
            "second_factor_removed",
            request=request,
            email=obj.user.email,
            kind=obj._meta.model_name,
            by_staff=True,
        )

    def delete_queryset(self, request, queryset):
        for device in queryset.select_related("user"):
            self.delete_model(request, device)


@admin.register(TOTPDevice)
class AuthenticatorAppAdmin(SecondFactorAdmin):
    pass


@admin.register(StaticDevice)
class RecoveryCodesAdmin(SecondFactorAdmin):
    pass
