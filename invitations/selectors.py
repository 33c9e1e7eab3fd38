from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import Count, F, QuerySet, Window
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.countries import country_name
from core.models import OutgoingEmail
from customers.models import Customer, CustomerMembership, ResellerRelationship
from customers.permissions import customer_admin_membership
from invitations import tokens
from invitations.models import Invitation
from partners.models import Cloud, Partner


def invitation_list(*, partner: Partner, status: str = "") -> QuerySet:
    """The partner's requests, newest first (R17: only theirs)."""
    # The list shows neither the draft nor most of the people's columns; the names
    # it shows come as columns, not as a User and a Customer built for every row.
    # Admin relationships' requests are listed on their own page (R36).
    qs = (
        Invitation.objects.filter(partner=partner, kind=Invitation.Kind.RESELLER)
        .only(
            "id",
            "partner_id",
            "status",
            "include_dap",
            "recipient_email",
            "sent_at",
            "expires_at",
            "created_by_id",
            "customer_id",
            "first_opened_at",
            "last_email_id",
        )
        .annotate(
            # R22: the delivery of the latest email sent from the portal.
            email_status=F("last_email__status"),
            email_sent_at=F("last_email__sent_at"),
            email_error=F("last_email__last_error"),
            creator_email=F("created_by__email"),
            creator_first_name=F("created_by__first_name"),
            creator_last_name=F("created_by__last_name"),
            customer_name=F("customer__name"),
        )
    )
    if status:
        qs = qs.with_effective_status(status)
    return qs.order_by("-sent_at", "-id")


def invitation_get(*, partner: Partner, invitation_id: int) -> Invitation:
    """One of the partner's invitations; another partner's id is a 404 (R17)."""
    return get_object_or_404(
        Invitation.objects.select_related("partner", "created_by", "last_email"),
        pk=invitation_id,
        partner=partner,
    )


@dataclass(frozen=True)
class Delivery:
    """R22: what became of the latest email sent from the portal."""

    code: str  # "queued", "sent", "failed", "opened"
    label: str
    sent_at: object = None
    reason: str = ""


def delivery(*, status, sent_at, error, opened_at, labels=None) -> Delivery | None:
    """Queued / Sent (with its time) / Failed (with the reason); Opened once a
    person acted on the acceptance page after it was sent. None: never sent
    from the portal. ``labels`` (code -> text) spares a page of rows the lookups.
    """
    if not status:
        return None
    labels = labels or delivery_labels()
    if status == OutgoingEmail.Status.SENT and opened_at is not None:
        return Delivery("opened", labels["opened"], sent_at)
    return Delivery(
        status, labels[status], sent_at, error if status == "failed" else ""
    )


def delivery_labels() -> dict[str, str]:
    labels = {value: str(label) for value, label in OutgoingEmail.Status.choices}
    labels["opened"] = str(pgettext("email delivery", "Opened"))
    return labels


def _invitation_or_none(invitation_id) -> Invitation | None:
    """The invitation a link or a session claims, with what its pages show."""
    if not isinstance(invitation_id, int):
        return None
    return (
        Invitation.objects.select_related(
            "partner", "customer", "relationship", "created_by"
        )
        .filter(pk=invitation_id)
        .first()
    )


def invitation_from_token(token: str) -> Invitation:
    """The invitation a genuine, current link belongs to; anything else is 404.

    An unknown id and a wrong digest look the same, so a link never tells whether
    some other invitation exists.
    """
    invitation = _invitation_or_none(tokens.parse_token(token))
    if not tokens.check_token(invitation, token):
        raise Http404
    return invitation


def invitation_from_session(data) -> Invitation:
    """The invitation whose link was opened in this session; 404 if it changed since."""
    invitation_id = data.get("id") if isinstance(data, dict) else None
    invitation = _invitation_or_none(invitation_id)
    if not tokens.check_session_proof(invitation, data):
        raise Http404
    return invitation


# --- Overview (R42) ---------------------------------------------------------------

# What the requests chart counts, in the order of its bars and legend.
ACTIVITY_SERIES = ("sent", "opened", "accepted", "declined", "expired")


@dataclass(frozen=True)
class ActivityBucket:
    """How many of the partner's requests were sent, first opened, accepted,
    declined and expired between ``start`` (included) and ``end`` (excluded)."""

    start: datetime
    end: datetime
    sent: int = 0
    opened: int = 0
    accepted: int = 0
    declined: int = 0
    expired: int = 0

    @property
    def first_day(self):
        return timezone.localtime(self.start).date()

    @property
    def last_day(self):
        return timezone.localtime(self.end - timedelta(microseconds=1)).date()

    def count(self, series: str) -> int:
        return getattr(self, series)


