"""R45: a customer member's time zone, for core.timezones."""

from core.timezones import zone_name_for
from customers.models import CustomerMembership


def customer_membership_of(user):
    """The user's customer membership with its customer, or None: one query, cached
    where Django caches ``user.customer_membership`` (pages read it next)."""
    if not user.is_authenticated:
        return None
    related = CustomerMembership._meta.get_field("user").remote_field
    if not related.is_cached(user):
        related.set_cached_value(
            user,
            CustomerMembership.objects.select_related("customer")
            .filter(user=user)
            .first(),
        )
    return related.get_cached_value(user)


def customer_member_zone(user) -> str | None:
    """Their own zone, else their organisation's country's; None otherwise."""
    membership = customer_membership_of(user)
    if membership is None:
        return None
    return zone_name_for(membership.time_zone, membership.customer.country)
