"""Every write to partners and their people."""

from django.conf import settings

from partners.models import PartnerMembership


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