def activity_bucket_bounds(
    *, now: datetime, days: int = 90, bucket_days: int = 7
) -> list[tuple[datetime, datetime]]:
    """The buckets of the last ``days`` days, oldest first, in whole local days.

    The newest bucket ends at the end of today (in the active time zone) and each
    holds ``bucket_days`` days, except the oldest, which holds what is left:
    90 days are 12 weeks and 6 days.
    """
    today = timezone.localtime(now).date()
    first_day = today - timedelta(days=days - 1)

    # Midnights, made aware one by one so a change of summer time falls right.
    def midnight(d):
        return timezone.make_aware(datetime.combine(d, time.min))

    bounds = []
    end = today + timedelta(days=1)
    while end > first_day:
        start = max(end - timedelta(days=bucket_days), first_day)
        bounds.append((midnight(start), midnight(end)))
        end = start
    return bounds[::-1]


def _activity_sql(partner_id: int, bounds, now: datetime) -> tuple[str, list]:
    """The chart's one query: ``(series, week index, count)`` rows.

    Each series is the moment a request counts in it: sent, first opened,
    answered (accepted or declined), and expired (a pending link past its date
    is expired, with_effective_status, at ``expires_at``, never in the future).
    """
    ops = connection.ops
    table = ops.quote_name(Invitation._meta.db_table)

    def column(name):
        return ops.quote_name(Invitation._meta.get_field(name).column)

    def moment(value):
        return ops.adapt_datetimefield_value(value)

    status = column("status")
    Status = Invitation.Status
    series = (
        ("sent", "sent_at", "", []),
        ("opened", "first_opened_at", "", []),
        ("accepted", "responded_at", f" AND {status} = %s", [Status.ACCEPTED]),
        ("declined", "responded_at", f" AND {status} = %s", [Status.DECLINED]),
        (
            "expired",
            "expires_at",
            f" AND {status} IN (%s, %s) AND {column('expires_at')} < %s",
            [Status.EXPIRED, Status.PENDING, moment(now)],
        ),
    )
    ends = [moment(end) for _start, end in bounds]
    window = [moment(bounds[0][0]), ends[-1]]
    parts, params = [], []
    for name, field_name, extra, extra_params in series:
        col = column(field_name)
        weeks = " ".join(f"WHEN {col} < %s THEN {i}" for i in range(len(ends)))
        # Only quoted names, this module's series names and placeholders are
        # written into the text; every value is a parameter.
        parts.append(
            f"SELECT '{name}' AS series, CASE {weeks} END AS week FROM {table} "  # noqa: S608
            f"WHERE {column('partner')} = %s AND {col} >= %s AND {col} < %s{extra}"
        )
        params += [*ends, partner_id, *window, *extra_params]
    sql = (
        "SELECT series, week, COUNT(*) FROM ("  # noqa: S608
        + " UNION ALL ".join(parts)
        + ") moments GROUP BY series, week"
    )
    return sql, params


def invitation_activity_by_week(
    *, partner: Partner, now: datetime, days: int = 90
) -> list[ActivityBucket]:
    """R42: the partner's requests by status over the last ``days`` days, by week.

    One query whatever the number of requests (R17: the partner's only), counted
    by the database: for each series, the moments in the window, each given its
    week by a CASE over the weeks' ends (in the person's zone, so a change of
    summer time falls right), grouped. Written as SQL: the ORM spent longer
    compiling 65 filtered aggregates than counting, and reading every request of
    the window to count it here grew with the partner's requests.
    """
    bounds = activity_bucket_bounds(now=now, days=days)
    counts = [dict.fromkeys(ACTIVITY_SERIES, 0) for _ in bounds]
    with connection.cursor() as cursor:
        cursor.execute(*_activity_sql(partner.pk, bounds, now))
        for series, week, count in cursor.fetchall():
            counts[week][series] = count
    return [
        ActivityBucket(start=start, end=end, **counts[i])
        for i, (start, end) in enumerate(bounds)
    ]


