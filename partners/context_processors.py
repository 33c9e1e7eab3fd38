from django.utils.functional import SimpleLazyObject

from partners.permissions import ROLES_FOR_ACTION, can, membership_of


def portal(request):
    """Who is signed in, for which organisation, and which partner actions they have."""
    user = getattr(request, "user", None)

    def _membership():
        return membership_of(user) if user is not None else None

    def _customer_membership():
        if user is None or not user.is_authenticated:
            return None
        return getattr(user, "customer_membership", None)

    membership = SimpleLazyObject(_membership)

    def _perms():
        m = membership_of(user) if user is not None else None
        return {action: can(m, action) for action in ROLES_FOR_ACTION}

    # Where the page is, for aria-current in the navigation; plain strings so a
    # 404 page (no resolver match) renders without failed lookups in the logs.
    match = getattr(request, "resolver_match", None)
    nav_here = {
        "namespace": (match.namespace if match else "") or "",
        "url_name": (match.url_name if match else "") or "",
    }

    return {
        "nav_here": nav_here,
        "membership": membership,
        "customer_membership": SimpleLazyObject(_customer_membership),
        "perms_partner": SimpleLazyObject(_perms),
    }
