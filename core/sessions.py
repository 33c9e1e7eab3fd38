"""Session limits and the list of a person's sessions (R30, issue 14 policy).

A signed-in session ends after ``SESSION_IDLE_SECONDS`` without a request and
``SESSION_COOKIE_AGE`` after sign-in, whatever the activity. Both times live in
the session itself (read with the session the request loads anyway), so the
middleware costs no query on most requests: it writes only when "last seen" is a
minute old, and does nothing at all for a request without a session.

Each session is described by a ``core.models.UserSession`` row (browser, client
address, sign-in, last seen) for My account; the row goes when the session ends.
Core imports no app: partners call ``sessions_end_for_user`` when a person is
removed or changes their password.
"""

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, user_logged_in, user_logged_out
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.db.models import Q
from django.dispatch import receiver
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _

from core.client_ip import client_ip
from core.models import UserSession
from core.security_log import security_event

# Keys in the session's data: epoch seconds of the sign-in and of the last request.
SIGNED_IN_AT = "_portal_signed_in_at"
SEEN_AT = "_portal_seen_at"
# "Last seen" is refreshed at most this often (one write a minute, not per request).
SEEN_EVERY_SECONDS = 60


def _now_seconds() -> int:
    return int(timezone.now().timestamp())


def session_store(session_key: str | None = None):
    """A session of the configured engine (database, cache…), by its key."""
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


# --- Writes ------------------------------------------------------------------------


def session_record_start(*, request, user) -> UserSession | None:
    """Mark ``request``'s session as signed in now and describe it (R30).

    Called at sign-in, and for a signed-in session that has no marks yet (one made
    before this code ran). Also drops the person's rows whose sessions ran out
    without a request ending them, so the list never grows.
    """
    session = request.session
    if session.session_key is None:
        session.save()
    now = timezone.now()
    session[SIGNED_IN_AT] = session[SEEN_AT] = int(now.timestamp())
    _forget_stale(user=user, now=now)
    record, _created = UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "client_ip": client_ip(request)[:45],
            "created_at": now,
            "last_seen_at": now,
        },
    )
    return record


def _forget_stale(*, user, now) -> None:
    idle, oldest = _limits(now)
    UserSession.objects.filter(user=user).filter(
        Q(last_seen_at__lt=idle) | Q(created_at__lt=oldest)
    ).delete()


def _limits(now):
    """The oldest "last seen" and the oldest sign-in a live session may have."""
    # A minute's slack: "last seen" is only written once a minute.
    idle = now - timedelta(seconds=settings.SESSION_IDLE_SECONDS + SEEN_EVERY_SECONDS)
    oldest = now - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return idle, oldest


def session_end(*, session_key: str) -> None:
    """End one session (any engine) and drop its row."""
    session_store().delete(session_key)
    UserSession.objects.filter(session_key=session_key).delete()


def sessions_end_for_user(*, user, keep: str | None = None) -> int:
    """End every session of ``user`` except ``keep`` (a session key); how many.

    Their next request finds no session: the sign-in page. (Django also refuses a
    session whose password hash changed, and one of an inactive user; this makes
    it immediate and clears My account's list.)
    """
    keys = list(
        UserSession.objects.filter(user=user)
        .exclude(session_key=keep or "")
        .values_list("session_key", flat=True)
    )
    store = session_store()
    for key in keys:
        store.delete(key)
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def session_renamed(*, old_key: str | None, new_key: str | None) -> None:
    """The session kept its person under a new key (update_session_auth_hash)."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


@receiver(user_logged_in, dispatch_uid="core.sessions.signed_in")
def _signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session_record_start(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="core.sessions.signed_out")
def _signed_out(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()


# --- The middleware ----------------------------------------------------------------


class SessionActivityMiddleware:
    """Ends sessions past their limits; keeps "last seen" (R30).

    After AuthenticationMiddleware. Reads only the session's own data: no query
    beyond the session load the request makes anyway, and a write only once a
    minute per session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        # No session cookie: an anonymous visitor, nothing to do (no query).
        if session is None or session.session_key is None:
            return self.get_response(request)
        if SESSION_KEY not in session:
            return self.get_response(request)
        now = _now_seconds()
        signed_in_at = session.get(SIGNED_IN_AT)
        seen_at = session.get(SEEN_AT)
        if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
            if request.user.is_authenticated:
                session_record_start(request=request, user=request.user)
            return self.get_response(request)
        if now - seen_at > settings.SESSION_IDLE_SECONDS:
            return self._ended(request, reason="idle")
        if now - signed_in_at > settings.SESSION_COOKIE_AGE:
            return self._ended(request, reason="max_age")
        if now - seen_at >= SEEN_EVERY_SECONDS:
            session[SEEN_AT] = now
            seen = timezone.now()
            updated = UserSession.objects.filter(
                session_key=session.session_key
            ).update(last_seen_at=seen)
            if not updated and request.user.is_authenticated:
                # The key changed under us (a library cycled it): describe it again.
                session_record_start(request=request, user=request.user)
                session[SIGNED_IN_AT] = signed_in_at
        return self.get_response(request)

    def _ended(self, request, *, reason: str):
        """Flush the session and send the person to sign in, saying why."""
        key = request.session.session_key
        security_event("session_ended", request=request, reason=reason)
        request.session.flush()
        UserSession.objects.filter(session_key=key).delete()
        request.user = AnonymousUser()
        if reason == "idle":
            text = _(
                "You were signed out after %(minutes)s minutes without activity. "
                "Sign in again."
            ) % {"minutes": max(1, round(settings.SESSION_IDLE_SECONDS / 60))}
        else:
            text = _(
                "You were signed out: a session lasts at most %(hours)s hours. "
                "Sign in again."
            ) % {"hours": max(1, round(settings.SESSION_COOKIE_AGE / 3600))}
        login_url = resolve_url(settings.LOGIN_URL)
        if request.method == "GET" and request.path != login_url:
            response = redirect_to_login(request.get_full_path())
        else:
            response = redirect_to_login("")
            response["Location"] = login_url
        # MessageMiddleware runs after this one: store the message ourselves.
        storage = default_storage(request)
        storage.add(messages.INFO, text)
        storage.update(response)
        return response


# --- Reads ---------------------------------------------------------------------------


def sessions_of(*, user, now=None) -> list[UserSession]:
    """The person's live sessions, most recently seen first (one query)."""
    idle, oldest = _limits(now or timezone.now())
    return list(
        UserSession.objects.filter(
            user=user, last_seen_at__gte=idle, created_at__gte=oldest
        ).order_by("-last_seen_at", "-id")
    )


_BROWSERS = (
    # Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def describe_user_agent(user_agent: str) -> str:
    """A User-Agent in plain words: "Chrome on Linux", "Safari on iOS"."""
    text = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in text), "")
    system = next((name for mark, name in _SYSTEMS if mark in text), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser or system:
        return browser or system
    return _("Unknown browser")
