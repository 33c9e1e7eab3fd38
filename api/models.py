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
