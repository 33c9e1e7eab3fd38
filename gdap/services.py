"""Every write to admin relationships, assignments and security groups (R31–R35).

Each is one transaction that locks what it changes, re-checks its state and
writes its GdapEvent; notices, emails and the life tasks are queued after commit.
The request's draft, link, sending, revoke and new link are the invitations'
own services (``invitations.services``): an admin relationship's request is an
Invitation of kind ``admin_relationship``.
"""

from datetime import timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from customers.models import Customer
from customers.permissions import customer_admin_membership
from customers.role_catalogue import CODES, GLOBAL_ADMINISTRATOR, ROLES
from gdap import selectors
from gdap.models import (
    AUTO_EXTEND_DAYS,
    DURATION_MAX,
    DURATION_MIN,
    NAME_MAX,
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipReminder,
    AdminRelationshipRole,
    GdapEvent,
    SecurityGroup,
    SecurityGroupMember,
)
from gdap.notifications import notify_partner_admins
from invitations.models import Invitation
from invitations.services import (
    draft_from_templates,
    invitation_new,
    invitation_revoke,
)
from partners.models import Partner

S = AdminRelationship.Status
Kind = GdapEvent.Kind
REMINDER_DAYS = (30, 7, 1)


def event_record(
    *,
    kind: str,
    partner: Partner,
    relationship: AdminRelationship | None = None,
    customer: Customer | None = None,
    group_id: int | None = None,
    actor=None,
    details: dict | None = None,
) -> GdapEvent:
    """Append one event; callers are inside their transaction."""
    if customer is None and relationship is not None:
        customer = relationship.customer
    return GdapEvent.objects.create(
        kind=kind,
        partner=partner,
        relationship=relationship,
        customer=customer,
        group_id=group_id,
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=timezone.now(),
        details=details or {},
    )


# --- Checks shared by the forms and the services ----------------------------------


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("name_required", _("Enter a name."))
    if len(name) > NAME_MAX:
        raise DomainError(
            "name_too_long",
            _("Use at most %(max)s characters (this one has %(count)s).")
            % {"max": NAME_MAX, "count": len(name)},
        )
    return name


def clean_duration(days) -> int:
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not DURATION_MIN <= days <= DURATION_MAX:
        raise DomainError(
            "duration_range",
            _("Choose a duration from %(min)s to %(max)s days.")
            % {"min": DURATION_MIN, "max": DURATION_MAX},
        )
    return days


def clean_roles(roles) -> list[str]:
    roles = list(dict.fromkeys(roles or []))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise DomainError(
            "unknown_role",
            _("Choose roles from the list (unknown: %(roles)s).")
            % {"roles": ", ".join(str(r)[:48] for r in unknown)},
        )
    if not roles:
        raise DomainError("roles_required", _("Choose at least one role."))
    return [code for code in CODES if code in roles]


def auto_extend_refusal():
    return _(
        "Auto-extend is not available while Global Administrator is among the "
        "roles. Remove Global Administrator first."
    )


def ensure_auto_extend_allowed(*, auto_extend: bool, roles) -> None:
    if auto_extend and GLOBAL_ADMINISTRATOR in set(roles):
        raise DomainError("auto_extend_with_global_admin", auto_extend_refusal())


def _name_taken():
    return DomainError(
        "name_taken",
        _("You already have an admin relationship with this name. Choose another."),
    )


def _group_name_taken():
    return DomainError(
        "name_taken",
        _("You already have a security group with this name. Choose another."),
    )


# --- Request (R31) ---------------------------------------------------------------


def draft_render(
    *, partner, relationship_name, roles, duration_days, auto_extend, language
):
    """The request's default subject and body (R31 with R5), in its language."""
    return draft_from_templates(
        "gdap/email",
        {
            "partner": partner,
            "name": relationship_name,
            "roles": [ROLES[code] for code in roles],
            "duration_days": duration_days,
            "auto_extend": auto_extend,
        },
        language=language,
    )


