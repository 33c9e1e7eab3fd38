"""The kinds of notification, registered by the apps that send them.

core knows no kind: each app registers its own in its AppConfig.ready() (see
invitations.apps). Texts are lazy translations with ``%(name)s`` placeholders
filled from the notification's ``params``, rendered in the language active when
read (the reader's page, or the recipient's language for the email).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class NoticeKind:
    kind: str
    label: object
    message: object
    email_subject: object = None
    email_body: object = None


# kind -> NoticeKind, filled by the apps' ready().
KINDS: dict[str, NoticeKind] = {}


def register_kind(kind: str, *, label, message, email_subject=None, email_body=None):
    """Declare a kind of notification (registering it again replaces it)."""
    KINDS[kind] = NoticeKind(kind, label, message, email_subject, email_body)
    return KINDS[kind]


def notice_kind(notification) -> NoticeKind:
    """The registered kind of ``notification``; an unknown kind (its app gone)
    shows as its name rather than failing a page."""
    kind = notification.kind
    return KINDS.get(kind) or NoticeKind(kind, label=kind, message=kind)


def _render(text, params) -> str:
    try:
        return str(text) % (params or {})
    except (KeyError, TypeError, ValueError):
        return str(text)


def notice_text(notification) -> str:
    """The one-line banner text of ``notification``, in the active language."""
    return _render(notice_kind(notification).message, notification.params)


def notice_email(notification) -> tuple[str, str]:
    """(subject, text) of ``notification``'s email, in the active language; a kind
    registered without email texts uses its banner text for both."""
    entry = notice_kind(notification)
    subject = entry.email_subject if entry.email_subject is not None else entry.message
    body = entry.email_body if entry.email_body is not None else entry.message
    return _render(subject, notification.params), _render(body, notification.params)
