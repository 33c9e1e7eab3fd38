"""R38: a token's scope. Read-only tokens may only read; what a token's user may
do beyond that is the portal's own rules (R1, R34), checked by the services."""

from rest_framework import permissions


class TokenScope(permissions.BasePermission):
    message = "This token is read only."

    def has_permission(self, request, view):
        token = request.auth
        if token is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return token.can_write