@transaction.atomic
def admin_relationship_request(
    *,
    partner: Partner,
    created_by,
    name: str,
    roles,
    duration_days=DURATION_MAX,
    auto_extend: bool = False,
    customer_id: int | None = None,
    recipient_email: str = "",
    email_language: str = "en",
) -> AdminRelationship:
    """R31: a pending admin relationship and its request (draft and link)."""
    name = clean_name(name)
    duration_days = clean_duration(duration_days)
    roles = clean_roles(roles)
    ensure_auto_extend_allowed(auto_extend=auto_extend, roles=roles)
    customer = None
    if customer_id:
        customer = selectors.partner_customer(partner=partner, customer_id=customer_id)
        if customer is None:
            raise DomainError(
                "unknown_customer", _("Choose one of your customers, or none.")
            )
    if AdminRelationship.objects.filter(partner=partner, name__iexact=name).exists():
        raise _name_taken()
    invitation = invitation_new(
        partner=partner,
        created_by=created_by,
        draft=draft_render(
            partner=partner,
            relationship_name=name,
            roles=roles,
            duration_days=duration_days,
            auto_extend=auto_extend,
            language=email_language,
        ),
        kind=Invitation.Kind.ADMIN_RELATIONSHIP,
        include_dap=False,
        recipient_email=recipient_email,
        email_language=email_language,
        customer=customer,
    )
    now = invitation.sent_at
    try:
        # A savepoint: a concurrent request with the same name loses here.
        with transaction.atomic():
            relationship = AdminRelationship.objects.create(
                partner=partner,
                customer=customer,
                invitation=invitation,
                name=name,
                duration_days=duration_days,
                auto_extend=auto_extend,
                has_global_administrator=GLOBAL_ADMINISTRATOR in roles,
                created_by=created_by,
                created_at=now,
            )
    except IntegrityError:
        raise _name_taken() from None
    AdminRelationshipRole.objects.bulk_create(
        AdminRelationshipRole(relationship=relationship, role=code) for code in roles
    )
    event_record(
        kind=Kind.REQUESTED,
        partner=partner,
        relationship=relationship,
        actor=created_by,
        details={
            "name": name,
            "roles": roles,
            "duration_days": duration_days,
            "auto_extend": auto_extend,
        },
    )
    return relationship


# --- Approve / decline (R32) -------------------------------------------------------


def _locked_request(invitation_id: int) -> AdminRelationship:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("partner")
        .get(pk=invitation_id, kind=Invitation.Kind.ADMIN_RELATIONSHIP)
    )
    relationship = AdminRelationship.objects.select_for_update(of=("self",)).get(
        invitation=invitation
    )
    relationship.invitation = invitation
    relationship.partner = invitation.partner
    return relationship


def _ensure_pending(relationship: AdminRelationship, now) -> None:
    shown = relationship.effective_status(now)
    if shown != S.APPROVAL_PENDING:
        raise DomainError(
            f"not_pending_{shown}",
            _("This request is no longer pending (%(status)s).")
            % {"status": S(shown).label},
        )


def _ensure_same_link(invitation, link_nonce):
    if link_nonce is not None and link_nonce != invitation.link_nonce:
        raise DomainError(
            "link_replaced",
            _("This link was replaced by a newer one. Ask your partner for it."),
        )


def _admin_of(user, refusal):
    membership = customer_admin_membership(user)
    if membership is None:
        raise DomainError("not_customer_admin", refusal)
    return membership


def _checked_answer(relationship, *, admin_user, link_nonce, allowed: str, now):
    """What approve and decline both check after the lock: the same link, still
    pending, and the eligibility of R45 (``allowed``: "can_accept" or
    "can_decline"), refused with the page's own reason."""
    _ensure_same_link(relationship.invitation, link_nonce)
    _ensure_pending(relationship, now)
    eligibility = selectors.approval_eligibility(
        invitation=relationship.invitation, user=admin_user
    )
    if not getattr(eligibility, allowed):
        raise DomainError(eligibility.code, eligibility.reason)


def _answer_record(relationship, *, status, admin_user, customer, now) -> None:
    """The request (Invitation) answered: its status, who, when, for whom."""
    invitation = relationship.invitation
    invitation.status = status
    invitation.responded_by = admin_user
    invitation.responded_at = now
    invitation.customer = customer
    invitation.save(
        update_fields=["status", "responded_by", "responded_at", "customer"]
    )


