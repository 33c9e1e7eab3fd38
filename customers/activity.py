"""R41: the activity log, every event of a partner (or of a customer's
organisation) in one list, newest first.

Events live in several apps: ``customers`` (RelationshipEvent), ``partners``
(PartnerUserEvent: people changes) and ``gdap`` (GdapEvent: admin
relationships, assignments, security groups). ``customers`` cannot import
``gdap``, so each app registers an :class:`ActivitySource` with
:func:`register_activity_source` (``customers`` in :func:`register`, called
from ``CustomersConfig.ready()``; ``gdap`` in ``GdapConfig.ready()``).

The log is one SQL ``UNION ALL`` of the sources' rows, each reduced to the same
columns (time, kind, customer, partner, actor, details), ordered and sliced by
the database: a page costs one query (two when it needs the count), whatever
the number of events or sources, and the CSV export streams the same query.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import F, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The columns every source gives, in this order (the UNION matches by position).
COLUMNS = (
    "event_source",
    "event_id",
    "event_at",
    "event_kind",
    "event_customer_id",
    "event_customer_name",
    "event_partner_id",
    "event_partner_name",
    "event_actor_id",
    "event_actor_first_name",
    "event_actor_last_name",
    "event_actor_email",
    "event_actor_staff",
    "event_details",
    "event_note",
)


def _always(membership) -> bool:
    return True


@dataclass(frozen=True)
class ActivitySource:
    """One app's events.

    ``model``: the event model (fields ``partner``, ``kind``, ``actor``,
    ``details``, a time field named by ``time_field``, and a ``customer`` foreign
    key unless ``customer_field`` is empty); ``kinds``: its ``Kind`` choices;
    ``label``: how the action filter groups them; ``visible(membership)``: the
    partner users who see this source (R1); ``customer_kinds``: the kinds a
    customer administrator sees of their organisation (empty: none);
    ``note``: a path whose text the details column adds (e.g.
    ``"relationship__name"``); ``describe(kind, details, note)``: the details
    column, a short text.
    """

    key: str
    model: type[models.Model]
    kinds: type[models.TextChoices]
    label: object
    time_field: str = "at"
    customer_field: str = "customer"
    visible: Callable[..., bool] = _always
    customer_kinds: frozenset = frozenset()
    note: str = ""
    describe: Callable[..., str] = field(default=lambda kind, details, note: "")

    def kind_choices(self, *, for_customer: bool = False) -> list[tuple[str, str]]:
        return [
            (f"{self.key}:{value}", str(label))
            for value, label in self.kinds.choices
            if not for_customer or value in self.customer_kinds
        ]


SOURCES: dict[str, ActivitySource] = {}


def register_activity_source(source: ActivitySource) -> None:
    SOURCES[source.key] = source


@dataclass(frozen=True)
class Scope:
    """Whose log: a partner's (as ``membership`` may see it) or a customer's."""

    partner: object = None
    membership: object = None
    customer: object = None

    @property
    def for_customer(self) -> bool:
        return self.customer is not None

    def sources(self) -> list[ActivitySource]:
        if self.for_customer:
            return [
                s for s in SOURCES.values() if s.customer_kinds and s.customer_field
            ]
        return [s for s in SOURCES.values() if s.visible(self.membership)]


@dataclass(frozen=True)
class Filters:
    """The cleaned filters (each None: not filtered). ``start`` and ``end`` are
    aware instants, ``end`` excluded; ``action`` is ``"source:kind"``."""

    start: datetime | None = None
    end: datetime | None = None
    customer_id: int | None = None
    partner_id: int | None = None
    action: str | None = None
    actor_id: int | None = None


def _scoped(source: ActivitySource, scope: Scope) -> models.QuerySet:
    rows = source.model._default_manager.all()
    if scope.for_customer:
        return rows.filter(
            **{source.customer_field: scope.customer},
            kind__in=sorted(source.customer_kinds),
        )
    return rows.filter(partner=scope.partner)


def _filtered(source, scope, filters: Filters) -> models.QuerySet | None:
    """The source's rows in scope matching ``filters``; None when none can."""
    rows = _scoped(source, scope)
    if filters.action:
        key, _sep, kind = filters.action.partition(":")
        if key != source.key:
            return None
        rows = rows.filter(kind=kind)
    if filters.customer_id is not None:
        if not source.customer_field:
            return None
        rows = rows.filter(**{f"{source.customer_field}_id": filters.customer_id})
    if filters.partner_id is not None:
        rows = rows.filter(partner_id=filters.partner_id)
    if filters.actor_id is not None:
        rows = rows.filter(actor_id=filters.actor_id)
    if filters.start is not None:
        rows = rows.filter(**{f"{source.time_field}__gte": filters.start})
    if filters.end is not None:
        rows = rows.filter(**{f"{source.time_field}__lt": filters.end})
    return rows


