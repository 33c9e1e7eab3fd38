"""Input of Users (R26), My account (R30) and passwords (R27)."""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.addresses import fold_email, is_acceptable_address
from core.timezones import TimeZoneFormField
from partners.models import Role
from partners.services import password_reset_email_queue


class RolesField(forms.MultipleChoiceField):
    def __init__(self, *, allow_global_admin: bool = True, **kwargs):
        choices = [
            (value, label)
            for value, label in Role.choices
            if allow_global_admin or value != Role.GLOBAL_ADMIN
        ]
        super().__init__(
            choices=choices,
            widget=forms.CheckboxSelectMultiple,
            label=_("Roles"),
            error_messages={"required": _("Choose at least one role.")},
            **kwargs,
        )


class UserAddForm(forms.Form):
    """Email, name and roles of a new partner user. Only a Global admin is offered
    the Global admin role; a forged one is "not a valid choice"."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=150,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)

    def __init__(self, *args, allow_global_admin: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"] = RolesField(allow_global_admin=allow_global_admin)

    def clean_email(self):
        address = fold_email(self.cleaned_data["email"])
        if not is_acceptable_address(address):
            raise forms.ValidationError(
                _("Use an address whose part before the @ has only ASCII characters."),
                code="address_not_ascii",
            )
        return address


class UserRolesForm(forms.Form):
    def __init__(self, *args, allow_global_admin: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"] = RolesField(allow_global_admin=allow_global_admin)


class TwoStepPolicyForm(forms.Form):
    require_two_step = forms.BooleanField(
        label=_("Require two-step verification for everyone"), required=False
    )


class AccountForm(forms.Form):
    """R30: name for everyone; language and time zone for partner users."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)

    def __init__(self, *args, partner_user: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if partner_user:
            self.fields["language"] = forms.ChoiceField(
                label=_("Language"), choices=settings.LANGUAGES
            )
            self.fields["time_zone"] = TimeZoneFormField(
                label=_("Time zone"),
                help_text=_(
                    "Dates and times are shown to you in it. Blank: the zone of "
                    "your organisation's country."
                ),
            )


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form (current password, Django's validators); the rules are
    listed on the page before the fields rather than as help text."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = ""


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = ""


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form; the email goes through the queue (R21), in the
    person's language where known, and only to active people."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def get_users(self, email):
        address = fold_email(email)
        if not is_acceptable_address(address):
            return []
        # Folded on both sides (R29): "Ava@Contoso" and "ava@contoso" are one.
        return [
            user
            for user in get_user_model()
            ._default_manager.annotate(folded=Lower("email"))
            .filter(folded=address, is_active=True)
            if fold_email(user.email) == address
        ]

    def save(self, *args, **kwargs):
        # Django's save() would also ask for a usable password; an added person
        # who lost their set-password email may use "Forgot your password?" too.
        for user in self.get_users(self.cleaned_data["email"]):
            password_reset_email_queue(user=user, language=get_language() or "")
