"""R42: admin relationships on the Overview's "Ending in the next 30 days".

Registered from ``GdapConfig.ready()``: the partner's active admin relationships
whose end falls in the window (whether or not they auto-extend: the end is
what a reader acts on), for those who manage them (R1). One query.
"""

from django.db.models import Count, F, Window
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.links import reverse_each
from gdap.models import AdminRelationship
from partners.overview import (
    ENDING_LIMIT,
    EndingItem,
    EndingSource,
    register_ending_source,
)
from partners.permissions import Action, can


def may_manage(membership) -> bool:
    return can(membership, Action.MANAGE_ADMIN_RELATIONSHIPS)


def admin_relationships_ending(*, partner, now, until, limit: int = ENDING_LIMIT):
    """The partner's admin relationships active at ``now`` and ending by
    ``until``, soonest first (at most ``limit``), and how many there are (a
    window count before the LIMIT: one query)."""
    rows = list(
        AdminRelationship.objects.usable(now=now)
        .filter(partner=partner, ends_at__lte=until)
        .annotate(customer_name=F("customer__name"), total=Window(Count("pk")))
        .order_by("ends_at", "id")
        .values_list(
            "pk", "name", "ends_at", "auto_extend", "customer_name", "total", named=True
        )[:limit]
    )
    return rows, rows[0].total if rows else 0


def ending_admin_relationships_source(*, partner, membership, now, until):
    rows, total = admin_relationships_ending(partner=partner, now=now, until=until)
    urls = reverse_each("gdap:detail", "relationship_id", [row.pk for row in rows])
    ends, extends = _("Admin relationship ends"), _("Admin relationship auto-extends")
    return EndingSource(
        label=_("Admin relationships"),
        items=[
            EndingItem(
                ends_at=row.ends_at,
                title=f"{row.name} — {row.customer_name}",
                what=extends if row.auto_extend else ends,
                url=urls[row.pk],
            )
            for row in rows
        ],
        total=total,
        list_url=reverse("gdap:list") + "?status=expiring",
        list_label=_("Admin relationships expiring in 30 days"),
    )


def register() -> None:
    register_ending_source(
        "admin_relationships",
        order=20,
        build=ending_admin_relationships_source,
        visible=may_manage,
    )