@transaction.atomic
def admin_relationship_approve(
    *, invitation_id: int, admin_user, link_nonce: str | None = None
) -> AdminRelationship:
    """R32: activate for the admin's organisation; end = approval + duration.

    Atomic and idempotent: the request is locked, so concurrent approvals queue;
    whoever comes second finds it active for their organisation and gets it back
    (no error, no second event)."""
    membership = _admin_of(
        admin_user,
        _("Only an administrator of the customer organisation can approve."),
    )
    customer = membership.customer
    relationship = _locked_request(invitation_id)
    if relationship.status == S.ACTIVE and relationship.customer_id == customer.pk:
        return relationship  # a concurrent or repeated click won
    now = timezone.now()
    _checked_answer(
        relationship,
        admin_user=admin_user,
        link_nonce=link_nonce,
        allowed="can_accept",
        now=now,
    )
    relationship.status = S.ACTIVE
    relationship.customer = customer
    relationship.approved_by = admin_user
    relationship.approved_at = now
    relationship.ends_at = now + timedelta(days=relationship.duration_days)
    relationship.save(
        update_fields=["status", "customer", "approved_by", "approved_at", "ends_at"]
    )
    _answer_record(
        relationship,
        status=Invitation.Status.ACCEPTED,
        admin_user=admin_user,
        customer=customer,
        now=now,
    )
    event_record(
        kind=Kind.APPROVED,
        partner=relationship.partner,
        relationship=relationship,
        customer=customer,
        actor=admin_user,
        details={"ends_at": relationship.ends_at.isoformat()},
    )
    transaction.on_commit(partial(life_schedule, relationship_id=relationship.pk))
    transaction.on_commit(
        partial(notify_partner_admins, relationship_id=relationship.pk, kind="approved")
    )
    return relationship


@transaction.atomic
def admin_relationship_decline(
    *, invitation_id: int, admin_user, link_nonce: str | None = None
) -> AdminRelationship:
    membership = _admin_of(
        admin_user,
        _("Only an administrator of the customer organisation can decline."),
    )
    relationship = _locked_request(invitation_id)
    if relationship.status == S.DECLINED:
        return relationship
    now = timezone.now()
    _checked_answer(
        relationship,
        admin_user=admin_user,
        link_nonce=link_nonce,
        allowed="can_decline",
        now=now,
    )
    customer = membership.customer
    relationship.status = S.DECLINED
    relationship.ended_at = now
    relationship.save(update_fields=["status", "ended_at"])
    _answer_record(
        relationship,
        status=Invitation.Status.DECLINED,
        admin_user=admin_user,
        customer=customer,
        now=now,
    )
    event_record(
        kind=Kind.DECLINED,
        partner=relationship.partner,
        relationship=relationship,
        customer=customer,
        actor=admin_user,
    )
    transaction.on_commit(
        partial(notify_partner_admins, relationship_id=relationship.pk, kind="declined")
    )
    return relationship


# --- Life (R35) --------------------------------------------------------------------


def _locked(relationship_id: int) -> AdminRelationship:
    return (
        AdminRelationship.objects.select_for_update(of=("self",))
        .select_related("partner", "customer", "invitation")
        .get(pk=relationship_id)
    )


SIDES = ("partner", "customer", "staff")


@transaction.atomic
def admin_relationship_terminate(
    *, relationship_id: int, actor, side: str = "partner", reason: str = ""
) -> AdminRelationship:
    """R35: end it now (a pending request's link stops working too). Either side,
    or staff; terminating twice changes nothing."""
    assert side in SIDES
    relationship = _locked(relationship_id)
    if relationship.status == S.TERMINATED:
        return relationship
    now = timezone.now()
    shown = relationship.effective_status(now)
    if shown not in (S.APPROVAL_PENDING, S.ACTIVE, S.EXPIRING):
        raise DomainError(
            f"not_active_{shown}",
            _("This admin relationship has already ended (%(status)s).")
            % {"status": S(shown).label},
        )
    if relationship.status == S.APPROVAL_PENDING:
        invitation_revoke(
            invitation_id=relationship.invitation_id, actor=actor, reason=reason
        )
    relationship.status = S.TERMINATED
    relationship.ended_at = now
    relationship.ended_by = (
        actor if actor is not None and actor.is_authenticated else None
    )
    relationship.save(update_fields=["status", "ended_at", "ended_by"])
    details = {"side": side}
    if reason:
        details["reason"] = reason[:500]
    event_record(
        kind=Kind.TERMINATED,
        partner=relationship.partner,
        relationship=relationship,
        actor=actor,
        details=details,
    )
    if relationship.approved_at is not None:
        transaction.on_commit(
            partial(
                notify_partner_admins,
                relationship_id=relationship.pk,
                kind="terminated",
            )
        )
    return relationship


def _ensure_usable(relationship: AdminRelationship, now) -> None:
    if not relationship.is_usable(now):
        shown = relationship.effective_status(now)
        raise DomainError(
            f"not_active_{shown}",
            _("This admin relationship is not active (%(status)s).")
            % {"status": S(shown).label},
        )


