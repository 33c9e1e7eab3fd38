"""Granular, time-bound admin relationships (GDAP, R31–R37).

An admin relationship is requested by a partner and approved by a customer
administrator through a link. The request itself (the email draft, the link,
its sending, revoke and new link, reminders of a pending link) is an
``invitations.Invitation`` of kind ``admin_relationship``: one row per request,
reached as ``AdminRelationship.invitation``.

Statuses as stored: approval pending, active, expired, terminated, declined.
What people see adds "expiring" (30 days or less left) and reads an active row
past its end as expired (``effective_status``): access ends on the second,
whatever the jobs did (R34).
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnlyModel
from customers.models import Customer
from customers.role_catalogue import CHOICES as ROLE_CHOICES
from customers.role_catalogue import CODES as ROLE_CODES
from invitations.models import Invitation
from partners.models import Partner

NAME_MAX = 50
DURATION_MIN, DURATION_MAX, DURATION_DEFAULT = 1, 730, 730
AUTO_EXTEND_DAYS = 180
EXPIRING_DAYS = 30


class AdminRelationshipQuerySet(models.QuerySet):
    def with_effective_status(self, status: str, *, now):
        """Relationships whose status, as people see it, is ``status`` (the one
        rule of the list, the admin filter and ``effective_status``)."""
        S = AdminRelationship.Status
        soon = now + timedelta(days=EXPIRING_DAYS)
        pending_link_gone = models.Q(status=S.APPROVAL_PENDING) & ~models.Q(
            invitation__status=Invitation.Status.PENDING, invitation__expires_at__gt=now
        )
        if status == S.APPROVAL_PENDING:
            return self.filter(
                status=S.APPROVAL_PENDING,
                invitation__status=Invitation.Status.PENDING,
                invitation__expires_at__gt=now,
            )
        if status == S.ACTIVE:
            return self.filter(status=S.ACTIVE, ends_at__gt=soon)
        if status == S.EXPIRING:
            return self.filter(status=S.ACTIVE, ends_at__gt=now, ends_at__lte=soon)
        if status == S.EXPIRED:
            return self.filter(
                models.Q(status=S.EXPIRED)
                | models.Q(status=S.ACTIVE, ends_at__lte=now)
                | (
                    pending_link_gone
                    & ~models.Q(invitation__status=Invitation.Status.REVOKED)
                )
            )
        if status == S.TERMINATED:
            return self.filter(
                models.Q(status=S.TERMINATED)
                | (
                    pending_link_gone
                    & models.Q(invitation__status=Invitation.Status.REVOKED)
                )
            )
        return self.filter(status=status)

    def usable(self, *, now):
        """Active and unexpired at ``now``: what grants access (R34)."""
        return self.filter(status=AdminRelationship.Status.ACTIVE, ends_at__gt=now)


class AdminRelationship(models.Model):
    class Status(models.TextChoices):
        APPROVAL_PENDING = "approval_pending", _("Approval pending")
        ACTIVE = "active", _("Active")
        # Shown only: an active relationship with 30 days or less left.
        EXPIRING = "expiring", _("Expiring")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")
        DECLINED = "declined", _("Declined")

    STORED_STATUSES = [
        "approval_pending",
        "active",
        "expired",
        "terminated",
        "declined",
    ]

    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="admin_relationships",
        verbose_name=_("partner"),
    )
    # Named by the partner, or bound to the organisation that approves (R31).
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="admin_relationships",
        verbose_name=_("customer"),
    )
    invitation = models.OneToOneField(
        Invitation,
        on_delete=models.PROTECT,
        related_name="admin_relationship",
        verbose_name=_("request"),
    )
    name = models.CharField(_("name"), max_length=NAME_MAX)
    duration_days = models.PositiveSmallIntegerField(_("duration (days)"))
    auto_extend = models.BooleanField(_("auto-extend"), default=False)
    # Kept by the services with the roles: the database can then refuse
    # auto-extend with Global Administrator (R31) on the row itself.
    has_global_administrator = models.BooleanField(
        _("includes Global Administrator"), default=False, editable=False
    )
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=Status.choices,
        default=Status.APPROVAL_PENDING,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )

    objects = AdminRelationshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("admin relationship")
        verbose_name_plural = _("admin relationships")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "partner", name="admin_relationship_name_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(name__regex=r"\S"),
                name="admin_relationship_name_not_blank",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    duration_days__gte=DURATION_MIN, duration_days__lte=DURATION_MAX
                ),
                name="admin_relationship_duration_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(auto_extend=True, has_global_administrator=True),
                name="admin_relationship_no_auto_extend_with_ga",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "approval_pending",
                        "active",
                        "expired",
                        "terminated",
                        "declined",
                    ]
                ),
                name="admin_relationship_status_valid",
            ),
            models.CheckConstraint(
                # Pending: nothing approved yet. Active or expired: approved for
                # a customer, with an end after the approval.
                condition=(
                    models.Q(
                        status="approval_pending",
                        approved_at__isnull=True,
                        ends_at__isnull=True,
                    )
                    | models.Q(
                        status__in=["active", "expired"],
                        customer__isnull=False,
                        approved_at__isnull=False,
                        ends_at__gt=models.F("approved_at"),
                    )
                    | models.Q(status="declined", approved_at__isnull=True)
                    | models.Q(status="terminated", ended_at__isnull=False)
                ),
                name="admin_relationship_dates_consistent",
            ),
        ]
        indexes = [
            # The Admin relationships list, newest first (R36).
            models.Index(
                fields=["partner", "-created_at", "-id"],
                name="admin_relationship_recent_idx",
            ),
            models.Index(
                fields=["partner", "status", "ends_at"],
                name="admin_relationship_list_idx",
            ),
            models.Index(
                fields=["customer", "status", "ends_at"],
                name="admin_relationship_cust_idx",
            ),
            models.Index(
                fields=["status", "ends_at"], name="admin_relationship_end_idx"
            ),
        ]

    def __str__(self):
        return self.name

    def effective_status(self, now) -> str:
        """The status people see at ``now`` (the rule of the queryset's
        ``with_effective_status`` for one row in hand; reads the invitation
        of a pending one)."""
        S = self.Status
        if self.status == S.ACTIVE:
            if self.ends_at <= now:
                return S.EXPIRED
            if self.ends_at - now <= timedelta(days=EXPIRING_DAYS):
                return S.EXPIRING
            return S.ACTIVE
        if self.status == S.APPROVAL_PENDING:
            link = self.invitation.effective_status(now)
            if link == Invitation.Status.REVOKED:
                return S.TERMINATED
            if link == Invitation.Status.EXPIRED:
                return S.EXPIRED
        return self.status

    def is_usable(self, now) -> bool:
        return self.status == self.Status.ACTIVE and self.ends_at > now

    def end_if_approved(self, now):
        """The end date it would have if approved at ``now`` (R32)."""
        return now + timedelta(days=self.duration_days)


class AdminRelationshipRole(models.Model):
    relationship = models.ForeignKey(
        AdminRelationship,
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name=_("admin relationship"),
    )
    role = models.CharField(_("role"), max_length=48, choices=ROLE_CHOICES)

    class Meta:
        verbose_name = _("admin relationship role")
        verbose_name_plural = _("admin relationship roles")
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "role"], name="admin_relationship_role_once"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=list(ROLE_CODES)),
                name="admin_relationship_role_valid",
            ),
        ]

    def __str__(self):
        return str(self.get_role_display())


class SecurityGroup(models.Model):
    """A named set of the partner's users (R33), e.g. "Helpdesk team"."""

    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="security_groups",
        verbose_name=_("partner"),
    )
    name = models.CharField(_("name"), max_length=NAME_MAX)
    created_at = models.DateTimeField(_("created"))
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="SecurityGroupMember",
        related_name="security_groups",
        verbose_name=_("members"),
    )

    class Meta:
        verbose_name = _("security group")
        verbose_name_plural = _("security groups")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "partner", name="security_group_name_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(name__regex=r"\S"),
                name="security_group_name_not_blank",
            ),
        ]

    def __str__(self):
        return self.name


