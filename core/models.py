from django.conf import settings
from django.db import models
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
