"""Every write to partners and their people."""

from django.conf import settings
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.addresses import fold_email, is_acceptable_address
from core.exceptions import DomainError
from core.mail import email_queue
from core.security_log import security_event
from core.sessions import session_renamed, sessions_end_for_user
from core.timezones import is_valid_zone
from partners import api_tokens, passwords
from partners.models import (
    MembershipRole,
    Partner,
    PartnerMembership,
    PartnerUserEvent,
    Role,
)
from partners.signals import partner_user_removed


def membership_set_language(*, user, language: str) -> None:
    """Keep a partner user's language for the emails the portal sends them (R19).

    Nothing for people who are not partner users, for an unknown language, or
    when it has not changed (no write on every sign-in).
    """
    if not user.is_authenticated or language not in dict(settings.LANGUAGES):
        return
    PartnerMembership.objects.filter(user=user).exclude(language=language).update(
        language=language
    )
    membership = getattr(user, "partner_membership", None)
    if membership is not None:
        membership.language = language


# --- People (R26) ----------------------------------------------------------------


def _event(*, partner, actor, subject, kind: str, details: dict) -> PartnerUserEvent:
    return PartnerUserEvent.objects.create(
        partner=partner,
        actor=actor if actor is not None and actor.is_authenticated else None,
        subject=subject,
        kind=kind,
        details=details,
        at=timezone.now(),
    )


def _locked_partner(partner_id: int) -> Partner:
    # Every change to a partner's people takes this lock first, so two admins
    # demoting or removing each other at once cannot both pass the "one active
    # Global admin left" check.
    return Partner.objects.select_for_update().get(pk=partner_id)


def _membership(partner: Partner, user_id: int) -> PartnerMembership:
    membership = (
        PartnerMembership.objects.select_related("user")
        .prefetch_related("roles")
        .filter(partner=partner, user_id=user_id)
        .first()
    )
    if membership is None:
        raise DomainError("not_found", _("This person is not a user of your partner."))
    return membership


def _other_active_global_admins(partner: Partner, user_id: int) -> int:
    return (
        MembershipRole.objects.filter(
            membership__partner=partner,
            membership__user__is_active=True,
            role=Role.GLOBAL_ADMIN,
        )
        .exclude(membership__user_id=user_id)
        .count()
    )


def _is_global_admin(partner: Partner, user) -> bool:
    return MembershipRole.objects.filter(
        membership__partner=partner,
        membership__user=user,
        membership__user__is_active=True,
        role=Role.GLOBAL_ADMIN,
    ).exists()


LAST_GLOBAL_ADMIN = _(
    "%(name)s is the last active Global admin of your partner. Give another person "
    "the Global admin role first. Nothing was changed."
)
ONLY_GLOBAL_ADMIN_GRANTS = _(
    "Only a Global admin can give or take away the Global admin role, or remove a "
    "Global admin. Nothing was changed."
)


def _roles_in_order(roles) -> list[str]:
    chosen = set(roles)
    return [role for role in Role.values if role in chosen]


def _render_email(template: str, context: dict, language: str) -> tuple[str, str]:
    with translation.override(language):
        subject = render_to_string(f"partners/email/{template}_subject.txt", context)
        body = render_to_string(f"partners/email/{template}_body.txt", context)
    return subject.strip(), body.strip() + "\n"


def set_password_email_queue(*, user, partner: Partner, language: str) -> None:
    """The added person's set-password email (single use, SET_PASSWORD_TIMEOUT),
    in the caller's transaction; the worker makes the link when it sends."""
    subject, body = _render_email(
        "set_password",
        {
            "partner": partner,
            "user": user,
            "link": passwords.LINK_PLACEHOLDER,
            "days": max(1, round(settings.SET_PASSWORD_TIMEOUT / 86400)),
        },
        language,
    )
    email_queue(
        to=user.email,
        subject=subject,
        body=body,
        language=language,
        renderer=passwords.SET_PASSWORD_RENDERER,
        object_id=user.pk,
    )


