"""Sign in by email address, throttled per (account, client address) and per
client address (R29).

Every sign-in form (the portal's, the invitation pages', the Django admin's) goes
through ``EmailBackend``, so they all count against the same buckets:

- ``sign-in:account``: the folded address and the client address, at most
  LOGIN_FAILURE_LIMIT tries within LOGIN_LOCKOUT_SECONDS. Someone guessing from
  one network locks only that network out of that account: the person signing in
  from anywhere else is not affected.
- ``sign-in:client``: the client address alone, at most LOGIN_IP_FAILURE_LIMIT
  failures whatever the account (one network trying many addresses).

The try is counted *before* the password hash, so concurrent guesses cannot all
pass the limit before any failure is recorded; a try over a limit never reaches
the hasher. A success clears the account bucket and takes its try back from the
client bucket. Addresses are folded (NFKC + casefold) and compared with
``Lower("email")``; an address whose local part is not ASCII is refused before
any lookup and counts in the client bucket only.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models.functions import Lower

from core import throttle
from core.addresses import fold_email, is_acceptable_address
from core.client_ip import client_ip, throttle_address
from core.security_log import security_event

ACCOUNT_LIMIT = "sign-in:account"
CLIENT_LIMIT = "sign-in:client"
# Why the backend refused before checking any password (see sign_in_refusal).
INVALID_ADDRESS = "invalid_address"

_REFUSAL_ATTRIBUTE = "_sign_in_refusal"


def sign_in_buckets(email: str, request) -> list[throttle.Bucket]:
    """The buckets a sign-in as ``email`` from ``request``'s client counts in,
    the client's first (its refusal is the wider one). An unacceptable address
    has no account bucket: it could only give a guesser counters of its own."""
    folded = fold_email(email)
    where = throttle_address(client_ip(request))
    buckets = [throttle.Bucket(CLIENT_LIMIT, (where,), settings.LOGIN_IP_FAILURE_LIMIT)]
    if is_acceptable_address(folded):
        buckets.append(
            throttle.Bucket(
                ACCOUNT_LIMIT, (folded, where), settings.LOGIN_FAILURE_LIMIT
            )
        )
    return buckets


def sign_in_throttled(request, email: str) -> str | None:
    """ACCOUNT_LIMIT or CLIENT_LIMIT while that limit refuses a sign-in as
    ``email`` from this client, else None. Counts nothing: forms ask first, to
    give the clear message without evaluating the password."""
    over = throttle.exceeded(*sign_in_buckets(email, request))
    return over.name if over is not None else None


def sign_in_refusal(request) -> str | None:
    """Why the backend refused the last authenticate() of this request without
    checking the password: ACCOUNT_LIMIT, CLIENT_LIMIT, INVALID_ADDRESS or None."""
    return getattr(request, _REFUSAL_ATTRIBUTE, None)


def _set_refusal(request, refusal: str | None) -> None:
    if request is not None:
        setattr(request, _REFUSAL_ATTRIBUTE, refusal)


def user_by_email(email: str):
    """The one user whose address folds to ``email``'s, or None (none, or more
    than one). ``Lower`` rather than ``email__iexact``: on PostgreSQL iexact is
    ``UPPER()``, which makes a dotless ``ı`` an ``I``."""
    folded = fold_email(email)
    if not is_acceptable_address(folded):
        return None
    User = get_user_model()
    users = [
        user
        for user in User._default_manager.alias(email_folded=Lower("email")).filter(
            email_folded=folded
        )[:2]
        # The database's lower() only narrows the search: PostgreSQL lowers a
        # stored "İ" to "i", so the match is confirmed with Python's folding.
        if fold_email(user.email) == folded
    ]
    return users[0] if len(users) == 1 else None


class EmailBackend(ModelBackend):
    """Email + password, throttled (see the module's docstring)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = kwargs.get("email") or username or ""
        if not email.strip() or password is None:
            return None
        _set_refusal(request, None)
        folded = fold_email(email)
        buckets = sign_in_buckets(folded, request)
        over = throttle.attempt(*buckets)
        if over is not None:
            # Only concurrent tries get here: forms ask sign_in_throttled first.
            _set_refusal(request, over.name)
            security_event(
                "sign_in_throttled", request=request, email=folded, limit=over.name
            )
            # PermissionDenied makes authenticate() stop trying other backends.
            raise PermissionDenied
        if not is_acceptable_address(folded):
            _set_refusal(request, INVALID_ADDRESS)
            security_event(
                "sign_in_failed", request=request, email=folded, reason=INVALID_ADDRESS
            )
            raise PermissionDenied
        user = user_by_email(folded)
        if user is None:
            # Run the hasher anyway so unknown addresses take as long as known ones.
            get_user_model()().set_password(password)
            security_event(
                "sign_in_failed", request=request, email=folded, reason="unknown"
            )
            return None
        if not user.check_password(password):
            security_event(
                "sign_in_failed",
                request=request,
                email=folded,
                reason="wrong_password",
                user_id=user.pk,
            )
            return None
        if not self.user_can_authenticate(user):
            security_event(
                "sign_in_failed",
                request=request,
                email=folded,
                reason="inactive",
                user_id=user.pk,
            )
            return None
        client_bucket, account_bucket = buckets
        throttle.clear(account_bucket)
        throttle.forgive(client_bucket)
        return user
