"""R45: a partner user's time zone, for core.timezones."""

from core.timezones import zone_name_for
from partners.permissions import membership_of


def partner_user_zone(user) -> str | None:
    """Their own zone, else their partner's country's; None when not a partner user.

    Reads the membership the way every partner page does (``membership_of``,
    cached on the user), so it costs no query a page does not run anyway."""
    membership = membership_of(user)
    if membership is None:
        return None
    return zone_name_for(membership.time_zone, membership.partner.country)