@transaction.atomic
def admin_relationship_remove_global_admin(
    *, relationship_id: int, actor
) -> AdminRelationship:
    """R35: drop Global Administrator from an active relationship (and from its
    assignments; an assignment left with no role is removed)."""
    relationship = _locked(relationship_id)
    _ensure_usable(relationship, timezone.now())
    role = relationship.roles.filter(role=GLOBAL_ADMINISTRATOR).first()
    if role is None:
        raise DomainError(
            "no_global_admin",
            _("This admin relationship does not include Global Administrator."),
        )
    if relationship.roles.count() == 1:
        raise DomainError(
            "last_role",
            _(
                "Global Administrator is this relationship's only role. Terminate "
                "it instead, and request one with the roles you need."
            ),
        )
    emptied = list(
        AccessAssignment.objects.filter(relationship=relationship, roles=role)
        .select_related("group")
        .prefetch_related("roles")
    )
    role.delete()
    for assignment in emptied:
        if not assignment.roles.exists():
            _assignment_delete(assignment, actor=actor, reason="global_admin_removed")
    relationship.has_global_administrator = False
    relationship.save(update_fields=["has_global_administrator"])
    event_record(
        kind=Kind.GLOBAL_ADMIN_REMOVED,
        partner=relationship.partner,
        relationship=relationship,
        actor=actor,
    )
    return relationship


@transaction.atomic
def admin_relationship_set_auto_extend(
    *, relationship_id: int, actor, on: bool, side: str = "partner"
) -> AdminRelationship:
    """R35: either side turns auto-extend on or off (never with Global
    Administrator, R31)."""
    relationship = _locked(relationship_id)
    now = timezone.now()
    if relationship.status != S.APPROVAL_PENDING:
        _ensure_usable(relationship, now)
    else:
        _ensure_pending(relationship, now)
    if relationship.auto_extend == on:
        return relationship
    if on and relationship.has_global_administrator:
        raise DomainError("auto_extend_with_global_admin", auto_extend_refusal())
    relationship.auto_extend = on
    relationship.save(update_fields=["auto_extend"])
    event_record(
        kind=Kind.AUTO_EXTEND_ON if on else Kind.AUTO_EXTEND_OFF,
        partner=relationship.partner,
        relationship=relationship,
        actor=actor,
        details={"side": side},
    )
    if relationship.status == S.ACTIVE and not on:
        # Reminders now apply (R23): schedule them for the current end.
        transaction.on_commit(partial(life_schedule, relationship_id=relationship.pk))
    return relationship


def life_schedule(*, relationship_id: int) -> None:
    """The tasks of an active relationship's end (R21, R23, R35): a reminder 30,
    7 and 1 days before (those still ahead) and the end itself. Each checks
    when it runs that the relationship still ends at this very date."""
    from gdap.tasks import relationship_end_due, relationship_remind

    relationship = AdminRelationship.objects.filter(pk=relationship_id).first()
    if relationship is None or relationship.status != S.ACTIVE:
        return
    now = timezone.now()
    ends_at = relationship.ends_at.isoformat()
    for days in REMINDER_DAYS:
        at = relationship.ends_at - timedelta(days=days)
        if at > now:
            relationship_remind.using(run_after=at).enqueue(
                relationship_id=relationship.pk, days_before=days, ends_at=ends_at
            )
    relationship_end_due.using(run_after=relationship.ends_at).enqueue(
        relationship_id=relationship.pk, ends_at=ends_at
    )


@transaction.atomic
def admin_relationship_end(*, relationship_id: int) -> str:
    """R35 at the end date: auto-extend (+180 days from the end) or expire.

    Idempotent however many workers run it: the row is locked and re-read, and
    only an active relationship whose end has passed changes (once)."""
    relationship = _locked(relationship_id)
    now = timezone.now()
    if relationship.status != S.ACTIVE or relationship.ends_at > now:
        return "nothing to do"
    if relationship.auto_extend:
        old_end = relationship.ends_at
        relationship.ends_at = old_end + timedelta(days=AUTO_EXTEND_DAYS)
        relationship.save(update_fields=["ends_at"])
        event_record(
            kind=Kind.AUTO_EXTENDED,
            partner=relationship.partner,
            relationship=relationship,
            details={
                "from": old_end.isoformat(),
                "to": relationship.ends_at.isoformat(),
            },
        )
        transaction.on_commit(partial(life_schedule, relationship_id=relationship.pk))
        transaction.on_commit(
            partial(
                notify_partner_admins,
                relationship_id=relationship.pk,
                kind="auto_extended",
            )
        )
        return "auto-extended"
    relationship.status = S.EXPIRED
    relationship.ended_at = relationship.ends_at
    relationship.save(update_fields=["status", "ended_at"])
    event_record(
        kind=Kind.EXPIRED, partner=relationship.partner, relationship=relationship
    )
    transaction.on_commit(
        partial(notify_partner_admins, relationship_id=relationship.pk, kind="expired")
    )
    return "expired"


