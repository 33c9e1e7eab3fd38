from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Cast, Lower
from django.db.models.lookups import Regex
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core.models import AppendOnlyModel
from partners.models import Cloud, Partner


class Customer(models.Model):
    """A customer organisation (its directory tenant)."""

    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(
        _("primary domain"),
        max_length=253,
        help_text=_("Stored in lower case, e.g. adatum.example."),
    )
    country = CountryField(_("country/region"))
    cloud = models.CharField(_("cloud"), max_length=16, choices=Cloud.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # 8.2: the relationship request whose link the organisation signed up through
    # (an id, not a key: customers sits below invitations). At most
    # invitations.sign_up.ORGANISATIONS_PER_LINK organisations share one.
    signed_up_through = models.PositiveBigIntegerField(
        _("signed up through request"),
        null=True,
        blank=True,
        editable=False,
        db_index=True,
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        constraints = [
            # Unique whatever the letter case, and stored lower case.
            models.UniqueConstraint(Lower("domain"), name="customer_domain_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(domain=Lower("domain")),
                name="customer_domain_lowercase",
            ),
            models.CheckConstraint(
                condition=models.Q(cloud__in=Cloud.values), name="customer_cloud_valid"
            ),
            models.CheckConstraint(
                # Compared as text: CountryField would read the pattern as a code.
                condition=Regex(Cast("country", models.CharField()), r"^[A-Z]{2}$"),
                name="customer_country_iso",
            ),
        ]
        indexes = [models.Index(fields=["name"], name="customer_name_idx")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.domain = (self.domain or "").strip().lower()
        self.country = str(self.country or "").strip().upper()
        super().save(*args, **kwargs)


class CustomerMembership(models.Model):
    """A person of the customer organisation who signs in to the portal."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="customer_membership",
        verbose_name=_("user"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="members",
        verbose_name=_("customer"),
    )
    is_admin = models.BooleanField(
        _("administrator"),
        default=False,
        help_text=_("Administrators accept requests and manage partners."),
    )
    # An IANA zone name; blank means the organisation's country's zone (R45).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("customer member")
        verbose_name_plural = _("customer members")

    def __str__(self):
        return f"{self.user.email} ({self.customer})"


class DirectoryUser(models.Model):
    """A user of the customer's directory, as shown in a partner's card."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="directory_users"
    )
    display_name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email address"))

    class Meta:
        verbose_name = _("directory user")
        verbose_name_plural = _("directory users")
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "email"], name="directory_user_unique"
            )
        ]

    def __str__(self):
        return self.display_name


class License(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="licenses"
    )
    product = models.CharField(_("product"), max_length=200)
    assigned = models.PositiveIntegerField(_("assigned"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)

    class Meta:
        verbose_name = _("license")
        verbose_name_plural = _("licenses")
        ordering = ["product"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(assigned__lte=models.F("total")),
                name="license_assigned_within_total",
            )
        ]

    def __str__(self):
        return f"{self.product} ({self.assigned}/{self.total})"


class Subscription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="subscriptions"
    )
    offer_name = models.CharField(_("offer"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    provisioned_by = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="provisioned_subscriptions",
        verbose_name=_("provisioned by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["offer_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "suspended", "cancelled"]),
                name="subscription_status_valid",
            )
        ]
        indexes = [
            # The Customers page counts each row's subscriptions this partner
            # provisioned: without the pair, the planner walks every subscription
            # the partner ever provisioned for each of the page's rows.
            models.Index(
                fields=["customer", "provisioned_by"], name="sub_customer_provider_idx"
            )
        ]

    def __str__(self):
        return f"{self.offer_name} × {self.quantity}"