class SecurityGroupMember(models.Model):
    group = models.ForeignKey(
        SecurityGroup,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("security group"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="security_group_memberships",
        verbose_name=_("partner user"),
    )

    class Meta:
        verbose_name = _("security group member")
        verbose_name_plural = _("security group members")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"], name="security_group_member_once"
            )
        ]

    def __str__(self):
        return f"{self.group_id}: {self.user_id}"


class AccessAssignment(models.Model):
    """A security group given some of an active relationship's roles (R33)."""

    relationship = models.ForeignKey(
        AdminRelationship,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("admin relationship"),
    )
    group = models.ForeignKey(
        SecurityGroup,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("security group"),
    )
    # A subset of the relationship's roles, as rows of it: removing a role from
    # the relationship (Remove Global Administrator) removes it here too.
    roles = models.ManyToManyField(
        AdminRelationshipRole, related_name="assignments", verbose_name=_("roles")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    created_at = models.DateTimeField(_("assigned"))

    class Meta:
        verbose_name = _("access assignment")
        verbose_name_plural = _("access assignments")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "group"], name="access_assignment_once"
            )
        ]

    def __str__(self):
        return f"{self.relationship} → {self.group}"


class GdapEvent(AppendOnlyModel):
    """Append-only: every change to admin relationships, their assignments and
    security groups (R35). The database refuses UPDATE (and DELETE on
    PostgreSQL), like the relationship events of the seed."""

    class Kind(models.TextChoices):
        REQUESTED = "requested", _("Admin relationship requested")
        APPROVED = "approved", _("Admin relationship approved")
        DECLINED = "declined", _("Admin relationship declined")
        TERMINATED = "terminated", _("Admin relationship terminated")
        EXPIRED = "expired", _("Admin relationship expired")
        AUTO_EXTENDED = "auto_extended", _("Admin relationship auto-extended")
        AUTO_EXTEND_ON = "auto_extend_on", _("Auto-extend turned on")
        AUTO_EXTEND_OFF = "auto_extend_off", _("Auto-extend turned off")
        GLOBAL_ADMIN_REMOVED = (
            "global_admin_removed",
            _("Global Administrator removed"),
        )
        ASSIGNMENT_CREATED = "assignment_created", _("Security group assigned")
        ASSIGNMENT_CHANGED = "assignment_changed", _("Assignment changed")
        ASSIGNMENT_DELETED = "assignment_deleted", _("Assignment removed")
        GROUP_CREATED = "group_created", _("Security group created")
        GROUP_RENAMED = "group_renamed", _("Security group renamed")
        GROUP_MEMBERS_CHANGED = (
            "group_members_changed",
            _("Security group members changed"),
        )
        GROUP_DELETED = "group_deleted", _("Security group deleted")
        REMINDER_SENT = "reminder_sent", _("End reminder sent")

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="+", verbose_name=_("partner")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    relationship = models.ForeignKey(
        AdminRelationship,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("admin relationship"),
    )
    # A plain id: a deleted group's events stay (and name it in ``details``).
    group_id = models.BigIntegerField(_("security group id"), null=True, blank=True)
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(_("time"), db_index=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    changed_message = _("Admin relationship events cannot be changed.")
    deleted_message = _("Admin relationship events cannot be deleted.")

    class Meta:
        verbose_name = _("admin relationship event")
        verbose_name_plural = _("admin relationship events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["partner", "-at"], name="gdap_event_recent")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d})"


class AdminRelationshipReminder(models.Model):
    """One end reminder (R23) of one relationship for one end date: given once."""

    relationship = models.ForeignKey(
        AdminRelationship,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("admin relationship"),
    )
    days_before = models.PositiveSmallIntegerField(_("days before the end"))
    ends_at = models.DateTimeField(_("ends"))
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("end reminder")
        verbose_name_plural = _("end reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "days_before", "ends_at"],
                name="admin_relationship_reminder_once",
            )
        ]

    def __str__(self):
        return f"{self.relationship_id}: {self.days_before}"
