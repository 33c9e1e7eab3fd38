"""Outgoing email through the job queue (R21/R22): queue, send, retry, limit.

``email_queue`` writes an OutgoingEmail and its task in the caller's
transaction (the database is the queue: both commit or neither does). The
worker's ``core.tasks.send_email`` sends it once; a passing failure (SMTP 4xx,
no connection, a timeout) is retried with exponential backoff, a permanent one
(SMTP 5xx) fails at once with its reason. Nothing here imports an app above
core: an app that needs a secret filled in at sending time (an invitation's
link, R7) registers a renderer in its AppConfig.ready().
"""

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from core.formatting import datetime_formatter
from core.models import Notification, OutgoingEmail

logger = logging.getLogger(__name__)
Status = OutgoingEmail.Status


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


# renderer name -> function(email) -> Rendered, or None when the email must not
# go out any more (its request was revoked meanwhile, say), with a reason.
_RENDERERS: dict[str, Callable[[OutgoingEmail], Rendered | str]] = {}
# renderer name -> function(stored text) -> the text as staff may see it.
_REDACTORS: dict[str, Callable[[str], str]] = {}


def register_renderer(
    name: str,
    render: Callable[[OutgoingEmail], Rendered | str],
    *,
    redact: Callable[[str], str] | None = None,
):
    """``render(email)`` returns what to send, or a string: why not to send;
    ``redact(text)`` words the stored text's placeholders for the admin."""
    _RENDERERS[name] = render
    if redact is not None:
        _REDACTORS[name] = redact


def shown_to_staff(email: OutgoingEmail, text: str) -> str:
    redact = _REDACTORS.get(email.renderer)
    return redact(text) if redact else text


class PermanentEmailFailure(Exception):
    """The server refused the message for good (5xx): no retry."""


class EmailGaveUp(Exception):
    """Every attempt failed for a passing reason; staff may Retry in the admin."""


# --- Queueing -------------------------------------------------------------------


def email_queue(
    *,
    to: str,
    subject: str,
    body: str,
    reply_to: str = "",
    language: str = "",
    renderer: str = "",
    object_id: int | None = None,
    notification: Notification | None = None,
    sender_key: str = "",
    scheduled_at: datetime | None = None,
) -> OutgoingEmail:
    """An outbox row and its task, in the caller's transaction (R21)."""
    email = OutgoingEmail.objects.create(
        to=to,
        reply_to=reply_to,
        # One line whatever the names hold: a header cannot carry a line break.
        subject=" ".join(subject.split())[:300],
        body=body,
        language=language,
        renderer=renderer,
        object_id=object_id,
        notification=notification,
        sender_key=sender_key,
        scheduled_at=scheduled_at or timezone.now(),
    )
    _enqueue(email, attempt=1, run_after=scheduled_at)
    return email


def _enqueue(email: OutgoingEmail, *, attempt: int, run_after=None) -> None:
    from core.tasks import send_email

    task = send_email.using(run_after=run_after) if run_after else send_email
    task.enqueue(email_id=email.pk, attempt=attempt)


@transaction.atomic
def email_retry(*, email_id: int) -> bool:
    """Staff's Retry (admin): a failed email is queued again, attempts from one."""
    updated = OutgoingEmail.objects.filter(pk=email_id, status=Status.FAILED).update(
        status=Status.QUEUED, attempts=0, last_error="", scheduled_at=timezone.now()
    )
    if updated:
        _enqueue(OutgoingEmail(pk=email_id), attempt=1)
    return bool(updated)


# --- The hourly limit (R22) -------------------------------------------------------


def sending_allowance(*, sender_key: str, now=None) -> tuple[int, datetime | None]:
    """How many more emails ``sender_key`` may send now, and, when none, the
    time from which one more can go (the oldest of the hour's sends plus an hour).

    Emails paced into later hours (a bulk request) count where they are
    scheduled: they use the allowance of their own hour.
    """
    now = now or timezone.now()
    limit = settings.SEND_LIMIT_PER_HOUR
    times = list(
        OutgoingEmail.objects.filter(
            sender_key=sender_key, scheduled_at__gt=now - timedelta(hours=1)
        )
        .order_by("scheduled_at")
        .values_list("scheduled_at", flat=True)[: limit + 1000]
    )
    if len(times) < limit:
        return limit - len(times), None
    # The (n - limit + 1)th oldest leaves the window first enough to make room.
    return 0, times[len(times) - limit] + timedelta(hours=1)


