from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-portal notice for a user, unread until they mark it read (R43).

    Generic: ``kind`` names an entry of the kind registry (core.notifications),
    which an app fills in its AppConfig.ready(); ``params`` holds what the kind's
    texts need (``%(customer)s``…). The email that goes with it is tracked here
    too, so a failed delivery is visible to staff and can be retried from the admin.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="portal_notifications",
        verbose_name=_("user"),
    )
    # No fixed choices: the kinds are registered by the apps that send them.
    kind = models.CharField(_("kind"), max_length=64)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # A path in the portal the notice is about (optional).
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("seen"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("email sent"), null=True, blank=True)
    email_error = models.CharField(_("email error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            # The Notifications page: one person's, newest first.
            models.Index(
                fields=["recipient", "-created_at", "-id"], name="notification_recent"
            ),
        ]

    def __str__(self):
        from core.notifications import notice_kind

        return f"{notice_kind(self).label}: {self.pk}"


class OutgoingEmail(models.Model):
    """One email the portal sends, through the queue (R21/R22): its outbox row.

    Written in the same transaction as what caused it, with its task, so nothing
    is sent for a change that did not commit and nothing committed goes unsent.
    An invitation's email keeps the link placeholder (R7): ``renderer`` names the
    function (core.mail.register_renderer) that fills the link in at sending time.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    to = models.EmailField(_("to"))
    reply_to = models.EmailField(_("reply to"), blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("email text"))
    language = models.CharField(_("language"), max_length=8, blank=True)
    # What fills in the secret parts at sending time, and for which object.
    renderer = models.CharField(_("renderer"), max_length=64, blank=True)
    object_id = models.PositiveBigIntegerField(_("object"), null=True, blank=True)
    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("notification"),
    )
    # Who is charged for it under SEND_LIMIT_PER_HOUR ("partner:12"); blank: nobody.
    sender_key = models.CharField(_("sender"), max_length=64, blank=True)
    # Not before this time (a bulk request is paced by the hourly limit).
    scheduled_at = models.DateTimeField(_("scheduled"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sent", "failed"]),
                name="outgoing_email_status_valid",
            ),
        ]
        indexes = [
            # The hourly limit: one sender's emails of the last hour.
            models.Index(
                fields=["sender_key", "scheduled_at"], name="outgoing_email_sender"
            ),
            models.Index(fields=["renderer", "object_id"], name="outgoing_email_obj"),
        ]

    def __str__(self):
        return f"{self.get_status_display()}: {self.to} ({self.pk})"


class WorkerHeartbeat(models.Model):
    """A queue worker that is alive (core/management/commands/db_worker.py).

    Each worker refreshes its row every WORKER_HEARTBEAT_SECONDS; a task still
    marked running by a worker silent for WORKER_LOST_SECONDS is run again.
    """

    worker_id = models.CharField(_("worker"), max_length=64, primary_key=True)
    host = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process"), null=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    seen_at = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("queue worker")
        verbose_name_plural = _("queue workers")

    def __str__(self):
        return f"{self.worker_id} ({self.host}:{self.pid})"


class UserSession(models.Model):
    """One signed-in session of a person, for My account's list (R30).

    Written at sign-in by core.sessions, its ``last_seen_at`` refreshed at most once
    a minute, and removed when the session ends (sign-out, time limits, "Sign out
    other sessions", password change, user removed). The session itself stays in
    the session store; this row only describes it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="portal_sessions",
        verbose_name=_("user"),
    )
    session_key = models.CharField(_("session"), max_length=40, unique=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    client_ip = models.CharField(_("address"), max_length=45, blank=True)
    created_at = models.DateTimeField(_("signed in"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-last_seen_at", "-id"]
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="session_user")]

    def __str__(self):
        return f"{self.user_id} ({self.created_at:%Y-%m-%d %H:%M})"


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk UPDATE and DELETE of an append-only model's rows."""

    def update(self, **kwargs):
        raise ValidationError(self.model.changed_message)

    def delete(self):
        raise ValidationError(self.model.deleted_message)


class AppendOnlyModel(models.Model):
    """An event table that is written once and never edited or deleted.

    The model and its queryset refuse it here; each concrete table's migration
    also adds a database trigger refusing UPDATE (and DELETE on PostgreSQL).
    Subclasses name what is refused in ``changed_message``/``deleted_message``.
    """

    changed_message = _("Events cannot be changed.")
    deleted_message = _("Events cannot be deleted.")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(self.changed_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(self.deleted_message)
