import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import OutgoingEmail
from customers.models import Customer, ResellerRelationship
from partners.models import Partner

# The draft body is stored with this marker where the link goes: the link itself is
# a secret and never lands in the database (R7).
LINK_PLACEHOLDER = "{{invitation_link}}"


def hide_link(text: str) -> str:
    """A draft as staff see it: the link's placeholder as "[link hidden]"."""
    return text.replace(LINK_PLACEHOLDER, gettext("[link hidden]"))


def new_link_nonce() -> str:
    return secrets.token_hex(16)


class InvitationQuerySet(models.QuerySet):
    def with_effective_status(self, status: str, *, now=None):
        """Invitations whose status, as people see it, is ``status``.

        The one rule, used by the list page, the admin filter and the model: a
        pending link past its date is expired (nothing needs to rewrite the row).
        """
        now = now or timezone.now()
        Status = Invitation.Status
        if status == Status.PENDING:
            return self.filter(status=Status.PENDING, expires_at__gt=now)
        if status == Status.EXPIRED:
            return self.filter(
                models.Q(status=Status.EXPIRED)
                | models.Q(status=Status.PENDING, expires_at__lte=now)
            )
        return self.filter(status=status)


class Invitation(models.Model):
    """A request sent as a personalised link: a reseller relationship (R2), or
    the approval of an admin relationship (R31, ``gdap``), which reuses the
    draft, the link, the sending and the revoke/new link of this model."""

    class Kind(models.TextChoices):
        RESELLER = "reseller", _("Reseller relationship")
        ADMIN_RELATIONSHIP = "admin_relationship", _("Admin relationship")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    class Language(models.TextChoices):
        EN = "en", _("English")
        FR = "fr", _("French")
        DE = "de", _("German")

    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("partner"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    kind = models.CharField(
        _("kind"), max_length=24, choices=Kind.choices, default=Kind.RESELLER
    )
    include_dap = models.BooleanField(_("admin privileges requested"), default=True)
    recipient_email = models.EmailField(_("customer email address"), blank=True)
    email_language = models.CharField(
        _("email language"), max_length=8, choices=Language.choices, default="en"
    )
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("email text"))
    sent_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("expires"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    # Rotated by "Create a new link": the HMAC covers it, so old links stop working.
    link_nonce = models.CharField(max_length=64, default=new_link_nonce, editable=False)
    first_opened_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted or declined by"),
    )
    responded_at = models.DateTimeField(
        _("accepted or declined"), null=True, blank=True
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("customer"),
    )
    relationship = models.ForeignKey(
        ResellerRelationship,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("relationship"),
    )

    # R22: the latest email sent from the portal (its status is shown).
    last_email = models.ForeignKey(
        OutgoingEmail,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("latest email"),
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["pending", "accepted", "declined", "revoked", "expired"]
                ),
                name="invitation_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("sent_at")),
                name="invitation_expires_after_sent",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["reseller", "admin_relationship"]),
                name="invitation_kind_valid",
            ),
            models.CheckConstraint(
                # An approved admin relationship binds a customer, not a
                # reseller relationship (R31).
                condition=~models.Q(status="accepted")
                | models.Q(relationship__isnull=False, customer__isnull=False)
                | models.Q(kind="admin_relationship", customer__isnull=False),
                name="invitation_accepted_has_relationship",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "-sent_at"], name="invitation_partner_idx"),
            models.Index(fields=["status", "expires_at"], name="invitation_status_idx"),
            # The Overview's chart (R42): each of its series is a range of one
            # date of the partner's requests.
            models.Index(
                fields=["partner", "first_opened_at"], name="invitation_opened_idx"
            ),
            models.Index(
                fields=["partner", "responded_at"], name="invitation_responded_idx"
            ),
            models.Index(
                fields=["partner", "status", "expires_at"],
                name="invitation_expired_idx",
            ),
        ]

    def __str__(self):
        return _("Invitation #%(id)s from %(partner)s") % {
            "id": self.pk,
            "partner": self.partner,
        }

    def effective_status(self, now) -> str:
        """The status a person should see, by the rule of
        ``InvitationQuerySet.with_effective_status`` for one row in hand."""
        if self.status == self.Status.PENDING and now >= self.expires_at:
            return self.Status.EXPIRED
        return self.status

    def body_with_link(self, link: str) -> str:
        return self.body.replace(LINK_PLACEHOLDER, link)

    def subject_with_link(self, link: str) -> str:
        # A partner may paste the link into the subject too; it is stored as the
        # placeholder there as well (R7).
        return self.subject.replace(LINK_PLACEHOLDER, link)


class InvitationReminder(models.Model):
    """One reminder (R23) of one request for one expiry date: given once.

    The unique constraint makes the reminder task idempotent; an extended or
    renewed request has a new expiry, so its reminders are new rows.
    """

    invitation = models.ForeignKey(
        Invitation,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("invitation"),
    )
    days_before = models.PositiveSmallIntegerField(_("days before expiry"))
    expires_at = models.DateTimeField(_("expires"))
    email = models.ForeignKey(
        OutgoingEmail,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("email"),
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "days_before", "expires_at"],
                name="invitation_reminder_once",
            )
        ]

    def __str__(self):
        return f"{self.invitation_id}: {self.days_before}"


class BulkRequest(models.Model):
    """One uploaded file of Request in bulk (R25): the requests it made.

    Made whole or not at all (invitations.bulk.bulk_request_create); its
    progress is read from each request's latest email, so a Send again on one
    of them counts too.
    """

    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="bulk_requests",
        verbose_name=_("partner"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # What a row that leaves include_dap empty gets.
    include_dap = models.BooleanField(_("admin privileges requested"), default=True)
    total = models.PositiveIntegerField(_("requests"))
    invitations = models.ManyToManyField(
        Invitation, related_name="bulk_requests", verbose_name=_("invitations")
    )

    class Meta:
        verbose_name = _("bulk request")
        verbose_name_plural = _("bulk requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__gte=1, total__lte=1000),
                name="bulk_request_total_range",
            )
        ]

    def __str__(self):
        return f"{self.pk}: {self.total}"