class ResellerRelationship(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="relationships"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="relationships"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    dap_active = models.BooleanField(_("admin privileges active"), default=False)
    since = models.DateTimeField(_("since"))
    # A copy of the customer's name: the Customers page sorts a partner's
    # relationships by it straight from an index (partner, status, name), so a
    # page costs the same whether it is the first or the two hundredth.
    # Database triggers keep it in step (migration 0005_customer_name_copy_trigger).
    customer_name = models.CharField(
        _("customer name"), max_length=200, blank=True, editable=False
    )
    # Set when the customer removes admin privileges (R12), cleared on restore (R13).
    dap_removed_at = models.DateTimeField(
        _("admin privileges removed"), null=True, blank=True
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    end_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("reseller relationship")
        verbose_name_plural = _("reseller relationships")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "customer"], name="relationship_one_per_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "ended"]),
                name="relationship_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status="active", ended_at__isnull=True)
                | models.Q(status="ended", ended_at__isnull=False),
                name="relationship_ended_at_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "status", "since"], name="rel_partner_idx"),
            models.Index(
                fields=["partner", "status", "customer_name", "customer"],
                name="rel_partner_name_idx",
            ),
        ]

    def __str__(self):
        return f"{self.partner} → {self.customer}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class RelationshipEvent(AppendOnlyModel):
    """Append-only timeline per partner and customer. Never edited or deleted.

    The database refuses UPDATE (and DELETE on PostgreSQL) with a trigger; see the
    migration ``0002_event_append_only``.
    """

    class Kind(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Request revoked")
        LINK_RENEWED = "link_renewed", _("New link created")
        EXTENDED = "extended", _("Request extended")
        DAP_GRANTED = "dap_granted", _("Admin privileges granted")
        DAP_REMOVED = "dap_removed", _("Admin privileges removed")
        DAP_RESTORED = "dap_restored", _("Admin privileges restored")
        SUPPORT_CONTACTS_CHANGED = (
            "support_contacts_changed",
            _("Support contacts changed"),
        )
        SERVICE_REQUEST_OPENED = "service_request_opened", _("Service request opened")
        SERVICE_REQUEST_UPDATED = (
            "service_request_updated",
            _("Service request updated"),
        )
        ENDED = "ended", _("Relationship ended")
        REACTIVATED = "reactivated", _("Relationship reactivated")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    relationship = models.ForeignKey(
        ResellerRelationship,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    invitation_id = models.BigIntegerField(_("invitation id"), null=True, blank=True)
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    created_at = models.DateTimeField(_("time"), db_index=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    changed_message = _("Relationship events cannot be changed.")
    deleted_message = _("Relationship events cannot be deleted.")

    class Meta:
        verbose_name = _("relationship event")
        verbose_name_plural = _("relationship events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["partner", "customer"], name="event_pair_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d})"


class SupportContact(models.Model):
    relationship = models.ForeignKey(
        ResellerRelationship, on_delete=models.CASCADE, related_name="support_contacts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("partner user"),
    )
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("support contact")
        verbose_name_plural = _("support contacts")
        ordering = ["-is_primary", "user__first_name", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "user"], name="support_contact_unique"
            ),
            models.UniqueConstraint(
                fields=["relationship"],
                condition=models.Q(is_primary=True),
                name="support_contact_one_primary",
            ),
        ]

    def __str__(self):
        return self.user.get_full_name() or self.user.email


class ServiceRequest(models.Model):
    """A partner's request for help with one customer (R16), worked by support
    engineers in the admin and followed by the partner and the customer (R44).

    Its number (``SR-000123``) is the primary key, zero-padded: one numbering for
    every partner, so the number a partner reads out on the phone finds exactly
    one request in the admin, and it costs no counter row to lock. A per-partner
    sequence would read nicer but needs a locked counter per partner and still
    needs the partner to be named alongside the number.
    """

    NUMBER_PREFIX = "SR-"

    class Severity(models.TextChoices):
        CRITICAL = "critical", _("Critical")
        HIGH = "high", _("High")
        NORMAL = "normal", _("Normal")
        LOW = "low", _("Low")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="service_requests"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="service_requests"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    staff_note = models.TextField(
        _("note for the partner"), blank=True, help_text=_("The partner sees this.")
    )
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["new", "in_progress", "resolved"]),
                name="service_request_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(severity__in=["critical", "high", "normal", "low"]),
                name="service_request_severity_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "customer"], name="sr_pair_idx"),
            models.Index(
                fields=["partner", "updated_at"], name="sr_partner_updated_idx"
            ),
            models.Index(
                fields=["customer", "updated_at"], name="sr_customer_updated_idx"
            ),
            # The Overview's latest open requests (R42).
            models.Index(
                fields=["partner", "created_at"], name="sr_partner_created_idx"
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        """``SR-000123``; an unsaved request has none."""
        return self.format_number(self.pk) if self.pk else ""

    @classmethod
    def format_number(cls, pk: int) -> str:
        return f"{cls.NUMBER_PREFIX}{pk:06d}"

    @classmethod
    def parse_number(cls, text: str) -> int | None:
        """The pk a typed number names: ``SR-000123``, ``sr-123``, ``#123`` or
        ``123``; None when it names none."""
        text = text.strip().upper().removeprefix(cls.NUMBER_PREFIX).lstrip("#")
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            return None
        return int(text) or None


class ServiceRequestNoteQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("Service request notes cannot be changed."))

    def delete(self):
        raise ValidationError(_("Service request notes cannot be deleted."))


class ServiceRequestNote(models.Model):
    """One note in a service request's conversation (R44). Append-only: written by
    ``services.service_request_note_add`` and never edited or deleted.

    ``is_internal`` notes are for support engineers only; the partner and the
    customer see the others.
    """

    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("note"), max_length=5000)
    is_internal = models.BooleanField(
        _("internal"),
        default=False,
        help_text=_("Only support engineers see internal notes."),
    )
    created_at = models.DateTimeField(_("time"), db_index=True)

    objects = ServiceRequestNoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request note")
        verbose_name_plural = _("service request notes")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["service_request", "created_at"], name="sr_note_request_idx"
            ),
        ]

    def __str__(self):
        return f"{self.service_request_id}: {self.body[:40]}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Service request notes cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Service request notes cannot be deleted."))

    @property
    def author_label(self) -> str:
        """Who wrote it, as the partner and the customer see it: a support
        engineer by name and role, never by their staff email address."""
        name = self.author.get_full_name()
        if self.author.is_staff:
            support = gettext("Support")
            return f"{name} ({support})" if name else support
        return name or self.author.email