def ensure_can_send(*, sender_key: str, count: int = 1, now=None) -> None:
    """Refuse, saying when it will be possible, past SEND_LIMIT_PER_HOUR (R22)."""
    left, again_at = sending_allowance(sender_key=sender_key, now=now)
    if left >= count:
        return
    raise DomainError(
        "send_limit",
        _(
            "You have reached the limit of %(limit)s emails an hour. You can send "
            "again at %(time)s."
        )
        % {
            "limit": settings.SEND_LIMIT_PER_HOUR,
            "time": datetime_formatter()(again_at),
        },
    )


def paced_schedule(*, sender_key: str, count: int, now=None) -> list[datetime]:
    """When each of ``count`` emails may go under the hourly limit: what is left
    of this hour's allowance now, then a full allowance each following hour."""
    now = now or timezone.now()
    left, _again = sending_allowance(sender_key=sender_key, now=now)
    limit = settings.SEND_LIMIT_PER_HOUR
    slots = []
    for index in range(count):
        if index < left:
            slots.append(now)
        else:
            hours = (index - left) // limit + 1
            slots.append(now + timedelta(hours=hours, seconds=1))
    return slots


# --- Sending (the task's body) ---------------------------------------------------


def retry_delay(attempt: int) -> timedelta:
    """After failed attempt ``attempt`` (1-based): base × 4^(attempt-1), capped."""
    seconds = settings.TASK_RETRY_BASE_SECONDS * 4 ** (attempt - 1)
    return timedelta(seconds=min(seconds, settings.TASK_RETRY_MAX_SECONDS))


def _smtp_code(exc: BaseException) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return min(codes) if codes else None
    return getattr(exc, "smtp_code", None)


def is_permanent(exc: BaseException) -> bool:
    """SMTP 5xx: the server will not take this message, retrying cannot help."""
    code = _smtp_code(exc)
    return code is not None and 500 <= code < 600


def _describe(exc: BaseException) -> str:
    code = _smtp_code(exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        return f"SMTP {code}: {message}"[:500]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{code} {message.decode('utf-8', 'replace')}"
            for code, message in exc.recipients.values()
        ]
        return f"SMTP {'; '.join(parts)}"[:500]
    return f"{exc.__class__.__name__}: {exc}"[:500]


def _message(email: OutgoingEmail, rendered: Rendered) -> EmailMessage:
    return EmailMessage(
        subject=rendered.subject,
        body=rendered.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={"Content-Language": email.language} if email.language else None,
    )


def _record(email: OutgoingEmail, **fields) -> None:
    OutgoingEmail.objects.filter(pk=email.pk).update(**fields)
    if email.notification_id:
        if fields.get("status") == Status.SENT:
            Notification.objects.filter(pk=email.notification_id).update(
                email_sent_at=fields["sent_at"], email_error=""
            )
        elif "last_error" in fields:
            Notification.objects.filter(pk=email.notification_id).update(
                email_error=fields["last_error"][:300]
            )


def email_deliver(*, email_id: int, attempt: int) -> str:
    """Send one queued email once; what the task records as its result.

    Idempotent: an email already sent (a task run again after its worker was
    killed between the send and this record, or a duplicate task) is skipped.
    """
    email = OutgoingEmail.objects.filter(pk=email_id).first()
    if email is None or email.status != Status.QUEUED:
        return "skipped"
    if email.renderer:
        rendered = _RENDERERS[email.renderer](email)
        if isinstance(rendered, str):
            _record(email, status=Status.FAILED, last_error=rendered[:500])
            return "cancelled"
    else:
        rendered = Rendered(email.subject, email.body)
    try:
        _message(email, rendered).send()
    except Exception as exc:  # any backend failure: classify, record, retry or not
        reason = _describe(exc)
        logger.warning(
            "email not sent",
            extra={"event": "email_failed", "email_id": email.pk, "attempt": attempt},
        )
        if is_permanent(exc):
            _record(email, status=Status.FAILED, attempts=attempt, last_error=reason)
            raise PermanentEmailFailure(reason) from exc
        if attempt >= settings.TASK_MAX_ATTEMPTS:
            reason = _("Gave up after %(count)s attempts: %(reason)s") % {
                "count": attempt,
                "reason": reason,
            }
            _record(email, status=Status.FAILED, attempts=attempt, last_error=reason)
            raise EmailGaveUp(reason) from exc
        with transaction.atomic():
            _record(email, attempts=attempt, last_error=reason)
            _enqueue(
                email,
                attempt=attempt + 1,
                run_after=timezone.now() + retry_delay(attempt),
            )
        return "retrying"
    _record(
        email,
        status=Status.SENT,
        attempts=attempt,
        sent_at=timezone.now(),
        last_error="",
    )
    return "sent"
