import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied


def _failures_key(email: str) -> str:
    # Hashed: any cache backend accepts the key, whatever the address holds.
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"login-failures:{digest}"


def sign_in_locked_out(email: str) -> bool:
    """True while this address has LOGIN_FAILURE_LIMIT recent failed sign-ins."""
    return cache.get(_failures_key(email), 0) >= settings.LOGIN_FAILURE_LIMIT


def _record_failure(key: str) -> None:
    # add + incr is atomic on every cache backend, so concurrent guesses all count.
    # The window starts at the first failure.
    cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)


class EmailBackend(ModelBackend):
    """Sign in with the email address, whatever its letter case, throttled per address.

    The throttle lives here rather than in a form so that every sign-in form (the
    portal's, the acceptance pages', the Django admin's) counts failures against
    the same address: after LOGIN_FAILURE_LIMIT failures even the right password
    is refused until LOGIN_LOCKOUT_SECONDS have passed. Forms check
    ``sign_in_locked_out`` first to say so clearly.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = (kwargs.get("email") or username or "").strip()
        if not email or password is None:
            return None
        key = _failures_key(email)
        if sign_in_locked_out(email):
            # PermissionDenied makes authenticate() stop trying other backends.
            raise PermissionDenied
        User = get_user_model()
        users = list(User._default_manager.filter(email__iexact=email)[:2])
        if len(users) != 1:
            # Run the hasher anyway so unknown addresses take as long as known ones.
            User().set_password(password)
            _record_failure(key)
            return None
        user = users[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            cache.delete(key)
            return user
        _record_failure(key)
        return None
