from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import ReadOnlyPasswordHashWidget, UserChangeForm
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from core.admin_helpers import (
    ChangedThroughActionsMixin,
    CountryColumnMixin,
    LabelledInlineFormSet,
    PartnerLinkMixin,
    PortalModelAdmin,
    ReadOnlyInlineMixin,
    UserColumnsMixin,
    act_on_each,
    admin_changelist_url,
    admin_links,
    confirm_with_reason,
    country_filter,
    partner_filter,
    with_reason,
)
from core.timezones import TimeZoneFormField
from partners import api_tokens
from partners.forms import StaffSignInForm
from partners.models import ApiToken, MembershipRole, Partner, PartnerMembership

admin.site.site_header = _("Partner portal administration")
admin.site.site_title = _("Partner portal administration")
admin.site.index_title = _("Support")
# The admin sign-in counts failures like the portal's and says when an address
# is locked out (the throttle itself lives in partners.backends).
admin.site.login_form = StaffSignInForm


def _staff_verified(request, _has_permission=admin.site.has_permission):
    """R28: the staff admin also needs this session's second step (the two-step
    middleware sends an unverified session there first)."""
    is_verified = getattr(request.user, "is_verified", None)
    return _has_permission(request) and bool(is_verified and is_verified())


admin.site.has_permission = _staff_verified


# The pages about one partner, linked from its change page. Named, not imported:
# partners is the bottom layer and imports no other app.
PARTNER_PAGES = [
    ("invitations.Invitation", _("Relationship requests")),
    ("customers.ResellerRelationship", _("Reseller relationships")),
    ("customers.ServiceRequest", _("Service requests")),
    ("customers.RelationshipEvent", _("Timeline")),
]


class MembershipRoleInline(admin.TabularInline):
    model = MembershipRole
    formset = LabelledInlineFormSet
    extra = 0


class PartnerUserInline(UserColumnsMixin, ReadOnlyInlineMixin, admin.TabularInline):
    model = PartnerMembership
    fields = ["user_email", "user_name", "roles"]
    readonly_fields = fields
    verbose_name = _("partner user")
    verbose_name_plural = _("partner users")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .prefetch_related(Prefetch("roles", queryset=MembershipRole.objects.all()))
        )

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(obj.role_labels())


@admin.register(Partner)
class PartnerAdmin(CountryColumnMixin, PortalModelAdmin):
    list_display = ["name", "country_label", "cloud", "public_id", "created_at"]
    list_filter = ["cloud", country_filter("country")]
    search_fields = ["name", "public_id", "memberships__user__email"]
    readonly_fields = ["public_id", "created_at", "related"]
    date_hierarchy = "created_at"
    inlines = [PartnerUserInline]

    @admin.display(description=_("related"))
    def related(self, obj):
        if obj.pk is None:
            return "-"
        return admin_links(
            (admin_changelist_url(model, partner__id__exact=obj.pk), label)
            for model, label in PARTNER_PAGES
        )


class PartnerMembershipAdminForm(forms.ModelForm):
    # R45: a select of the IANA zones; blank means the partner's country's zone.
    # No Meta: the admin builds it with every field of the model.
    time_zone = TimeZoneFormField()


@admin.register(PartnerMembership)
class PartnerMembershipAdmin(UserColumnsMixin, PartnerLinkMixin, PortalModelAdmin):
    form = PartnerMembershipAdminForm
    list_display = ["user_email", "user_name", "partner_link", "roles"]
    list_select_related = ["user", "partner"]
    search_fields = [
        "user__email",
        "user__first_name",
        "user__last_name",
        "partner__name",
    ]
    list_filter = ["roles__role", "partner__cloud", country_filter("partner__country")]
    autocomplete_fields = ["user", "partner"]
    inlines = [MembershipRoleInline]

    def get_queryset(self, request):
        # One query for every row's roles, whatever the number of rows.
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(obj.role_labels())


# --- API tokens (R38) -----------------------------------------------------------------


@admin.register(ApiToken)
class ApiTokenAdmin(ChangedThroughActionsMixin, PartnerLinkMixin, PortalModelAdmin):
    """Support staff see every token (never its key: only a hash exists, and it is
    not shown) and revoke them; tokens are created by their person only."""

    list_display = [
        "name",
        "prefix",
        "user",
        "partner_link",
        "scope",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_select_related = ["user", "partner"]
    list_filter = [
        "scope",
        partner_filter(),
        ("revoked_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["name", "prefix", "user__email"]
    fields = [
        "name",
        "prefix",
        "user",
        "partner",
        "scope",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = fields
    actions = ["revoke_selected"]

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        def run(reason):
            act_on_each(
                self,
                request,
                queryset,
                skip=lambda token: (
                    _("%(name)s was revoked already.") % {"name": token.name}
                    if token.revoked_at
                    else None
                ),
                act=lambda token: api_tokens.token_revoke(
                    token=token, actor=request.user
                ),
                refused=lambda token, exc: str(exc),
                log_message=with_reason(_("Revoked the token."), reason),
                done_message=_("%(count)d tokens revoked."),
            )

        return confirm_with_reason(
            self,
            request,
            queryset,
            run=run,
            title=_("Revoke selected tokens"),
            intro=_("Programs using these tokens are refused from their next call."),
            confirm_label=_("Revoke"),
        )


# --- The accounts (django.contrib.auth's User) ------------------------------------


class PasswordSummaryWidget(ReadOnlyPasswordHashWidget):
    """Django's password summary without the ``disabled`` attribute its (disabled)
    field gives the widget: Django renders it on a ``<div>``, where HTML allows
    none. The field stays disabled: a posted value is still ignored."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("disabled", None)
        return context


class PortalUserChangeForm(UserChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        password = self.fields.get("password")
        if password is not None:
            password.widget = PasswordSummaryWidget(attrs=password.widget.attrs)


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class PortalUserAdmin(UserAdmin):
    """Django's user admin, accessible (issue 12): the sign-in dates are shown, not
    edited (Django's split date and time inputs have no labels of their own), and
    groups and permissions are plain multiple selects (the filter_horizontal
    widget's help icons carry an ARIA attribute their element may not have)."""

    form = PortalUserChangeForm
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")


# R26: the events of partner people management (partners/people_admin.py).
from partners import people_admin  # noqa: E402, F401
