"""Password links (R26, R27): the reset link and an added person's set-password link.

Both are Django's reset tokens: an HMAC over the person's password hash, last
sign-in and (here) whether the account is active, so a link works once (setting
the password changes the hash), stops when the person is removed, and expires.
Each kind has its own ``key_salt`` and lifetime, so one cannot stand for the other.

The emails are queued with a placeholder; the worker makes the token when it
sends (``register``), so the outbox never holds a usable link.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from core.mail import Rendered, register_renderer

LINK_PLACEHOLDER = "{{password_link}}"
PASSWORD_RESET_RENDERER = "password_reset"
SET_PASSWORD_RENDERER = "set_password"


class _PortalTokenGenerator(PasswordResetTokenGenerator):
    """Django's generator with a lifetime of its own and the active flag hashed."""

    timeout_setting = "PASSWORD_RESET_TIMEOUT"

    @property
    def timeout(self) -> int:
        return getattr(settings, self.timeout_setting)

    def _make_hash_value(self, user, timestamp):
        # A removed (deactivated) person's links stop working at once.
        return f"{super()._make_hash_value(user, timestamp)}{int(user.is_active)}"

    def check_token(self, user, token):
        if not (user and token and isinstance(token, str)):
            return False
        try:
            ts_b36, _hash = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            expected = self._make_token_with_timestamp(user, timestamp, secret)
            if constant_time_compare(expected, token):
                break
        else:
            return False
        return (self._num_seconds(self._now()) - timestamp) <= self.timeout


class PasswordResetTokens(_PortalTokenGenerator):
    key_salt = "partners.passwords.PasswordResetTokens"


class SetPasswordTokens(_PortalTokenGenerator):
    """An added person's first password: SET_PASSWORD_TIMEOUT (7 days)."""

    key_salt = "partners.passwords.SetPasswordTokens"
    timeout_setting = "SET_PASSWORD_TIMEOUT"


password_reset_tokens = PasswordResetTokens()
set_password_tokens = SetPasswordTokens()


def password_link(user, *, kind: str) -> str:
    """The absolute link of ``kind`` (a renderer name) for ``user``, made now."""
    generator, url_name = {
        PASSWORD_RESET_RENDERER: (password_reset_tokens, "password_reset_confirm"),
        SET_PASSWORD_RENDERER: (set_password_tokens, "set_password_confirm"),
    }[kind]
    path = reverse(
        url_name,
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": generator.make_token(user),
        },
    )
    return f"{settings.PORTAL_BASE_URL}{path}"


def _renderer(kind: str):
    def render(email) -> Rendered | str:
        user = get_user_model()._default_manager.filter(pk=email.object_id).first()
        if user is None or not user.is_active:
            return str(_("Not sent: the person's account is no longer active."))
        link = password_link(user, kind=kind)
        return Rendered(email.subject, email.body.replace(LINK_PLACEHOLDER, link))

    return render


def hide_link(text: str) -> str:
    return text.replace(LINK_PLACEHOLDER, str(_("[link made when the email is sent]")))


def register() -> None:
    """Called from an AppConfig.ready(): the worker fills the links in."""
    register_renderer(
        PASSWORD_RESET_RENDERER, _renderer(PASSWORD_RESET_RENDERER), redact=hide_link
    )
    register_renderer(
        SET_PASSWORD_RENDERER, _renderer(SET_PASSWORD_RENDERER), redact=hide_link
    )
