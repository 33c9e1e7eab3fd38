from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from partners.backends import sign_in_locked_out

LOCKED_OUT = _(
    "Too many failed sign-in attempts for this account. "
    "Wait %(minutes)s minutes, then try again."
)


def lockout_minutes() -> int:
    return max(1, round(settings.LOGIN_LOCKOUT_SECONDS / 60))


class SignInForm(forms.Form):
    """Email + password sign-in, throttled per email address."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter a valid email address."),
        },
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password.")},
    )

    error_messages = {
        "invalid_login": _("The email address or password is incorrect."),
        "locked_out": LOCKED_OUT,
    }

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user_cache = None
        super().__init__(*args, **kwargs)

    def clean(self):
        email = self.cleaned_data.get("email")
        password = self.cleaned_data.get("password")
        if not email or not password:
            return self.cleaned_data
        # The backend counts failures and refuses a locked-out address; asking
        # first gives the clear message instead of "incorrect".
        if sign_in_locked_out(email):
            raise forms.ValidationError(
                self.error_messages["locked_out"],
                code="locked_out",
                params={"minutes": lockout_minutes()},
            )
        self.user_cache = authenticate(self.request, email=email, password=password)
        if self.user_cache is None:
            raise forms.ValidationError(
                self.error_messages["invalid_login"], code="invalid_login"
            )
        return self.cleaned_data

    def get_user(self):
        return self.user_cache


class StaffSignInForm(AdminAuthenticationForm):
    """The Django admin's sign-in: by email, throttled like the portal's (R18, §7)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "locked_out": LOCKED_OUT,
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Email address")

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and sign_in_locked_out(username):
            raise forms.ValidationError(
                self.error_messages["locked_out"],
                code="locked_out",
                params={"minutes": lockout_minutes()},
            )
        return super().clean()
