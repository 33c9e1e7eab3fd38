from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from core import throttle
from core.addresses import fold_email
from core.security_log import security_event
from partners.backends import (
    ACCOUNT_LIMIT,
    CLIENT_LIMIT,
    INVALID_ADDRESS,
    sign_in_refusal,
    sign_in_throttled,
)

THROTTLED = {
    ACCOUNT_LIMIT: _(
        "Too many failed sign-in attempts for this account from your network. "
        "Wait %(minutes)s minutes, then try again."
    ),
    CLIENT_LIMIT: _(
        "Too many failed sign-in attempts from your network. "
        "Wait %(minutes)s minutes, then try again."
    ),
}
INVALID_ADDRESS_MESSAGE = _(
    "Enter a valid email address. The part before the @ can contain only "
    "unaccented letters (a–z), digits and punctuation."
)


def lockout_minutes() -> int:
    return throttle.minutes_left()


class ThrottledSignIn:
    """The sign-in steps both forms share: ask the throttle first (no password
    evaluated when it refuses), authenticate through partners.backends (which
    counts the try before the hash), say clearly why a sign-in was refused, and
    log the success."""

    email_field_name = "email"
    site = "portal"

    def _throttled_error(self, limit: str) -> forms.ValidationError:
        return forms.ValidationError(
            THROTTLED[limit], code="locked_out", params={"minutes": lockout_minutes()}
        )

    @sensitive_variables("password")
    def authenticate_throttled(self, email: str, password: str):
        """The user, or a ValidationError saying why not (a field error for an
        unacceptable address)."""
        limit = sign_in_throttled(self.request, email)
        if limit is not None:
            security_event(
                "sign_in_throttled",
                request=self.request,
                email=email,
                limit=limit,
                site=self.site,
            )
            raise self._throttled_error(limit)
        user = authenticate(self.request, email=email, password=password)
        if user is not None:
            return user
        refusal = sign_in_refusal(self.request)
        if refusal == INVALID_ADDRESS:
            raise forms.ValidationError(
                {self.email_field_name: INVALID_ADDRESS_MESSAGE}
            )
        if refusal in THROTTLED:
            raise self._throttled_error(refusal)
        raise self.get_invalid_login_error()

    def log_success(self, email: str, user) -> None:
        security_event(
            "sign_in_succeeded",
            request=self.request,
            email=fold_email(email),
            user_id=user.pk,
            site=self.site,
        )


class SignInForm(ThrottledSignIn, forms.Form):
    """Email + password sign-in, throttled per account and client address (R29)."""

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
    }

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user_cache = None
        super().__init__(*args, **kwargs)

    def get_invalid_login_error(self):
        return forms.ValidationError(
            self.error_messages["invalid_login"], code="invalid_login"
        )

    @sensitive_variables("password")
    def clean(self):
        email = self.cleaned_data.get("email")
        password = self.cleaned_data.get("password")
        if not email or not password:
            return self.cleaned_data
        self.user_cache = self.authenticate_throttled(email, password)
        self.log_success(email, self.user_cache)
        return self.cleaned_data

    def get_user(self):
        return self.user_cache


class StaffSignInForm(ThrottledSignIn, AdminAuthenticationForm):
    """The Django admin's sign-in: by email, on the portal's backend and counters
    (R18, R29, §7)."""

    email_field_name = "username"
    site = "admin"

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Email address")

    @sensitive_variables("password")
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        user = self.authenticate_throttled(username, password)
        try:
            # Staff only: a partner user's right password opens no admin.
            self.confirm_login_allowed(user)
        except forms.ValidationError:
            security_event(
                "sign_in_failed",
                request=self.request,
                email=username,
                reason="not_staff",
                user_id=user.pk,
                site=self.site,
            )
            raise
        self.user_cache = user
        self.log_success(username, user)
        return self.cleaned_data
