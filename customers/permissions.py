from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _


def customer_admin_membership(user):
    """The user's membership when they administer a customer organisation, else None.

    The one answer to "is this a customer administrator?" (pages and services)."""
    if user is None or not user.is_authenticated:
        return None
    membership = getattr(user, "customer_membership", None)
    return membership if membership is not None and membership.is_admin else None


def customer_admin_required(view):
    """Signed in as an administrator of a customer organisation (R17: own org only)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = customer_admin_membership(request.user)
        if membership is None:
            raise PermissionDenied(
                _("This page is for administrators of a customer organisation.")
            )
        request.customer_membership = membership
        request.customer = membership.customer
        return view(request, *args, **kwargs)

    return wrapped
