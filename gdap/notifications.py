"""What the partner's Global admins and Admin agents are told about admin
relationships (R23, R35, R43): kinds registered in ``GdapConfig.ready()``."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.notifications import register_kind
from core.services import notifications_send
from customers.notifications import partner_admins

PREFIX = "admin_relationship_"


def _in_days(params: dict) -> dict:
    days = int(params.get("days") or 0)
    in_days = ngettext("in %(count)s day", "in %(count)s days", days) % {"count": days}
    return {**params, "in_days": in_days}


def register_kinds() -> None:
    register_kind(
        PREFIX + "approved",
        label=_("Admin relationship approved"),
        message=_("%(customer)s approved the admin relationship “%(name)s”."),
        email_subject=_("%(customer)s approved the admin relationship “%(name)s”"),
        email_body=_(
            "%(customer)s approved the admin relationship “%(name)s” with "
            "%(partner)s. Assign a security group to it so that your people can "
            "use it."
        ),
    )
    register_kind(
        PREFIX + "declined",
        label=_("Admin relationship declined"),
        message=_("%(customer)s declined the admin relationship “%(name)s”."),
        email_subject=_("%(customer)s declined the admin relationship “%(name)s”"),
    )
    register_kind(
        PREFIX + "expiring",
        label=_("Admin relationship expiring"),
        message=_(
            "The admin relationship “%(name)s” with %(customer)s ends %(in_days)s."
        ),
        email_subject=_(
            "The admin relationship “%(name)s” with %(customer)s ends %(in_days)s"
        ),
        email_body=_(
            "The admin relationship “%(name)s” between %(partner)s and "
            "%(customer)s ends %(in_days)s. After that, nobody at %(partner)s can "
            "use it. Request a new one before then if you still need access."
        ),
        display_params=_in_days,
    )
    register_kind(
        PREFIX + "expired",
        label=_("Admin relationship expired"),
        message=_("The admin relationship “%(name)s” with %(customer)s has expired."),
        email_subject=_(
            "The admin relationship “%(name)s” with %(customer)s has expired"
        ),
    )
    register_kind(
        PREFIX + "terminated",
        label=_("Admin relationship terminated"),
        message=_(
            "The admin relationship “%(name)s” with %(customer)s was terminated."
        ),
        email_subject=_(
            "The admin relationship “%(name)s” with %(customer)s was terminated"
        ),
    )
    register_kind(
        PREFIX + "auto_extended",
        label=_("Admin relationship auto-extended"),
        message=_(
            "The admin relationship “%(name)s” with %(customer)s was extended by "
            "180 days."
        ),
        email_subject=_(
            "The admin relationship “%(name)s” with %(customer)s was extended"
        ),
    )


def notify_partner_admins(*, relationship_id: int, kind: str, **params) -> None:
    """Tell the partner's Global admins and Admin agents (and the requester), in
    their languages, by notice and email. Called after commit."""
    from gdap.models import AdminRelationship

    relationship = (
        AdminRelationship.objects.select_related("partner", "customer")
        .filter(pk=relationship_id)
        .first()
    )
    if relationship is None:
        return
    customer = relationship.customer
    notifications_send(
        recipients=partner_admins(relationship.partner_id, relationship.created_by_id),
        kind=PREFIX + kind,
        params={
            "name": relationship.name,
            "customer": customer.name if customer else "",
            "partner": relationship.partner.name,
            "relationship_id": relationship.pk,
            **params,
        },
        link=reverse("gdap:detail", kwargs={"relationship_id": relationship.pk}),
    )