def _columns(source: ActivitySource, rows: models.QuerySet) -> models.QuerySet:
    customer = source.customer_field
    if customer:
        customer_id, customer_name = F(f"{customer}_id"), F(f"{customer}__name")
    else:
        customer_id = Value(None, output_field=models.BigIntegerField())
        customer_name = Value(None, output_field=models.CharField())
    note = (
        F(source.note) if source.note else Value(None, output_field=models.CharField())
    )
    expressions = {
        "event_source": Value(source.key, output_field=models.CharField()),
        "event_id": F("pk"),
        "event_at": F(source.time_field),
        "event_kind": F("kind"),
        "event_customer_id": customer_id,
        "event_customer_name": customer_name,
        "event_partner_id": F("partner_id"),
        "event_partner_name": F("partner__name"),
        "event_actor_id": F("actor_id"),
        "event_actor_first_name": F("actor__first_name"),
        "event_actor_last_name": F("actor__last_name"),
        "event_actor_email": F("actor__email"),
        "event_actor_staff": F("actor__is_staff"),
        "event_details": F("details"),
        "event_note": note,
    }
    return rows.order_by().values(**{name: expressions[name] for name in COLUMNS})


def events(scope: Scope, filters: Filters = Filters()) -> models.QuerySet | None:
    """Every event of ``scope`` matching ``filters``, newest first, as one
    query (rows of :data:`COLUMNS`); None when no source can match."""
    parts = []
    for source in scope.sources():
        rows = _filtered(source, scope, filters)
        if rows is not None:
            parts.append(_columns(source, rows))
    if not parts:
        return None
    first, *others = parts
    combined = first.union(*others, all=True) if others else first
    return combined.order_by("-event_at", "-event_id", "event_source")


@dataclass(frozen=True)
class Entry:
    """One line of the log, as the page and the CSV show it."""

    source: str
    at: datetime
    kind: str
    action: str
    customer_id: int | None
    customer: str
    partner_id: int
    partner: str
    person: str
    details: str


class Labels:
    """The texts of a listing, translated once (the CSV is written after the
    view returns, perhaps without its language)."""

    def __init__(self, sources):
        self.actions = {
            (s.key, value): str(label)
            for s in sources
            for value, label in s.kinds.choices
        }
        self.describe = {s.key: s.describe for s in sources}
        self.system = _("System")
        self.staff = _("Support staff")

    def entry(self, row: dict) -> Entry:
        source, kind = row["event_source"], row["event_kind"]
        if row["event_actor_id"] is None:
            person = self.system
        elif row["event_actor_staff"]:
            person = self.staff
        else:
            name = f"{row['event_actor_first_name']} {row['event_actor_last_name']}"
            person = name.strip() or row["event_actor_email"]
        details = row["event_details"]
        return Entry(
            source=source,
            at=row["event_at"],
            kind=kind,
            action=self.actions.get((source, kind), kind),
            customer_id=row["event_customer_id"],
            customer=row["event_customer_name"] or "",
            partner_id=row["event_partner_id"],
            partner=row["event_partner_name"] or "",
            person=person,
            details=self.describe[source](
                kind, details if isinstance(details, dict) else {}, row["event_note"]
            ),
        )


class Listing:
    """The events of a scope as a sequence for ``core.pagination`` (``count``
    and slices of :class:`Entry`): the slice is the union's LIMIT/OFFSET."""

    def __init__(self, scope: Scope, filters: Filters = Filters()):
        self.rows = events(scope, filters)
        self.labels = Labels(scope.sources())

    def count(self) -> int:
        return 0 if self.rows is None else self.rows.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if self.rows is None:
            return [] if isinstance(index, slice) else None
        if isinstance(index, slice):
            return [self.labels.entry(row) for row in self.rows[index]]
        return self.labels.entry(self.rows[index])

    def __iter__(self):
        """Every entry, read in chunks (constant memory, for the CSV)."""
        if self.rows is None:
            return
        for row in self.rows.iterator(chunk_size=500):
            yield self.labels.entry(row)


def latest(scope: Scope, limit: int = 50) -> list[Entry]:
    """The scope's last ``limit`` events (one query)."""
    return Listing(scope)[:limit]


# --- What the filters offer ----------------------------------------------------------


def action_groups(scope: Scope) -> list[tuple[str, list[tuple[str, str]]]]:
    """The action filter's options, grouped by source: (label, [(value, label)])."""
    return [
        (str(s.label), s.kind_choices(for_customer=scope.for_customer))
        for s in scope.sources()
    ]