def password_reset_email_queue(*, user, language: str = "") -> None:
    """R27: a reset link for an active person, in their language where known."""
    if not user.is_active:
        return
    membership = PartnerMembership.objects.filter(user=user).first()
    language = (
        (membership.language if membership else "")
        or language
        or settings.LANGUAGE_CODE
    )
    subject, body = _render_email(
        "password_reset",
        {
            "user": user,
            "link": passwords.LINK_PLACEHOLDER,
            "minutes": max(1, round(settings.PASSWORD_RESET_TIMEOUT / 60)),
        },
        language,
    )
    with transaction.atomic():
        email_queue(
            to=user.email,
            subject=subject,
            body=body,
            language=language,
            renderer=passwords.PASSWORD_RESET_RENDERER,
            object_id=user.pk,
        )


@transaction.atomic
def partner_user_add(
    *,
    partner: Partner,
    actor,
    email: str,
    first_name: str,
    last_name: str,
    roles: list[str],
    request=None,
):
    """R26: a new active person of ``partner`` with ``roles`` and no password yet;
    a set-password email is queued with it. An address already in use anywhere
    in the portal is refused and nothing is created."""
    address = fold_email(email)
    if not is_acceptable_address(address):
        raise DomainError(
            "address_not_ascii",
            _("Use an address whose part before the @ has only ASCII characters."),
        )
    roles = _roles_in_order(roles)
    if not roles:
        raise DomainError("no_role", _("Choose at least one role."))
    partner = _locked_partner(partner.pk)
    if Role.GLOBAL_ADMIN in roles and not _is_global_admin(partner, actor):
        raise DomainError("global_admin_only", ONLY_GLOBAL_ADMIN_GRANTS)
    User = get_user_model()
    duplicate = DomainError(
        "duplicate",
        _("%(email)s already has an account in the portal. Nothing was created.")
        % {"email": address},
    )
    if User._default_manager.filter(
        Q(email__iexact=address) | Q(username=address)
    ).exists():
        raise duplicate
    try:
        with transaction.atomic():  # a concurrent add of the same address loses here
            user = User._default_manager.create(
                username=address,
                email=address,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
            )
    except IntegrityError:
        raise duplicate from None
    user.set_unusable_password()
    user.save(update_fields=["password"])
    membership = PartnerMembership.objects.create(user=user, partner=partner)
    MembershipRole.objects.bulk_create(
        MembershipRole(membership=membership, role=role) for role in roles
    )
    _event(
        partner=partner,
        actor=actor,
        subject=user,
        kind=PartnerUserEvent.Kind.ADDED,
        details={"email": address, "roles": roles},
    )
    security_event(
        "user_added", request=request, email=address, partner_id=partner.pk, roles=roles
    )
    set_password_email_queue(
        user=user,
        partner=partner,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    return user


@transaction.atomic
def partner_user_set_roles(
    *, partner: Partner, actor, user_id: int, roles: list[str], request=None
) -> PartnerMembership:
    """R26: replace a person's roles. The partner always keeps one active Global
    admin; only a Global admin grants or takes away that role."""
    roles = _roles_in_order(roles)
    if not roles:
        raise DomainError("no_role", _("Choose at least one role."))
    partner = _locked_partner(partner.pk)
    membership = _membership(partner, user_id)
    user = membership.user
    if not user.is_active:
        raise DomainError("removed", _("This person was removed. Nothing was changed."))
    before = _roles_in_order(membership.role_set)
    if before == roles:
        return membership
    if (
        Role.GLOBAL_ADMIN in before
        and Role.GLOBAL_ADMIN not in roles
        and not _other_active_global_admins(partner, user.pk)
    ):
        raise DomainError(
            "last_global_admin",
            LAST_GLOBAL_ADMIN % {"name": user.get_full_name() or user.email},
        )
    touches_global = (Role.GLOBAL_ADMIN in before) != (Role.GLOBAL_ADMIN in roles)
    if touches_global and not _is_global_admin(partner, actor):
        raise DomainError("global_admin_only", ONLY_GLOBAL_ADMIN_GRANTS)
    membership.roles.exclude(role__in=roles).delete()
    MembershipRole.objects.bulk_create(
        MembershipRole(membership=membership, role=role)
        for role in roles
        if role not in before
    )
    membership.__dict__.pop("_role_set", None)
    _event(
        partner=partner,
        actor=actor,
        subject=user,
        kind=PartnerUserEvent.Kind.ROLES_CHANGED,
        details={"email": user.email, "before": before, "after": roles},
    )
    security_event(
        "roles_changed",
        request=request,
        email=user.email,
        partner_id=partner.pk,
        before=before,
        after=roles,
    )
    return membership


@transaction.atomic
def partner_user_remove(*, partner: Partner, actor, user_id: int, request=None):
    """R26: deactivate a person at once: every session ends, their links stop
    working, and ``partner_user_removed`` lets the apps above drop them from
    support contacts (and later security groups and API tokens), in this same
    transaction. The last active Global admin cannot be removed, nor oneself."""
    if actor is not None and actor.pk == user_id:
        raise DomainError(
            "self", _("You cannot remove yourself. Ask another administrator.")
        )
    partner = _locked_partner(partner.pk)
    membership = _membership(partner, user_id)
    user = membership.user
    if not user.is_active:
        return user  # removed already (a second click): nothing more to do
    if Role.GLOBAL_ADMIN in membership.role_set:
        if not _other_active_global_admins(partner, user.pk):
            raise DomainError(
                "last_global_admin",
                LAST_GLOBAL_ADMIN % {"name": user.get_full_name() or user.email},
            )
        if not _is_global_admin(partner, actor):
            raise DomainError("global_admin_only", ONLY_GLOBAL_ADMIN_GRANTS)
    user.is_active = False
    user.save(update_fields=["is_active"])
    sessions_end_for_user(user=user)
    api_tokens.tokens_revoke_for_user(user=user, actor=actor)
    _event(
        partner=partner,
        actor=actor,
        subject=user,
        kind=PartnerUserEvent.Kind.REMOVED,
        details={"email": user.email, "roles": _roles_in_order(membership.role_set)},
    )
    security_event(
        "user_removed", request=request, email=user.email, partner_id=partner.pk
    )
    partner_user_removed.send(
        sender=PartnerMembership, partner=partner, user=user, actor=actor
    )
    return user


@transaction.atomic
def partner_set_require_two_step(
    *, partner: Partner, actor, required: bool, request=None
) -> Partner:
    """R28: a Global admin requires two-step verification of every partner user
    (enforced by partners.two_step)."""
    partner = _locked_partner(partner.pk)
    if not _is_global_admin(partner, actor):
        raise DomainError("global_admin_only", _("Only a Global admin can do this."))
    if partner.require_two_step == required:
        return partner
    partner.require_two_step = required
    partner.save(update_fields=["require_two_step"])
    _event(
        partner=partner,
        actor=actor,
        subject=None,
        kind=PartnerUserEvent.Kind.TWO_STEP_POLICY,
        details={"required": required},
    )
    security_event(
        "two_step_policy_changed",
        request=request,
        partner_id=partner.pk,
        required=required,
    )
    return partner


# --- My account (R27, R30) -----------------------------------------------------------


@transaction.atomic
def account_update(
    *,
    user,
    first_name: str,
    last_name: str,
    language: str | None = None,
    time_zone: str | None = None,
) -> None:
    """R30: the person's own name; a partner user's language and time zone."""
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.save(update_fields=["first_name", "last_name"])
    membership = PartnerMembership.objects.filter(user=user).first()
    if membership is None:
        return
    fields = {}
    if language is not None and language in dict(settings.LANGUAGES):
        fields["language"] = language
    if time_zone is not None and (time_zone == "" or is_valid_zone(time_zone)):
        fields["time_zone"] = time_zone
    if fields:
        PartnerMembership.objects.filter(pk=membership.pk).update(**fields)


@transaction.atomic
def password_change(*, request, user, new_password: str) -> int:
    """R27: set the person's password; every other session ends, this one stays
    signed in (under a new key). Returns how many sessions were ended."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    old_key = request.session.session_key
    update_session_auth_hash(request, user)
    session_renamed(old_key=old_key, new_key=request.session.session_key)
    ended = sessions_end_for_user(user=user, keep=request.session.session_key)
    security_event("password_changed", request=request, email=user.email)
    return ended


def sessions_sign_out_others(*, request, user) -> int:
    """R30: "Sign out other sessions": every session of the person but this one."""
    ended = sessions_end_for_user(user=user, keep=request.session.session_key)
    security_event("other_sessions_ended", request=request, count=ended)
    return ended
