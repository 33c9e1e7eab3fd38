"""R1: which partner roles may do what. One table, one check, used by every view."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from partners.models import PartnerMembership, Role

R = Role
EVERY_ROLE = frozenset(Role.values)


class Action:
    VIEW_CUSTOMERS = "view_customers"
    VIEW_USERS_LICENSES = "view_users_licenses"
    REQUEST_RELATIONSHIP = "request_relationship"
    MANAGE_REQUESTS = "manage_requests"
    OPEN_SERVICE_REQUEST = "open_service_request"
    ASSIGN_SUPPORT_CONTACTS = "assign_support_contacts"
    END_RELATIONSHIP = "end_relationship"
    VIEW_OVERVIEW = "view_overview"
    VIEW_SERVICE_REQUESTS = "view_service_requests"
    MANAGE_USERS = "manage_users"
    # R31/R33: admin relationships and security groups.
    MANAGE_ADMIN_RELATIONSHIPS = "manage_admin_relationships"


ADMINS = frozenset({R.GLOBAL_ADMIN, R.ADMIN_AGENT})

ROLES_FOR_ACTION: dict[str, frozenset[str]] = {
    Action.VIEW_CUSTOMERS: EVERY_ROLE,
    Action.VIEW_USERS_LICENSES: ADMINS | {R.HELPDESK_AGENT},
    Action.REQUEST_RELATIONSHIP: ADMINS | {R.SALES_AGENT},
    # Sales agents only for their own requests: see can_manage_invitation.
    Action.MANAGE_REQUESTS: ADMINS | {R.SALES_AGENT},
    Action.OPEN_SERVICE_REQUEST: ADMINS | {R.HELPDESK_AGENT},
    Action.ASSIGN_SUPPORT_CONTACTS: ADMINS,
    Action.END_RELATIONSHIP: ADMINS,
    Action.VIEW_OVERVIEW: EVERY_ROLE,
    # Those who may open service requests follow them (R44).
    Action.VIEW_SERVICE_REQUESTS: ADMINS | {R.HELPDESK_AGENT},
    # R26: the partner's people.
    Action.MANAGE_USERS: frozenset({R.GLOBAL_ADMIN, R.USER_MANAGEMENT_ADMIN}),
    # R31, R33, R35: Global admins and Admin agents.
    Action.MANAGE_ADMIN_RELATIONSHIPS: ADMINS,
}

# R28: these roles (and staff) cannot work without two-step verification.
TWO_STEP_REQUIRED_ROLES = frozenset(
    {R.GLOBAL_ADMIN, R.ADMIN_AGENT, R.USER_MANAGEMENT_ADMIN}
)


def membership_of(user):
    """The user's partner membership with its partner and roles loaded, or None.

    Every partner page needs all three: one query with the partner joined plus one
    for the roles, once per request. The result goes where Django caches
    ``user.partner_membership``, so later reads of that attribute are free too.
    """
    if not user.is_authenticated:
        return None
    related = PartnerMembership._meta.get_field("user").remote_field
    if not related.is_cached(user):
        related.set_cached_value(
            user,
            PartnerMembership.objects.select_related("partner")
            .prefetch_related("roles")
            .filter(user=user)
            .first(),
        )
    return related.get_cached_value(user)


def can(membership, action: str) -> bool:
    if membership is None:
        return False
    return bool(membership.role_set & ROLES_FOR_ACTION[action])


def can_manage_invitation(membership, invitation) -> bool:
    """Admins manage every request of their partner; sales agents their own."""
    if membership is None or invitation.partner_id != membership.partner_id:
        return False
    if membership.role_set & ADMINS:
        return True
    return (
        Role.SALES_AGENT in membership.role_set
        and invitation.created_by_id == membership.user_id
    )


def roles_needed_message(action: str):
    labels = [str(Role(r).label) for r in Role.values if r in ROLES_FOR_ACTION[action]]
    return format_lazy(
        _("This page needs one of these partner roles: {roles}."),
        roles=", ".join(labels),
    )


def partner_required(action: str):
    """Decorator for partner views: signed in, a partner user, and allowed (R1).

    Sets ``request.membership`` and ``request.partner``. Refusals answer 403 with a
    page that names the roles needed; GET and POST alike.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = membership_of(request.user)
            if membership is None:
                raise PermissionDenied(
                    _("This page is for partner users. Sign in with a partner account.")
                )
            if not can(membership, action):
                raise PermissionDenied(roles_needed_message(action))
            request.membership = membership
            request.partner = membership.partner
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
