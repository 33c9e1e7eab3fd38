"""R34: what a partner user may see for a customer, decided in one function.

The union of (a) DAP, when active: the seed's R1/R11 (Global admins, Admin agents
and Helpdesk agents see users and licenses), and (b) the roles of every active,
unexpired admin relationship with the customer assigned to a security group the
user belongs to, always intersected with the user's partner roles (R1). Through
(b), Users need a role of ``role_catalogue.USERS_ROLES`` and Licenses one of
``LICENSES_ROLES``. Service requests stay as R16 and are not decided here.

``decide`` is the rule itself, a pure function of what it is given (the
table-driven test covers it); ``access_for`` reads what it needs for a page of
customers in one query per source and applies ``decide`` to each. Admin
relationships live in ``gdap``, above this app in the layers: ``gdap`` registers
its source with :func:`register_source` in its ``AppConfig.ready()``. A source
must compare end dates with the ``now`` it is given, so access ends the moment
the end date passes, whether or not any job has run.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from customers.role_catalogue import LICENSES_ROLES, USERS_ROLES
from partners.permissions import ROLES_FOR_ACTION, Action

# R1: the partner roles that may ever see a customer's users and licenses.
DIRECTORY_PARTNER_ROLES = ROLES_FOR_ACTION[Action.VIEW_USERS_LICENSES]


@dataclass(frozen=True)
class Access:
    """What one partner user may see of one customer's directory."""

    users: bool = False
    licenses: bool = False
    # Granted through DAP (the seed) rather than only through admin roles.
    via_dap: bool = False
    # The admin relationship roles the user holds for the customer right now.
    admin_roles: frozenset = frozenset()

    @property
    def directory(self) -> bool:
        return self.users or self.licenses


NO_ACCESS = Access()


def decide(
    *,
    partner_roles: Iterable[str],
    relationship_active: bool,
    dap_active: bool,
    admin_roles: Iterable[str] = (),
) -> Access:
    """R34 for one partner user and one customer.

    ``partner_roles``: the user's partner roles (R1); ``relationship_active``:
    the reseller relationship is active (an ended one shows nothing current,
    R17); ``dap_active``: DAP is active on it; ``admin_roles``: the roles of the
    user's assignments on active, unexpired admin relationships with the customer.
    """
    admin_roles = frozenset(admin_roles)
    if not relationship_active or not set(partner_roles) & DIRECTORY_PARTNER_ROLES:
        return Access(admin_roles=admin_roles)
    if dap_active:
        return Access(users=True, licenses=True, via_dap=True, admin_roles=admin_roles)
    return Access(
        users=bool(admin_roles & USERS_ROLES),
        licenses=bool(admin_roles & LICENSES_ROLES),
        admin_roles=admin_roles,
    )


@dataclass(frozen=True)
class ActiveAdminRelationship:
    """An active admin relationship as a card's Account section names it (R36)."""

    name: str
    ends_at: datetime
    url: str = ""


@dataclass(frozen=True)
class Source:
    """Where admin roles come from (registered by ``gdap``).

    ``roles(*, user_id, partner_id, customer_ids, now)`` -> {customer_id:
    frozenset of role codes} held by the user through security groups on
    relationships active and unexpired at ``now``; ``active(*, partner_id,
    customer_ids, now)`` -> {customer_id: [ActiveAdminRelationship, ...]}.
    Each costs a fixed number of queries whatever the number of customers.
    ``list_exists`` (optional) is described on the field.

    ``card(*, user_id, partner_id, customer_ids, now)`` -> ``(roles, active)``
    as the two above return them, in one query: a page of cards needs both
    (:func:`card_access`); a source without it is asked twice.

    The customer administrator's "Partner relationships" page (R32, R36) shows
    a section per source that has one: ``customer_section(*, customer, now)``
    -> the context of ``customer_template`` (a fixed number of queries), or
    None to show nothing.
    """

    key: str
    roles: Callable[..., dict]
    active: Callable[..., dict] = field(default=lambda **kwargs: {})
    card: Callable[..., tuple[dict, dict]] | None = None
    # ``list_exists(*, partner_id, now)`` -> a boolean expression over a row of
    # ResellerRelationship (``OuterRef("customer_id")``): the partner has an
    # active admin relationship with the customer. The Customers list shows it
    # as a badge, inside its one query (R36).
    list_exists: Callable[..., object] | None = None
    customer_section: Callable[..., dict | None] | None = None
    customer_template: str = ""


@dataclass(frozen=True)
class CustomerSection:
    """A source's section of the customer's "Partner relationships" page."""

    key: str
    template: str
    context: dict


SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> None:
    SOURCES[source.key] = source


