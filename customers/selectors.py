"""Every read a customers view needs, scoped to the acting partner or customer.

Each returns a fixed number of queries whatever the number of rows.
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Case,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404

from core.converters import is_id
from customers import access as access_rules
from customers.access import NO_ACCESS, Access
from customers.models import (
    RelationshipEvent,
    ResellerRelationship,
    ServiceRequest,
    ServiceRequestNote,
    Subscription,
    SupportContact,
)
from partners.models import Partner

ORDERINGS = {
    # customer_name is the relationship's copy of the name: see rel_partner_name_idx.
    "name": ("customer_name", "customer_id"),
    "-name": ("-customer_name", "-customer_id"),
    "since": ("since", "id"),
    "-since": ("-since", "-id"),
    "country": ("customer__country", "customer_name", "customer_id"),
    "-country": ("-customer__country", "-customer_name", "-customer_id"),
    "subscriptions": ("subscription_count", "customer_name", "customer_id"),
    "-subscriptions": ("-subscription_count", "customer_name", "customer_id"),
    "requests": ("open_request_count", "customer_name", "customer_id"),
    "-requests": ("-open_request_count", "customer_name", "customer_id"),
}

# The admin-access filter of the Customers list: what a partner may do in the tenant.
ACCESS_FILTERS = {
    "dap": Q(dap_active=True),
    "reseller": Q(dap_active=False, dap_removed_at__isnull=True),
    "removed": Q(dap_active=False, dap_removed_at__isnull=False),
}


RECENT_EVENTS = 5


@dataclass(frozen=True)
class FormerCustomer:
    """What an ended relationship's card says of its customer: who it was, and
    nothing current (no domain, country, cloud, administrator)."""

    pk: int
    name: str
    domain: str = ""
    country: str = ""

    @property
    def id(self) -> int:
        return self.pk

    @classmethod
    def of(cls, relationship: ResellerRelationship) -> "FormerCustomer":
        return cls(
            pk=relationship.customer_id,
            name=relationship.customer_name or relationship.customer.name,
        )


@dataclass
class CustomerCard:
    """What one partner user may see of one customer (R11, R34)."""

    relationship: ResellerRelationship
    subscriptions: list = field(default_factory=list)
    users: list = field(default_factory=list)
    licenses: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    service_requests: list = field(default_factory=list)
    recent_events: list = field(default_factory=list)
    # R34: Users and Licenses, each decided by customers.access.
    access: Access = NO_ACCESS
    # R35/R36: the partner's active admin relationships with the customer
    # (ActiveAdminRelationship: name, end, link when the viewer may manage them).
    admin_relationships: list = field(default_factory=list)
    # Filled by list views that compute every row's links at once.
    detail_url: str = ""
    body_url: str = ""

    @property
    def dom_id(self) -> str:
        return f"card-{self.relationship.customer_id}"

    @property
    def customer(self):
        # R17: after the relationship ended, the former partner keeps its own
        # history, not a view of the tenant as it is now.
        if not self.relationship.is_active:
            return FormerCustomer.of(self.relationship)
        return self.relationship.customer

    @property
    def dap_active(self) -> bool:
        return self.relationship.dap_active

    @property
    def show_users(self) -> bool:
        return self.access.users

    @property
    def show_licenses(self) -> bool:
        return self.access.licenses

    @property
    def show_directory(self) -> bool:
        return self.access.directory


def _card_prefetches(partner: Partner, *, history: bool = True) -> list:
    """What a card's body shows; ``history=False`` leaves out its latest events
    (the customer's page shows the whole timeline instead)."""
    prefetches = [
        Prefetch(
            "customer__subscriptions",
            queryset=Subscription.objects.order_by("offer_name", "id"),
        ),
        "customer__directory_users",
        "customer__licenses",
        Prefetch(
            "support_contacts",
            queryset=SupportContact.objects.select_related("user").order_by(
                "-is_primary", "user__email"
            ),
        ),
        Prefetch(
            "customer__service_requests",
            queryset=ServiceRequest.objects.filter(partner=partner).order_by(
                "-created_at"
            ),
            to_attr="partner_service_requests",
        ),
    ]
    if history:
        prefetches.append(
            Prefetch(
                "events",
                # Sliced: the newest few per relationship (a window function),
                # not every event of a long history.
                queryset=RelationshipEvent.objects.select_related("actor").order_by(
                    "-created_at", "-id"
                )[:RECENT_EVENTS],
                to_attr="timeline",
            )
        )
    return prefetches


def card_build(
    relationship: ResellerRelationship,
    *,
    partner: Partner,
    access: Access,
    admin_relationships=(),
) -> CustomerCard:
    """Apply R11 and R34 to prefetched rows.

    Services: with DAP every subscription, else only those the partner
    provisioned (R11, DAP alone decides). Users and Licenses: each as ``access``
    (``customers.access.access_for``) decides, through DAP or admin roles (R34).
    R17: an ended relationship shows only what the partner itself did (the
    subscriptions it provisioned, its service requests, the timeline), nothing of
    the customer's tenant as it is now; ``access_for`` grants it nothing.
    """
    customer = relationship.customer
    # An ended relationship grants nothing more than a reseller-only one (R17).
    privileged = relationship.dap_active and relationship.is_active
    subscriptions = list(customer.subscriptions.all())
    if not privileged:
        subscriptions = [s for s in subscriptions if s.provisioned_by_id == partner.pk]
    if not relationship.is_active:
        access = NO_ACCESS
    return CustomerCard(
        relationship=relationship,
        subscriptions=subscriptions,
        users=list(customer.directory_users.all()) if access.users else [],
        licenses=list(customer.licenses.all()) if access.licenses else [],
        contacts=list(relationship.support_contacts.all()),
        service_requests=list(getattr(customer, "partner_service_requests", [])),
        recent_events=list(getattr(relationship, "timeline", []))[:RECENT_EVENTS],
        access=access,
        admin_relationships=list(admin_relationships),
    )


# What a collapsed card's head shows: read nothing more.
HEAD_FIELDS = (
    "id",
    "partner_id",
    "customer_id",
    "customer_name",
    "status",
    "dap_active",
    "since",
    "dap_removed_at",
    "customer__id",
    "customer__name",
    "customer__domain",
    "customer__country",
)


def _with_counts(qs, partner: Partner):
    """R11 counts for each row: the subscriptions the partner may see (all with
    admin privileges, else those it provisioned) and its open service requests.

    Two correlated ``COUNT`` subqueries inside the one query (one per row of the
    page), written as SQL: built and compiled by the ORM they were a third of a
    list's time, on every page and API call. Served by the (customer,
    provisioned_by) index and the service requests' (customer, ...) indexes.
    """
    quote = connection.ops.quote_name
    row = quote(ResellerRelationship._meta.db_table)
    subscriptions = quote(Subscription._meta.db_table)
    requests = quote(ServiceRequest._meta.db_table)
    # Only quoted table names are written into the text; values are parameters.
    visible = RawSQL(  # noqa: S611
        f"SELECT COUNT(*) FROM {subscriptions} s "  # noqa: S608
        f"WHERE s.customer_id = {row}.customer_id "
        f"AND ({row}.dap_active OR s.provisioned_by_id = %s)",
        (partner.pk,),
        output_field=IntegerField(),
    )
    open_requests = RawSQL(  # noqa: S611
        f"SELECT COUNT(*) FROM {requests} r "  # noqa: S608
        f"WHERE r.customer_id = {row}.customer_id AND r.partner_id = %s "
        "AND r.status <> %s",
        (partner.pk, ServiceRequest.Status.RESOLVED),
        output_field=IntegerField(),
    )
    return qs.annotate(subscription_count=visible, open_request_count=open_requests)


def customer_list_access(access: str) -> str:
    """The admin-access filter asked for when it is one the list offers, else all."""
    return access if access in ACCESS_FILTERS else ""


def _with_cards(qs, partner: Partner):
    return qs.prefetch_related(*_card_prefetches(partner))


def customer_list_order(order: str) -> str:
    """The order asked for when it is one the list offers, else by name."""
    return order if order in ORDERINGS else "name"


def customer_list(
    *,
    partner: Partner,
    search: str = "",
    order: str = "name",
    access: str = "",
    with_cards=False,
) -> QuerySet:
    """The partner's active relationships, searched and sorted.

    ``with_cards`` prefetches everything the cards show (for a page whose cards
    are expanded server-side); without it only the card heads' data is read.
    The name and date orders are served by an index on (partner, status, ...):
    a page costs the same queries, and about the same time, whatever the number
    of customers and whichever page it is. Each row carries its counts
    (``subscription_count``, ``open_request_count``) as correlated subqueries of
    the same query; sorting by a count or the country sorts the partner's rows.
    ``access`` is one of ACCESS_FILTERS ("dap", "reseller", "removed") or "".
    """
    search = search.strip()
    order = customer_list_order(order)
    qs = ResellerRelationship.objects.filter(
        partner=partner, status=ResellerRelationship.Status.ACTIVE
    ).select_related("customer")
    if search:
        qs = qs.filter(
            Q(customer__name__icontains=search) | Q(customer__domain__icontains=search)
        )
    access = customer_list_access(access)
    if access:
        qs = qs.filter(ACCESS_FILTERS[access])
    qs = _with_counts(qs, partner).order_by(*ORDERINGS[order])
    # R36: whether an admin relationship is active, as a badge (same query).
    qs = qs.annotate(**access_rules.list_annotations(partner_id=partner.pk))
    return _with_cards(qs, partner) if with_cards else qs.only(*HEAD_FIELDS)


def customer_relationship_get(
    *, partner: Partner, customer_id: int, history: bool = True
) -> ResellerRelationship:
    """The partner's relationship with this customer, active or ended; else 404.

    R17: another partner's customer is a 404, never a 403 that would confirm it.
    ``history=False``: without the card's latest events (a page that shows the
    whole timeline).
    """
    qs = ResellerRelationship.objects.select_related(
        "customer", "partner"
    ).prefetch_related(*_card_prefetches(partner, history=history))
    return get_object_or_404(qs, partner=partner, customer_id=customer_id)


def reseller_relationship_get(
    *, partner: Partner, relationship_id: int
) -> ResellerRelationship:
    """The partner's reseller relationship by its own id (the API's), active or
    ended; another partner's is a 404 (R17)."""
    return get_object_or_404(
        ResellerRelationship.objects.select_related("customer", "ended_by"),
        partner=partner,
        pk=relationship_id,
    )


def relationship_timeline(*, partner: Partner, customer_id: int, limit: int = 100):
    return list(
        RelationshipEvent.objects.filter(partner=partner, customer_id=customer_id)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def customer_relationships(*, customer) -> QuerySet:
    """A customer's partners, for its administrators (R12)."""
    return (
        ResellerRelationship.objects.filter(customer=customer)
        .select_related("partner", "ended_by")
        .prefetch_related(
            Prefetch(
                "support_contacts",
                queryset=SupportContact.objects.select_related("user").order_by(
                    "-is_primary", "user__email"
                ),
            )
        )
        .order_by("status", "partner__name")
    )


def customer_relationship_for_admin(*, customer, relationship_id: int):
    return get_object_or_404(
        ResellerRelationship.objects.select_related("partner", "customer"),
        pk=relationship_id,
        customer=customer,
    )


def active_relationship(
    *, partner: Partner, customer_id
) -> ResellerRelationship | None:
    """The partner's active relationship with this customer (its customer
    joined), else None; an id that cannot be one is None too.

    R17: a former partner learns nothing current about the customer (not even
    that the id is one), so only an active relationship names it."""
    if not is_id(customer_id):
        return None
    return (
        ResellerRelationship.objects.filter(
            partner=partner,
            customer_id=customer_id,
            status=ResellerRelationship.Status.ACTIVE,
        )
        .select_related("customer")
        .first()
    )


def request_target(*, partner: Partner, customer_id) -> tuple | None:
    """For "Request admin privileges" on a card: the partner's customer and the
    address of one of its administrators, to fill in the request (R11, R13)."""
    relationship = active_relationship(partner=partner, customer_id=customer_id)
    if relationship is None:
        return None
    admin = (
        relationship.customer.members.filter(is_admin=True)
        .select_related("user")
        .order_by("user__email")
        .first()
    )
    return relationship.customer, admin.user.email if admin else ""


def subscriptions_blocking_end(relationships) -> dict[int, list[Subscription]]:
    """R14: for each relationship, the active subscriptions its partner provisioned
    for its customer (what stops it from ending), in one query."""
    relationships = list(relationships)
    pairs = Q(pk__in=[])
    for r in relationships:
        pairs |= Q(customer_id=r.customer_id, provisioned_by_id=r.partner_id)
    by_pair: dict[tuple[int, int], list] = {}
    for sub in Subscription.objects.filter(
        pairs, status=Subscription.Status.ACTIVE
    ).order_by("offer_name", "id"):
        by_pair.setdefault((sub.customer_id, sub.provisioned_by_id), []).append(sub)
    return {r.pk: by_pair.get((r.customer_id, r.partner_id), []) for r in relationships}


# --- Service requests (R44) ---------------------------------------------------------

_SEVERITY_RANK = Case(
    *(
        When(severity=value, then=Value(rank))
        for rank, value in enumerate(ServiceRequest.Severity.values)
    ),
    default=Value(len(ServiceRequest.Severity.values)),
)
_STATUS_RANK = Case(
    *(
        When(status=value, then=Value(rank))
        for rank, value in enumerate(ServiceRequest.Status.values)
    ),
    default=Value(len(ServiceRequest.Status.values)),
)

# sort key -> ORDER BY; each ends with the id so that pages never overlap.
SERVICE_REQUEST_ORDERINGS = {
    "number": ("id",),
    "title": ("title", "id"),
    "customer": ("customer__name", "id"),
    "partner": ("partner__name", "id"),
    "severity": ("severity_rank", "-id"),
    "status": ("status_rank", "-id"),
    "opened": ("created_at", "id"),
    "updated": ("updated_at", "id"),
}
SERVICE_REQUEST_DEFAULT_ORDER = "-updated"


def service_request_order(order: str) -> str:
    """The sort asked for (a key, ``-`` first for descending) when it is one the
    lists offer, else the most recently updated first."""
    return (
        order
        if order.removeprefix("-") in SERVICE_REQUEST_ORDERINGS
        else SERVICE_REQUEST_DEFAULT_ORDER
    )


def _ordered(qs: QuerySet, order: str) -> QuerySet:
    order = service_request_order(order)
    columns = SERVICE_REQUEST_ORDERINGS[order.removeprefix("-")]
    if order.startswith("-"):
        columns = tuple(c[1:] if c.startswith("-") else f"-{c}" for c in columns)
    return qs.alias(severity_rank=_SEVERITY_RANK, status_rank=_STATUS_RANK).order_by(
        *columns
    )


def _filtered(
    qs: QuerySet, *, status: str, severity: str, search: str, customer_id
) -> QuerySet:
    if status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity=severity)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    search = search.strip()
    if search:
        matches = Q(title__icontains=search) | Q(customer__name__icontains=search)
        number = ServiceRequest.parse_number(search)
        if number is not None:
            matches |= Q(pk=number)
        qs = qs.filter(matches)
    return qs


def service_request_list(
    *,
    partner: Partner,
    status: str = "",
    severity: str = "",
    search: str = "",
    customer_id: int | None = None,
    order: str = SERVICE_REQUEST_DEFAULT_ORDER,
) -> QuerySet:
    """R44: the partner's service requests (R17: never another partner's), filtered
    by status, severity and customer, searched by number, title or customer name.

    The customer and the opener come in the same query: a page costs the same
    whatever the number of rows.
    """
    qs = ServiceRequest.objects.filter(partner=partner).select_related(
        "customer", "opened_by"
    )
    qs = _filtered(
        qs, status=status, severity=severity, search=search, customer_id=customer_id
    )
    return _ordered(qs, order)


def _visible_notes() -> Prefetch:
    # Internal notes are for support engineers only.
    return Prefetch(
        "notes",
        queryset=ServiceRequestNote.objects.filter(is_internal=False)
        .select_related("author")
        .order_by("created_at", "id"),
        to_attr="visible_notes",
    )


def service_request_get(*, partner: Partner, request_id: int) -> ServiceRequest:
    """One of the partner's service requests with the notes it may see; another
    partner's is a 404 (R17)."""
    qs = ServiceRequest.objects.select_related(
        "customer", "opened_by", "partner"
    ).prefetch_related(_visible_notes())
    return get_object_or_404(qs, partner=partner, pk=request_id)


def customer_service_request_list(
    *,
    customer,
    status: str = "",
    search: str = "",
    order: str = SERVICE_REQUEST_DEFAULT_ORDER,
) -> QuerySet:
    """R44: the service requests partners opened for the customer's organisation
    (R17: only its own)."""
    qs = ServiceRequest.objects.filter(customer=customer).select_related(
        "partner", "opened_by"
    )
    if status:
        qs = qs.filter(status=status)
    search = search.strip()
    if search:
        matches = Q(title__icontains=search) | Q(partner__name__icontains=search)
        number = ServiceRequest.parse_number(search)
        if number is not None:
            matches |= Q(pk=number)
        qs = qs.filter(matches)
    return _ordered(qs, order)


def customer_service_request_get(*, customer, request_id: int) -> ServiceRequest:
    """One of them with its non-internal notes; another organisation's is a 404."""
    qs = ServiceRequest.objects.select_related(
        "partner", "customer", "opened_by"
    ).prefetch_related(_visible_notes())
    return get_object_or_404(qs, customer=customer, pk=request_id)


# --- Overview (R42) ---------------------------------------------------------------


def overview_recent_events(*, partner: Partner, limit: int = 10) -> list:
    """The partner's latest relationship events (R17: its own), with the customer
    and the person who acted: one query, the few columns the panel shows
    (``created_at kind customer_id customer_name actor_id actor_first_name
    actor_last_name actor_email``), not three model instances a row."""
    return list(
        RelationshipEvent.objects.filter(partner=partner)
        .order_by("-created_at", "-id")
        .values_list(
            "created_at",
            "kind",
            "customer_id",
            "customer__name",
            "actor_id",
            "actor__first_name",
            "actor__last_name",
            "actor__email",
            named=True,
        )[:limit]
    )


def overview_open_service_requests(
    *, partner: Partner, limit: int = 5
) -> tuple[list, int]:
    """The partner's service requests not resolved: the ``limit`` latest opened,
    with their customer's name (``pk title status created_at customer_name``), and
    how many there are in all. Two queries: a window count beside the LIMIT made
    SQLite number every open request (6 ms of the Overview's 22 at 2,000), a plain
    COUNT reads the index."""
    open_requests = ServiceRequest.objects.filter(partner=partner).exclude(
        status=ServiceRequest.Status.RESOLVED
    )
    rows = list(
        open_requests.order_by("-created_at", "-id").values_list(
            "pk", "title", "status", "created_at", "customer__name", named=True
        )[:limit]
    )
    if len(rows) < limit:
        return rows, len(rows)
    return rows, open_requests.count()
