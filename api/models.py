from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """R39: a POST sent with ``Idempotency-Key`` runs at most once per token.

    The first call stores the request's fingerprint and, once it has run, the
    response; the same key again returns that response; the same key with a
    different body is a 422.
    """

    token = models.ForeignKey(
        "partners.ApiToken", on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotency_unique")
        ]

    def __str__(self):
        return self.key


class WebhookEndpoint(models.Model):
    """R40: a partner's HTTPS address that receives signed event notices.

    The signing secret is shown once at creation; it is stored encrypted (the
    worker needs it to sign) with a key derived from ``SECRET_KEY``.
    """

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("partner"),
    )
    url = models.CharField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(
        _("consecutive failures"), default=0
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # A delivery run's lease (api.webhook_tasks): one worker per endpoint.
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint, with its attempts (R40)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event_id = models.UUIDField(_("event id"))
    event_name = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("payload"))
    occurred_at = models.DateTimeField(_("time"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(
        _("status code"), null=True, blank=True
    )
    last_duration_ms = models.PositiveIntegerField(
        _("duration (ms)"), null=True, blank=True
    )
    last_error = models.TextField(_("error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_delivery_event_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "status", "occurred_at", "id"],
                name="webhook_delivery_queue",
            )
        ]

    def __str__(self):
        return f"{self.event_name} ({self.status})"


class WebhookChange(models.Model):
    """One change to a partner's webhook endpoints (R40), for the activity log
    (R41). Written in the same transaction as the change; never edited. The
    endpoint is named by its id and address (``details``), so the row still reads
    right after the endpoint is deleted."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Webhook endpoint added")
        CHANGED = "changed", _("Webhook endpoint changed")
        DELETED = "deleted", _("Webhook endpoint deleted")
        DISABLED = "disabled", _("Webhook endpoint disabled")
        ENABLED = "enabled", _("Webhook endpoint enabled")

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("partner"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    details = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("webhook change")
        verbose_name_plural = _("webhook changes")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["partner", "-at"], name="webhook_change_recent")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d})"
