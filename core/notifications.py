"""The kinds of notification, registered by the apps that send them (R43).

core knows no kind: each app declares its own with :func:`register_kind` in its
AppConfig.ready() (see invitations.apps, customers.apps). Texts are lazy
translations with ``%(name)s`` placeholders filled from the notification's
``params``, rendered in the language active when read (the reader's page, or the
recipient's language for the email).
"""

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass


@dataclass(frozen=True)
class NoticeKind:
    kind: str
    label: object
    message: object
    email_subject: object = None
    email_body: object = None
    display_params: Callable[[dict], dict] | None = None


# kind -> NoticeKind, filled by the apps' ready().
KINDS: dict[str, NoticeKind] = {}


def register_kind(
    kind: str,
    *,
    label,
    message,
    email_subject=None,
    email_body=None,
    display_params: Callable[[dict], dict] | None = None,
) -> NoticeKind:
    """Declare a kind of notification: the one way an app adds one (R43).

    Call it from the app's ``AppConfig.ready()``; then create notices of the kind
    with ``core.services.notification_create`` (or ``notifications_send``, which
    also emails them). Nothing else is needed: the Notifications page, the bell,
    the emails and the admin's kind filter read this registry.

    - ``kind``: a stable name stored on each notice (at most 64 characters);
      registering it again replaces the entry.
    - ``label``: a short name of the kind (the admin's filter, the page's badge).
    - ``message``: the one-line text on the Notifications page.
    - ``email_subject`` / ``email_body``: the email's texts; without them the
      email uses ``message`` for both.
    - ``display_params``: optional ``params -> params`` function called when a
      text is rendered, in the reader's language: it turns stored codes (a status,
      say) into translated words. Store codes in ``params``, never translated
      text, so each reader gets their own language.

    Texts are ``gettext_lazy`` strings with ``%(name)s`` placeholders taken from
    the notice's ``params`` (after ``display_params``); a placeholder missing from
    them shows the text unfilled rather than failing the page.
    """
    KINDS[kind] = NoticeKind(
        kind, label, message, email_subject, email_body, display_params
    )
    return KINDS[kind]


def notice_kind(notification) -> NoticeKind:
    """The registered kind of ``notification``; an unknown kind (its app gone)
    shows as its name rather than failing a page."""
    kind = notification.kind
    return KINDS.get(kind) or NoticeKind(kind, label=kind, message=kind)


def _params(entry: NoticeKind, notification) -> dict:
    params = dict(notification.params or {})
    if entry.display_params is not None:
        # Old or odd params: the stored ones are shown as they are.
        with suppress(KeyError, TypeError, ValueError):
            params = entry.display_params(params)
    return params


def _render(text, params) -> str:
    try:
        return str(text) % params
    except (KeyError, TypeError, ValueError):
        return str(text)


def notice_text(notification) -> str:
    """The one-line text of ``notification``, in the active language."""
    entry = notice_kind(notification)
    return _render(entry.message, _params(entry, notification))


def notice_link(notification) -> str:
    """The notice's link if it is a path in the portal, else "": a link is shown
    as ``href``, so nothing that leaves the site (``//host``, ``javascript:``)."""
    link = notification.link or ""
    if link.startswith("/") and not link.startswith(("//", "/\\")):
        return link
    return ""


def notice_email(notification) -> tuple[str, str]:
    """(subject, text) of ``notification``'s email, in the active language; a kind
    registered without email texts uses its message for both."""
    entry = notice_kind(notification)
    params = _params(entry, notification)
    subject = entry.email_subject if entry.email_subject is not None else entry.message
    body = entry.email_body if entry.email_body is not None else entry.message
    return _render(subject, params), _render(body, params)
