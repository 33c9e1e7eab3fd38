"""R41: admin relationship events in the activity log (``customers.activity``),
registered in ``GdapConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from customers.activity import ActivitySource, register_activity_source
from gdap.models import GdapEvent
from partners.permissions import Action, can

K = GdapEvent.Kind
# What a customer administrator sees of their organisation's admin
# relationships: their life, not the partner's own security groups,
# assignments or reminders.
CUSTOMER_KINDS = frozenset(
    {
        K.REQUESTED,
        K.APPROVED,
        K.DECLINED,
        K.TERMINATED,
        K.EXPIRED,
        K.AUTO_EXTENDED,
        K.AUTO_EXTEND_ON,
        K.AUTO_EXTEND_OFF,
        K.GLOBAL_ADMIN_REMOVED,
    }
)


def describe(kind, details, note) -> str:
    """The details column: the admin relationship's name, the group (or the
    group's new name), a reason when one was given."""
    parts = []
    if note:
        parts.append(str(note))
    group = details.get("group") or details.get("name")
    if kind == K.GROUP_RENAMED:
        group = f"{details.get('from', '')} → {details.get('to', '')}"
    if group and group != note:
        parts.append(str(group))
    reason = details.get("reason")
    if reason and reason != "user_removed":
        parts.append(str(reason))
    return " · ".join(parts)


def register() -> None:
    register_activity_source(
        ActivitySource(
            key="gdap",
            model=GdapEvent,
            kinds=GdapEvent.Kind,
            label=_("Admin relationships"),
            # R1: those who see the Admin relationships pages.
            visible=lambda membership: can(
                membership, Action.MANAGE_ADMIN_RELATIONSHIPS
            ),
            customer_kinds=frozenset(k.value for k in CUSTOMER_KINDS),
            note="relationship__name",
            describe=describe,
        )
    )