def admin_roles_for(*, membership, customer_ids, now=None) -> dict[int, frozenset]:
    """The admin roles ``membership``'s user holds for each customer now."""
    now = now or timezone.now()
    customer_ids = list(customer_ids)
    merged: dict[int, frozenset] = {}
    if membership is None or not customer_ids:
        return merged
    for source in SOURCES.values():
        found = source.roles(
            user_id=membership.user_id,
            partner_id=membership.partner_id,
            customer_ids=customer_ids,
            now=now,
        )
        for customer_id, roles in found.items():
            merged[customer_id] = merged.get(customer_id, frozenset()) | roles
    return merged


def active_admin_relationships(
    *, partner_id: int, customer_ids, now=None
) -> dict[int, list]:
    """For each customer, the partner's active admin relationships (R36)."""
    now = now or timezone.now()
    customer_ids = list(customer_ids)
    merged: dict[int, list] = {}
    if not customer_ids:
        return merged
    for source in SOURCES.values():
        for customer_id, items in source.active(
            partner_id=partner_id, customer_ids=customer_ids, now=now
        ).items():
            merged.setdefault(customer_id, []).extend(items)
    return merged


def customer_sections(*, customer, now=None) -> list[CustomerSection]:
    """The sources' sections of ``customer``'s "Partner relationships" page, in
    the order the sources were registered."""
    now = now or timezone.now()
    sections = []
    for source in SOURCES.values():
        if source.customer_section is None or not source.customer_template:
            continue
        context = source.customer_section(customer=customer, now=now)
        if context is not None:
            sections.append(
                CustomerSection(
                    key=source.key, template=source.customer_template, context=context
                )
            )
    return sections


def access_for(*, membership, relationships, now=None) -> dict[int, Access]:
    """R34 for each of ``relationships`` (the partner's reseller relationships):
    {customer_id: Access}, for one query per source."""
    now = now or timezone.now()
    relationships = list(relationships)
    if membership is None:
        return {r.customer_id: NO_ACCESS for r in relationships}
    roles = admin_roles_for(
        membership=membership,
        customer_ids=[r.customer_id for r in relationships if r.is_active],
        now=now,
    )
    return {
        r.customer_id: decide(
            partner_roles=membership.role_set,
            relationship_active=r.is_active,
            dap_active=r.dap_active,
            admin_roles=roles.get(r.customer_id, frozenset()),
        )
        for r in relationships
    }


def card_access(
    *, membership, relationships, now=None
) -> tuple[dict[int, Access], dict[int, list]]:
    """What a page of Customers cards needs from admin relationships, for one
    query per source: R34 for each of ``relationships`` ({customer_id: Access},
    as :func:`access_for`) and the partner's active admin relationships with
    each customer ({customer_id: [ActiveAdminRelationship]}, as
    :func:`active_admin_relationships`, ended reseller relationships included:
    R35, they outlive it)."""
    now = now or timezone.now()
    relationships = list(relationships)
    if membership is None or not relationships:
        return {r.customer_id: NO_ACCESS for r in relationships}, {}
    customer_ids = [r.customer_id for r in relationships]
    live = {r.customer_id for r in relationships if r.is_active}
    roles: dict[int, frozenset] = {}
    active: dict[int, list] = {}
    for source in SOURCES.values():
        if source.card is not None:
            found, named = source.card(
                user_id=membership.user_id,
                partner_id=membership.partner_id,
                customer_ids=customer_ids,
                now=now,
            )
        else:
            found = source.roles(
                user_id=membership.user_id,
                partner_id=membership.partner_id,
                customer_ids=sorted(live),
                now=now,
            )
            named = source.active(
                partner_id=membership.partner_id, customer_ids=customer_ids, now=now
            )
        for customer_id, codes in found.items():
            if customer_id in live:
                roles[customer_id] = roles.get(customer_id, frozenset()) | codes
        for customer_id, items in named.items():
            active.setdefault(customer_id, []).extend(items)
    allowed = {
        r.customer_id: decide(
            partner_roles=membership.role_set,
            relationship_active=r.is_active,
            dap_active=r.dap_active,
            admin_roles=roles.get(r.customer_id, frozenset()),
        )
        for r in relationships
    }
    return allowed, active


def access_one(*, membership, relationship, now=None) -> Access:
    return access_for(membership=membership, relationships=[relationship], now=now)[
        relationship.customer_id
    ]


def list_annotations(*, partner_id: int, now=None) -> dict:
    """``{"admin_relationship_<key>": expression}`` for the Customers list's
    query (one correlated EXISTS a source, no extra query)."""
    now = now or timezone.now()
    return {
        f"admin_relationship_{source.key}": source.list_exists(
            partner_id=partner_id, now=now
        )
        for source in SOURCES.values()
        if source.list_exists is not None
    }


def has_admin_relationship(row) -> bool:
    """True when a row of the Customers list carries an active admin
    relationship (see ``list_annotations``)."""
    return any(getattr(row, f"admin_relationship_{key}", False) for key in SOURCES)