def _union_ids(scope: Scope, column: str) -> list:
    return [
        _scoped(s, scope).order_by().values(column)
        for s in scope.sources()
        if column != "customer_id" or s.customer_field
    ]


def customer_choices(*, partner, scope: Scope) -> list[tuple[int, str]]:
    """The partner's customers, current and former (every reseller
    relationship, ended ones included, and every customer an event names):
    one query."""
    from customers.models import Customer, ResellerRelationship

    condition = Q(
        pk__in=ResellerRelationship.objects.filter(partner=partner).values(
            "customer_id"
        )
    )
    for source in scope.sources():
        if source.customer_field:
            condition |= Q(
                pk__in=_scoped(source, scope)
                .order_by()
                .values(f"{source.customer_field}_id")
            )
    return list(
        Customer.objects.filter(condition)
        .order_by("name", "pk")
        .values_list("pk", "name")
    )


def partner_choices(*, customer, scope: Scope) -> list[tuple[int, str]]:
    """The partners of the customer's organisation (reseller relationships,
    ended ones included, and every partner its events name): one query."""
    from customers.models import ResellerRelationship
    from partners.models import Partner

    condition = Q(
        pk__in=ResellerRelationship.objects.filter(customer=customer).values(
            "partner_id"
        )
    )
    for source in scope.sources():
        condition |= Q(pk__in=_scoped(source, scope).order_by().values("partner_id"))
    return list(
        Partner.objects.filter(condition)
        .order_by("name", "pk")
        .values_list("pk", "name")
    )


def person_choices(*, scope: Scope) -> list[tuple[int, str]]:
    """The people who acted in the scope's events (staff, shown as "Support
    staff", are not offered): one query."""
    condition = Q(pk__in=[])
    for source in scope.sources():
        condition |= Q(
            pk__in=_scoped(source, scope)
            .filter(actor__isnull=False)
            .order_by()
            .values("actor_id")
        )
    users = (
        get_user_model()
        .objects.filter(condition, is_staff=False)
        .order_by("first_name", "last_name", "email", "pk")
        .values_list("pk", "first_name", "last_name", "email")
    )
    out = []
    for pk, first, last, email in users:
        name = f"{first} {last}".strip()
        out.append((pk, f"{name} ({email})" if name else email))
    return out


def day_start(day) -> datetime | None:
    """The first instant of ``day`` in the current time zone (R45: the
    user's), in UTC; None when it is outside what a date-time can hold."""
    try:
        local = timezone.make_aware(
            datetime.combine(day, time.min), timezone.get_current_timezone()
        )
        return local.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def day_end(day) -> datetime | None:
    """The instant ``day`` ends (the next day's first), or None (unbounded)."""
    try:
        return day_start(day + timedelta(days=1))
    except OverflowError:
        return None


# --- The sources of this app and of partners ----------------------------------------


def _relationship_details(kind, details, note) -> str:
    parts = []
    number = details.get("number")
    title = details.get("title")
    if number or title:
        parts.append(" ".join(str(p) for p in (number, title) if p))
    reason = details.get("reason")
    if reason:
        parts.append(str(reason))
    return " · ".join(parts)


def _people_details(kind, details, note) -> str:
    if kind in ("token_created", "token_revoked"):
        # R38: the token's name and prefix (never its key, which nothing stores).
        return f"{details.get('name', '')} ({details.get('prefix', '')}…)"
    email = details.get("email") or ""
    return str(email)


def register() -> None:
    """Called from ``CustomersConfig.ready()``: relationship events and the
    partner's people changes."""
    from customers.models import RelationshipEvent
    from partners.models import PartnerUserEvent
    from partners.permissions import ADMINS, ROLES_FOR_ACTION, Action

    people_roles = ADMINS | ROLES_FOR_ACTION[Action.MANAGE_USERS]

    register_activity_source(
        ActivitySource(
            key="relationship",
            model=RelationshipEvent,
            kinds=RelationshipEvent.Kind,
            label=gettext_lazy("Customers"),
            time_field="created_at",
            customer_kinds=frozenset(RelationshipEvent.Kind.values),
            describe=_relationship_details,
        )
    )
    register_activity_source(
        ActivitySource(
            key="people",
            model=PartnerUserEvent,
            kinds=PartnerUserEvent.Kind,
            label=gettext_lazy("Users"),
            customer_field="",
            # R1: what the Users page shows, for those who manage people and
            # for the admins.
            visible=lambda membership: bool(
                membership is not None and membership.role_set & people_roles
            ),
            describe=_people_details,
        )
    )
