"""R28: two-step verification: what is due of a signed-in person, and the gate.

A person signed in with a password is *verified* once this session has passed a
second factor (django-otp's ``request.user.is_verified()``: an authenticator
code, a recovery code or a passkey). Two cases hold a signed-in person back:

- they have a confirmed second factor but this session has not used it: they
  reach only the sign-in's second step (``login_verify``);
- their role requires one (``TWO_STEP_REQUIRED_ROLES``, staff, or a partner that
  requires it of everyone) and they have none: they reach only the set-up page
  (``partners:two_step``).

Either way, sign-out, static files, the passkey ceremonies, the language choice
and the health check stay reachable. Everything else, GET or POST, is redirected
before any view runs, so a POST elsewhere changes nothing.

Cost: nothing for an anonymous request or a verified session (django-otp's
middleware has already loaded the session's device); one query (plus the
partner membership that partner pages load anyway) for a signed-in, unverified
person.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from partners.permissions import TWO_STEP_REQUIRED_ROLES, membership_of

# What the gate asks of a signed-in, unverified person.
VERIFY = "verify"
SET_UP = "set_up"

# Reachable whatever is due (prefixes of request.path).
ALWAYS_OPEN_NAMES = ("logout", "set_language", "healthz", "login")
# The passkey ceremonies' JSON endpoints and their script catalogue.
WEBAUTHN_PREFIX = "/webauthn/"


# --- Selectors ---------------------------------------------------------------------


def has_confirmed_device(user) -> bool:
    """True when ``user`` has a confirmed authenticator app, recovery codes or
    passkey. One query whatever the number of device kinds."""
    User = get_user_model()
    return (
        User._default_manager.filter(pk=user.pk)
        .filter(
            Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
            | Exists(StaticDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
            | Exists(
                WebAuthnCredential.objects.filter(user=OuterRef("pk"), confirmed=True)
            )
        )
        .exists()
    )


def two_step_required(user) -> bool:
    """R28: staff, the roles of TWO_STEP_REQUIRED_ROLES, and everyone at a partner
    that requires it (Partner.require_two_step) must use a second factor."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    membership = membership_of(user)
    if membership is None:
        return False
    return membership.partner.require_two_step or bool(
        membership.role_set & TWO_STEP_REQUIRED_ROLES
    )


def two_step_due(user) -> str | None:
    """VERIFY, SET_UP or None for a signed-in person whose session is not
    verified (see the module's docstring)."""
    if not user.is_authenticated or user.is_verified():
        return None
    if has_confirmed_device(user):
        return VERIFY
    if two_step_required(user):
        return SET_UP
    return None


def confirmed_totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_device(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def passkey_list(user):
    """The person's own passkeys, oldest first."""
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by(
        "created_at", "pk"
    )


def passkey_get(*, user, passkey_id: int) -> WebAuthnCredential:
    """One of the person's passkeys; another person's id is DoesNotExist (404)."""
    return WebAuthnCredential.objects.get(user=user, pk=passkey_id)


def with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


# --- The gate ----------------------------------------------------------------------


def _open_paths() -> tuple[str, ...]:
    return tuple(reverse(name) for name in ALWAYS_OPEN_NAMES) + (
        WEBAUTHN_PREFIX,
        settings.STATIC_URL
        if settings.STATIC_URL.startswith("/")
        else f"/{settings.STATIC_URL}",
    )


class TwoStepRequiredMiddleware:
    """Holds a signed-in person whose second step is due (module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._paths = None

    def _allowed(self, path: str, due: str) -> bool:
        if self._paths is None:
            self._paths = (
                _open_paths(),
                reverse("login_verify"),
                reverse("partners:two_step"),
            )
        open_paths, verify_path, set_up_path = self._paths
        if path.startswith(open_paths):
            return True
        if due == VERIFY:
            return path.startswith(verify_path)
        return path.startswith(set_up_path)

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        due = two_step_due(user)
        if due is None or self._allowed(request.path, due):
            return self.get_response(request)
        target = (
            reverse("login_verify") if due == VERIFY else reverse("partners:two_step")
        )
        # The page asked for comes back after the step (GET only: a POST's
        # target would be a form nobody filled in).
        next_url = request.get_full_path() if request.method == "GET" else ""
        return redirect(with_next(target, next_url))
