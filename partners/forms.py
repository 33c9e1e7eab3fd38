from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _


def _lockout_key(email: str) -> str:
    return f"login-failures:{email.strip().lower()}"


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
        "locked_out": _(
            "Too many failed sign-in attempts for this account. "
            "Wait 15 minutes, then try again."
        ),
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
        key = _lockout_key(email)
        failures = cache.get(key, 0)
        if failures >= settings.LOGIN_FAILURE_LIMIT:
            raise forms.ValidationError(
                self.error_messages["locked_out"], code="locked_out"
            )
        self.user_cache = authenticate(self.request, email=email, password=password)
        if self.user_cache is None:
            cache.set(key, failures + 1, settings.LOGIN_LOCKOUT_SECONDS)
            raise forms.ValidationError(
                self.error_messages["invalid_login"], code="invalid_login"
            )
        cache.delete(key)
        return self.cleaned_data

    def get_user(self):
        return self.user_cache