def admin_relationships_end_due(*, now=None) -> int:
    """Every active relationship past its end (a catch-up for lost tasks): each
    through ``admin_relationship_end``. Returns how many changed."""
    now = now or timezone.now()
    changed = 0
    for pk in AdminRelationship.objects.filter(
        status=S.ACTIVE, ends_at__lte=now
    ).values_list("pk", flat=True):
        if admin_relationship_end(relationship_id=pk) != "nothing to do":
            changed += 1
    return changed


@transaction.atomic
def admin_relationship_remind(
    *, relationship_id: int, days_before: int, ends_at
) -> str:
    """R23: the partner's Global admins and Admin agents are told (email and
    notice) that the relationship ends in N days; once per end date, none when
    it auto-extends or has ended."""
    relationship = _locked(relationship_id)
    now = timezone.now()
    if (
        not relationship.is_usable(now)
        or relationship.auto_extend
        or relationship.ends_at != ends_at
    ):
        return "not needed"
    # A late task (the worker was down) whose next, closer reminder is already
    # due gives way to it: no "ends in 30 days" a week before the end.
    closer = [d for d in REMINDER_DAYS if d < days_before]
    if closer and now >= ends_at - timedelta(days=max(closer)):
        return "superseded"
    _reminder, created = AdminRelationshipReminder.objects.get_or_create(
        relationship=relationship, days_before=days_before, ends_at=ends_at
    )
    if not created:
        return "already reminded"
    transaction.on_commit(
        partial(
            notify_partner_admins,
            relationship_id=relationship.pk,
            kind="expiring",
            days=days_before,
        )
    )
    return "reminded"


# --- Access assignments (R33) ------------------------------------------------------


def _assignable_roles(relationship, roles) -> list:
    codes = clean_roles(roles)
    available = {r.role: r for r in relationship.roles.all()}
    missing = [code for code in codes if code not in available]
    if missing:
        raise DomainError(
            "role_not_in_relationship",
            _("Choose roles of this admin relationship."),
        )
    return [available[code] for code in codes]


@transaction.atomic
def assignment_save(
    *, relationship_id: int, group_id: int, roles, actor
) -> AccessAssignment:
    """R33: assign a security group some of an active relationship's roles, or
    change the roles of its existing assignment."""
    relationship = _locked(relationship_id)
    _ensure_usable(relationship, timezone.now())
    group = SecurityGroup.objects.filter(
        pk=group_id, partner_id=relationship.partner_id
    ).first()
    if group is None:
        raise DomainError("unknown_group", _("Choose one of your security groups."))
    chosen = _assignable_roles(relationship, roles)
    codes = [r.role for r in chosen]
    assignment = AccessAssignment.objects.filter(
        relationship=relationship, group=group
    ).first()
    if assignment is None:
        assignment = AccessAssignment.objects.create(
            relationship=relationship,
            group=group,
            created_by=actor,
            created_at=timezone.now(),
        )
        kind = Kind.ASSIGNMENT_CREATED
    else:
        if sorted(r.role for r in assignment.roles.all()) == sorted(codes):
            return assignment
        kind = Kind.ASSIGNMENT_CHANGED
    assignment.roles.set(chosen)
    event_record(
        kind=kind,
        partner=relationship.partner,
        relationship=relationship,
        group_id=group.pk,
        actor=actor,
        details={"group": group.name, "roles": codes},
    )
    return assignment


def _assignment_delete(assignment, *, actor, reason: str = "") -> None:
    relationship = assignment.relationship
    details = {"group": assignment.group.name}
    if reason:
        details["reason"] = reason
    group_id = assignment.group_id
    assignment.delete()
    event_record(
        kind=Kind.ASSIGNMENT_DELETED,
        partner=relationship.partner,
        relationship=relationship,
        group_id=group_id,
        actor=actor,
        details=details,
    )


