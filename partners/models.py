import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Cast
from django.db.models.lookups import Regex
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class Cloud(models.TextChoices):
    PUBLIC = "public", _("Public cloud")
    GERMANY = "germany", _("Microsoft Cloud Germany")
    USGOV = "usgov", _("Microsoft Cloud for US Government")

    @classmethod
    def requires_dap(cls, cloud: str) -> bool:
        """R3: sovereign clouds have no reseller-only relationships."""
        return cloud in (cls.GERMANY, cls.USGOV)

    @classmethod
    def dap_required_message(cls, cloud: str) -> str:
        """R3's refusal, the same from the request form and from the service."""
        return _(
            "Partners in %(cloud)s must include delegated administration "
            "privileges. Nothing was created."
        ) % {"cloud": cls(cloud).label}


class Role(models.TextChoices):
    GLOBAL_ADMIN = "global_admin", _("Global admin")
    ADMIN_AGENT = "admin_agent", _("Admin agent")
    SALES_AGENT = "sales_agent", _("Sales agent")
    HELPDESK_AGENT = "helpdesk_agent", _("Helpdesk agent")
    BILLING_ADMIN = "billing_admin", _("Billing admin")
    # R26: manages the partner's people and nothing else.
    USER_MANAGEMENT_ADMIN = "user_management_admin", _("User management admin")


class Partner(models.Model):
    name = models.CharField(_("name"), max_length=200)
    country = CountryField(_("country/region"))
    cloud = models.CharField(_("cloud"), max_length=16, choices=Cloud.choices)
    public_id = models.UUIDField(
        _("public id"), default=uuid.uuid4, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # R28: a Global admin may require two-step verification of every partner user,
    # not only of the roles that always need it.
    require_two_step = models.BooleanField(
        _("require two-step verification for everyone"), default=False
    )

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cloud__in=Cloud.values), name="partner_cloud_valid"
            ),
            models.CheckConstraint(
                # Compared as text: CountryField would read the pattern as a code.
                condition=Regex(Cast("country", models.CharField()), r"^[A-Z]{2}$"),
                name="partner_country_iso",
            ),
        ]

    def __str__(self):
        return self.name


class PartnerMembership(models.Model):
    """A partner user: one Django user working for one partner."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="partner_membership",
        verbose_name=_("user"),
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("partner"),
    )
    # The language the person last used in the portal: their emails use it (R19).
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )
    # An IANA zone name; blank means the partner's country's zone (R45).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("partner user")
        verbose_name_plural = _("partner users")

    def __str__(self):
        return f"{self.user.email} ({self.partner})"

    @property
    def role_set(self) -> frozenset[str]:
        # Cached per instance: a request asks this several times.
        if not hasattr(self, "_role_set"):
            self._role_set = frozenset(r.role for r in self.roles.all())
        return self._role_set

    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in Role.values if r in self.role_set]


class MembershipRole(models.Model):
    membership = models.ForeignKey(
        PartnerMembership,
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name=_("partner user"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "role"], name="membership_role_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return str(self.get_role_display())


class PartnerUserEvent(models.Model):
    """One change to a partner's people (R26), for the activity log (R41).

    Written in the same transaction as the change; never edited. ``details`` holds
    what changed (roles before and after, the address) so the row still reads
    right after the person is gone.
    """

    class Kind(models.TextChoices):
        ADDED = "added", _("User added")
        ROLES_CHANGED = "roles_changed", _("Roles changed")
        REMOVED = "removed", _("User removed")
        TWO_STEP_POLICY = (
            "two_step_policy_changed",
            _("Two-step verification requirement changed"),
        )
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")

    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="user_events",
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
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    details = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("user event")
        verbose_name_plural = _("user events")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=[
                        "added",
                        "roles_changed",
                        "removed",
                        "two_step_policy_changed",
                        "token_created",
                        "token_revoked",
                    ]
                ),
                name="partner_user_event_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["partner", "-at"], name="user_event_recent")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d})"


class ApiToken(models.Model):
    """R38: a partner user's key to the API, acting with that user's roles.

    Only a SHA-256 of the key is kept (the key is 256 random bits, so a fast hash
    is enough: nothing to brute-force); ``prefix`` (the key's first characters)
    lets a person and staff tell their tokens apart without the key.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("partner"),
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=["read", "read_write"]),
                name="api_token_scope_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_created",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="api_token_user")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE
