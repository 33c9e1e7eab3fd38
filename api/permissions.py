"""R38: a token's scope. Read-only tokens may only read; what a token's user may
do beyond that is the portal's own rules (R1, R34), checked by the services."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from partners.permissions import can, roles_needed_message


class TokenScope(permissions.BasePermission):
    message = _(
        "This token is read only: create a read and write token to change data."
    )
    code = "read_only_token"

    def has_permission(self, request, view):
        token = request.auth
        if token is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return token.can_write


class PartnerRole(permissions.BasePermission):
    """R1 as the pages: a view names the action (partners.permissions.Action)
    its page needs, ``required_action`` (every method) or ``required_actions``
    by method ({"GET": ..., "POST": ...}; ``role_actions`` is read too); a
    token's user without one of its roles gets 403 ``role_required`` with the
    page's own message, before any lookup."""

    code = "role_required"

    def has_permission(self, request, view):
        actions = (
            getattr(view, "required_actions", None)
            or getattr(view, "role_actions", None)
            or {}
        )
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        action = actions.get(method) or getattr(view, "required_action", None)
        if action is None:
            return True
        if can(getattr(request.user, "partner_membership", None), action):
            return True
        self.message = roles_needed_message(action)
        return False