@transaction.atomic
def assignment_delete(*, relationship_id: int, assignment_id: int, actor) -> None:
    relationship = _locked(relationship_id)
    assignment = (
        AccessAssignment.objects.select_related("group")
        .filter(pk=assignment_id, relationship=relationship)
        .first()
    )
    if assignment is None:
        return
    assignment.relationship = relationship
    _assignment_delete(assignment, actor=actor)


# --- Security groups (R33) ---------------------------------------------------------


def _partner_members(partner: Partner, user_ids) -> list[int]:
    user_ids = {int(pk) for pk in user_ids or []}
    valid = set(
        selectors.partner_people(partner=partner)
        .filter(pk__in=user_ids)
        .values_list("pk", flat=True)
    )
    if user_ids - valid:
        raise DomainError("unknown_member", _("Choose people of your organisation."))
    return sorted(valid)


@transaction.atomic
def group_create(*, partner: Partner, name: str, member_ids=(), actor) -> SecurityGroup:
    name = clean_name(name)
    members = _partner_members(partner, member_ids)
    if SecurityGroup.objects.filter(partner=partner, name__iexact=name).exists():
        raise _group_name_taken()
    try:
        with transaction.atomic():
            group = SecurityGroup.objects.create(
                partner=partner, name=name, created_at=timezone.now()
            )
    except IntegrityError:
        raise _group_name_taken() from None
    SecurityGroupMember.objects.bulk_create(
        SecurityGroupMember(group=group, user_id=pk) for pk in members
    )
    event_record(
        kind=Kind.GROUP_CREATED,
        partner=partner,
        group_id=group.pk,
        actor=actor,
        details={"name": name, "members": members},
    )
    return group


def _locked_group(partner: Partner, group_id: int) -> SecurityGroup:
    group = (
        SecurityGroup.objects.select_for_update()
        .filter(pk=group_id, partner=partner)
        .first()
    )
    if group is None:
        raise DomainError("unknown_group", _("Choose one of your security groups."))
    return group


@transaction.atomic
def group_update(
    *, partner: Partner, group_id: int, name: str, member_ids, actor
) -> SecurityGroup:
    """Rename a group and set its members (one event for each that changed)."""
    group = _locked_group(partner, group_id)
    name = clean_name(name)
    members = _partner_members(partner, member_ids)
    if name != group.name:
        if (
            SecurityGroup.objects.filter(partner=partner, name__iexact=name)
            .exclude(pk=group.pk)
            .exists()
        ):
            raise _group_name_taken()
        old = group.name
        group.name = name
        try:
            with transaction.atomic():
                group.save(update_fields=["name"])
        except IntegrityError:
            raise _group_name_taken() from None
        event_record(
            kind=Kind.GROUP_RENAMED,
            partner=partner,
            group_id=group.pk,
            actor=actor,
            details={"from": old, "to": name},
        )
    current = set(group.memberships.values_list("user_id", flat=True))
    if current != set(members):
        group.memberships.exclude(user_id__in=members).delete()
        SecurityGroupMember.objects.bulk_create(
            SecurityGroupMember(group=group, user_id=pk)
            for pk in members
            if pk not in current
        )
        event_record(
            kind=Kind.GROUP_MEMBERS_CHANGED,
            partner=partner,
            group_id=group.pk,
            actor=actor,
            details={
                "name": group.name,
                "added": sorted(set(members) - current),
                "removed": sorted(current - set(members)),
            },
        )
    return group


@transaction.atomic
def group_delete(*, partner: Partner, group_id: int, actor) -> None:
    """Delete a group nobody assigned (R33); an assigned one is refused."""
    group = _locked_group(partner, group_id)
    if group.assignments.exists():
        raise DomainError(
            "group_in_use",
            _(
                "This security group is assigned to admin relationships. Remove "
                "its assignments first."
            ),
        )
    name = group.name
    group_id = group.pk
    group.delete()
    event_record(
        kind=Kind.GROUP_DELETED,
        partner=partner,
        group_id=group_id,
        actor=actor,
        details={"name": name},
    )


def drop_removed_partner_user(sender, *, partner, user, actor, **kwargs) -> None:
    """R26: a removed partner user leaves every security group (an event each),
    in the removal's transaction (partners.signals)."""
    for member in SecurityGroupMember.objects.filter(
        user=user, group__partner=partner
    ).select_related("group"):
        group = member.group
        member.delete()
        event_record(
            kind=Kind.GROUP_MEMBERS_CHANGED,
            partner=partner,
            group_id=group.pk,
            actor=actor,
            details={
                "name": group.name,
                "added": [],
                "removed": [user.pk],
                "reason": "user_removed",
            },
        )