def invitations_ending(
    *, partner: Partner, now: datetime, until: datetime, limit: int = 10
) -> tuple[list[Invitation], int]:
    """R42: the partner's pending requests whose link expires after ``now`` and
    by ``until``, soonest first (at most ``limit``), and how many there are.

    One query: the total is a window count, taken before the LIMIT.
    """
    rows = list(
        Invitation.objects.filter(
            partner=partner,
            status=Invitation.Status.PENDING,
            expires_at__gt=now,
            expires_at__lte=until,
        )
        .only("id", "partner_id", "recipient_email", "expires_at", "customer_id")
        .annotate(customer_name=F("customer__name"), total=Window(Count("pk")))
        .order_by("expires_at", "id")[:limit]
    )
    return rows, rows[0].total if rows else 0


# --- Who may accept (R4, R9, R45) ---------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    """Whether the signed-in person may accept the invitation, and if not, why.

    The one answer for the acceptance page (no Accept button when ``code`` is set)
    and for ``services.invitation_accept`` (which refuses with the same reason)."""

    membership: CustomerMembership | None = None
    code: str = ""
    reason: str = ""
    can_decline: bool = False

    @property
    def can_accept(self) -> bool:
        return not self.code


def customer_mismatch(invitation: Invitation, customer: Customer):
    """R4: (code, message naming both) when the customer is in another country/region
    or cloud than the invitation's partner, else None."""
    partner = invitation.partner
    if customer.country != partner.country:
        return (
            "country_mismatch",
            _(
                "%(partner)s is in %(partner_country)s and can have reseller "
                "relationships only with customers in %(partner_country)s. "
                "%(customer)s is in %(customer_country)s."
            )
            % {
                "partner": partner.name,
                "partner_country": country_name(partner.country),
                "customer": customer.name,
                "customer_country": country_name(customer.country),
            },
        )
    if customer.cloud != partner.cloud:
        return (
            "cloud_mismatch",
            _(
                "%(partner)s works in %(partner_cloud)s; %(customer)s is in "
                "%(customer_cloud)s. A relationship needs both in the same cloud."
            )
            % {
                "partner": partner.name,
                "partner_cloud": Cloud(partner.cloud).label,
                "customer": customer.name,
                "customer_cloud": Cloud(customer.cloud).label,
            },
        )
    return None


def already_partner(invitation: Invitation, customer: Customer) -> bool:
    """Accepting would change nothing: the relationship is active and already has
    what the invitation asks for (a DAP request after DAP was removed, or one for
    an ended relationship, still restores it: R13)."""
    relationship = (
        ResellerRelationship.objects.filter(
            partner_id=invitation.partner_id,
            customer=customer,
            status=ResellerRelationship.Status.ACTIVE,
        )
        .only("dap_active")
        .first()
    )
    if relationship is None:
        return False
    return relationship.dap_active or not invitation.include_dap


def not_an_administrator(user) -> Eligibility:
    if not user.is_authenticated:
        return Eligibility(
            code="not_signed_in",
            reason=_("Sign in as an administrator of your organisation first."),
        )
    if hasattr(user, "partner_membership"):
        return Eligibility(
            code="partner_account",
            reason=_(
                "You are signed in with a partner account. Only an administrator of "
                "the customer organisation can accept: switch to that account."
            ),
        )
    if hasattr(user, "customer_membership"):
        return Eligibility(
            code="not_customer_admin",
            reason=_(
                "You are not an administrator of %(organisation)s. Ask one of its "
                "administrators to open this link, or switch account."
            )
            % {"organisation": user.customer_membership.customer.name},
        )
    return Eligibility(
        code="no_organisation",
        reason=_(
            "This account does not belong to a customer organisation. Switch to an "
            "administrator account of your organisation."
        ),
    )


def acceptance_eligibility(*, invitation: Invitation, user) -> Eligibility:
    """R45: may ``user`` accept ``invitation``, checked before the button is shown.

    Only a customer administrator (R9) of an organisation in the partner's
    country/region and cloud (R4) that is not already its partner. An organisation
    refused by R4 may not decline either (it would kill the link meant for the
    real customer); one that is already a partner may.
    """
    membership = customer_admin_membership(user)
    if membership is None:
        return not_an_administrator(user)
    customer = membership.customer
    mismatch = customer_mismatch(invitation, customer)
    if mismatch:
        code, reason = mismatch
        return Eligibility(membership=membership, code=code, reason=reason)
    if already_partner(invitation, customer):
        return Eligibility(
            membership=membership,
            code="already_partner",
            reason=_(
                "%(customer)s already has a reseller relationship with "
                "%(partner)s: there is nothing to accept."
            )
            % {"customer": customer.name, "partner": invitation.partner.name},
            can_decline=True,
        )
    return Eligibility(membership=membership, can_decline=True)
