"""The benchmark's Django-side steps, run in their own process by bench/run.py.

    python -m bench.dbtasks analyze  --out FILE
    python -m bench.dbtasks prepare  --out FILE [--clients N]
    python -m bench.dbtasks queries  --in FILE --out FILE [--repeat N]
    python -m bench.dbtasks verify   --in FILE --out FILE

Each reads its settings from the environment that run.py sets (bench.settings, the
run's SECRET_KEY and DATABASE_URL) and writes JSON to --out: stdout belongs to the
portal's JSON logs.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from core.models import Notification  # noqa: E402
from customers.models import (  # noqa: E402
    Customer,
    CustomerMembership,
    RelationshipEvent,
    ResellerRelationship,
    ServiceRequest,
)
from gdap.management.commands.seed_demo import PASSWORD  # noqa: E402
from invitations import tokens  # noqa: E402
from invitations.models import Invitation  # noqa: E402
from invitations.services import invitation_create  # noqa: E402
from partners.models import Partner  # noqa: E402
from partners.two_step_services import DEMO_TOTP_SECRET  # noqa: E402

PARTNER_NAME = "Contoso Cloud Partners"
PARTNER_USER = "ava.admin@contoso.example"
LOAD_RECIPIENT = "bench-load@tailspin.example"
# The Service requests list is measured with this many of the partner's requests
# (one per generated customer, up to this number): pages of it, never all at once.
SERVICE_REQUESTS = 2000
# Issue 15: the Admin relationships list is measured with this many of the
# partner's admin relationships (one per generated customer, up to this number).
ADMIN_RELATIONSHIPS = 10_000
BENCH_GROUP = "Bench helpdesk"


def _path(link: str) -> str:
    return urlsplit(link).path


def _contoso():
    partner = Partner.objects.get(name=PARTNER_NAME)
    ava = get_user_model().objects.get(email=PARTNER_USER)
    return partner, ava


def analyze(args) -> dict:
    """PostgreSQL: vacuum and table statistics now, as autovacuum would within a
    minute or so of the bulk load (PostgreSQL 13 and later vacuum after many
    inserts); the visibility map lets a COUNT read an index alone. SQLite keeps no
    statistics unless asked, as in production."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return {"vendor": connection.vendor}


def _service_requests(partner, opener) -> None:
    """Open service requests for the partner's customers until it has
    ``SERVICE_REQUESTS`` of them (R44), for the Service requests list and the
    Overview's open-requests panel. Idempotent on a reused database."""
    have = ServiceRequest.objects.filter(partner=partner).count()
    if have >= SERVICE_REQUESTS:
        return
    customer_ids = ResellerRelationship.objects.filter(
        partner=partner, status=ResellerRelationship.Status.ACTIVE
    ).values_list("customer_id", flat=True)[: SERVICE_REQUESTS - have]
    statuses = list(ServiceRequest.Status)
    ServiceRequest.objects.bulk_create(
        ServiceRequest(
            partner=partner,
            customer_id=customer_id,
            title=f"Mailbox quota for team {i:04d}",
            description="Generated for the benchmark.",
            status=statuses[i % len(statuses)],
            opened_by=opener,
        )
        for i, customer_id in enumerate(customer_ids)
    )


def _admin_relationships(partner, creator) -> None:
    """Admin relationships (R31) for the partner's customers until it has
    ``ADMIN_RELATIONSHIPS``: most active (ends spread over two years, some within
    30 days), some pending or terminated; the active ones assigned to a security
    group the benchmark's partner user belongs to, so the Customers page's cards
    check admin roles (R34) for real. Idempotent on a reused database."""
    from datetime import timedelta

    from gdap.models import (
        AccessAssignment,
        AdminRelationship,
        AdminRelationshipRole,
        SecurityGroup,
        SecurityGroupMember,
    )

    have = AdminRelationship.objects.filter(partner=partner).count()
    if have >= ADMIN_RELATIONSHIPS:
        return
    group, _created = SecurityGroup.objects.get_or_create(
        partner=partner, name=BENCH_GROUP, defaults={"created_at": timezone.now()}
    )
    SecurityGroupMember.objects.get_or_create(group=group, user=creator)
    taken = set(
        AdminRelationship.objects.filter(partner=partner).values_list(
            "customer_id", flat=True
        )
    )
    customer_ids = [
        pk
        for pk in ResellerRelationship.objects.filter(
            partner=partner, status=ResellerRelationship.Status.ACTIVE
        )
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        if pk not in taken
    ][: ADMIN_RELATIONSHIPS - have]
    now = timezone.now()
    S = AdminRelationship.Status
    with transaction.atomic():
        invitations = Invitation.objects.bulk_create(
            Invitation(
                partner=partner,
                created_by=creator,
                kind=Invitation.Kind.ADMIN_RELATIONSHIP,
                include_dap=False,
                subject="Admin relationship",
                body="Please approve: {{invitation_link}}\n",
                sent_at=now - timedelta(days=100),
                expires_at=now + timedelta(days=90 if i % 10 == 0 else -10),
                status=(
                    Invitation.Status.PENDING
                    if i % 10 == 0
                    else Invitation.Status.ACCEPTED
                ),
                customer_id=customer_id,
            )
            for i, customer_id in enumerate(customer_ids)
        )
        relationships = []
        for i, (customer_id, invitation) in enumerate(
            zip(customer_ids, invitations, strict=True)
        ):
            status = S.APPROVAL_PENDING if i % 10 == 0 else S.ACTIVE
            if i % 10 == 5:
                status = S.TERMINATED
            approved = now - timedelta(days=90)
            fields = {}
            if status != S.APPROVAL_PENDING:
                fields = {
                    "approved_at": approved,
                    "ends_at": approved + timedelta(days=91 + (i * 37) % 700),
                }
            if status == S.TERMINATED:
                fields["ended_at"] = now - timedelta(days=1)
            relationships.append(
                AdminRelationship(
                    partner=partner,
                    customer_id=customer_id,
                    invitation=invitation,
                    name=f"Bench helpdesk {customer_id:06d}",
                    duration_days=730,
                    status=status,
                    created_by=creator,
                    created_at=now - timedelta(days=100, seconds=i),
                    **fields,
                )
            )
        relationships = AdminRelationship.objects.bulk_create(relationships)
        roles = AdminRelationshipRole.objects.bulk_create(
            AdminRelationshipRole(relationship=r, role=code)
            for r in relationships
            for code in ("helpdesk_administrator", "user_administrator")
        )
        assignments = AccessAssignment.objects.bulk_create(
            AccessAssignment(relationship=r, group=group, created_at=now)
            for r in relationships
            if r.status == S.ACTIVE
        )
        first_role = {role.relationship_id: role for role in roles[::2]}
        AccessAssignment.roles.through.objects.bulk_create(
            AccessAssignment.roles.through(
                accessassignment_id=a.pk,
                adminrelationshiprole_id=first_role[a.relationship_id].pk,
            )
            for a in assignments
        )


def prepare(args) -> dict:
    """The pending invitation the load uses, and the concurrency check's fixtures.

    Each concurrency client is the administrator of its own new customer in the
    partner's country and cloud, with its own pending invitation; one more
    administrator and invitation take the repeated clicks. Names carry a run id,
    so a reused database gets fresh fixtures.
    """
    partner, ava = _contoso()
    # A reused database holds the notices of the last run's acceptances: the
    # partner user has read them, or the first pages measured would show them.
    Notification.objects.filter(recipient=ava, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    load_invitation = Invitation.objects.filter(
        partner=partner,
        recipient_email=LOAD_RECIPIENT,
        status=Invitation.Status.PENDING,
    ).first() or invitation_create(
        partner=partner,
        created_by=ava,
        include_dap=True,
        recipient_email=LOAD_RECIPIENT,
        email_language="en",
    )
    _service_requests(partner, ava)
    _admin_relationships(partner, ava)
    run = args.run_id
    # One hash for every fixture user: hashing 50 times would only slow the set-up.
    password_hash = make_password(PASSWORD)
    User = get_user_model()
    fixtures = []
    with transaction.atomic():
        for i in range(args.clients + 1):
            domain = f"bench-{run}-{i:03d}.example"
            customer = Customer.objects.create(
                name=f"Bench {run} {i:03d}",
                domain=domain,
                country=partner.country,
                cloud=partner.cloud,
            )
            email = f"admin@{domain}"
            user = User.objects.create(
                username=email, email=email, password=password_hash
            )
            CustomerMembership.objects.create(
                user=user, customer=customer, is_admin=True
            )
            invitation = invitation_create(
                partner=partner,
                created_by=ava,
                include_dap=True,
                recipient_email=email,
                email_language="en",
            )
            fixtures.append(
                {
                    "invitation_id": invitation.pk,
                    "customer_id": customer.pk,
                    "email": email,
                    "link": _path(tokens.link_for(invitation)),
                }
            )
    adatum = Customer.objects.get(domain="adatum.example")
    return {
        "partner_user": PARTNER_USER,
        "password": PASSWORD,
        "totp_secret": DEMO_TOTP_SECRET,
        "card": f"/customers/{adatum.pk}/card/",
        "draft": f"/invitations/{load_invitation.pk}/email/",
        "dispatcher": _path(tokens.link_for(load_invitation)),
        "accepters": fixtures[:-1],
        "clicks": fixtures[-1],
    }


def queries(args) -> dict:
    """SQL queries and in-process time of each page, signed in as the partner user.

    The first request of each page warms the caches; the figures are those of the
    requests after it. The time is the median of --repeat requests through Django's
    test client: the server's own cost, without HTTP or concurrency.
    """
    spec = json.loads(Path(args.input).read_text())
    _partner, ava = _contoso()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(ava)
    # Ava's second step (R28) as if she had just entered her code.
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(
        user=ava, confirmed=True
    ).persistent_id
    session.save()
    out = {}
    for path in spec["paths"]:
        first = client.get(path)
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        # Read them now: the next request empties the connection's query log.
        sql = [q["sql"] for q in captured.captured_queries]
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - start)
        out[path] = {
            "status": first.status_code,
            "queries": len(sql),
            "sql": sql,
            "inproc_ms": statistics.median(times) * 1000 if times else None,
        }
    out["_vendor"] = connection.vendor
    out["_customers"] = ResellerRelationship.objects.filter(
        partner__name=PARTNER_NAME, status=ResellerRelationship.Status.ACTIVE
    ).count()
    return out


def verify(args) -> dict:
    """Exactly one relationship and one acceptance per accepted invitation."""
    spec = json.loads(Path(args.input).read_text())
    partner, _ava = _contoso()
    problems = []
    expected = spec["accepters"] + [spec["clicks"]]
    invitations = Invitation.objects.in_bulk([f["invitation_id"] for f in expected])
    for fixture in expected:
        invitation = invitations[fixture["invitation_id"]]
        label = f"invitation {invitation.pk} ({fixture['email']})"
        if invitation.status != Invitation.Status.ACCEPTED:
            problems.append(f"{label}: lost, status is {invitation.status}")
            continue
        if invitation.customer_id != fixture["customer_id"]:
            problems.append(f"{label}: accepted for customer {invitation.customer_id}")
        pair = ResellerRelationship.objects.filter(
            partner=partner, customer_id=fixture["customer_id"]
        )
        if pair.count() != 1:
            problems.append(f"{label}: {pair.count()} relationships for the pair")
        elif invitation.relationship_id != pair.get().pk:
            problems.append(f"{label}: points at another relationship")
        accepted_events = RelationshipEvent.objects.filter(
            invitation_id=invitation.pk, kind=RelationshipEvent.Kind.ACCEPTED
        ).count()
        if accepted_events != 1:
            problems.append(f"{label}: {accepted_events} 'accepted' events")
    duplicates = (
        ResellerRelationship.objects.values("partner_id", "customer_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    if duplicates:
        problems.append(
            f"{duplicates} partner/customer pairs with several relationships"
        )
    accepted = sum(
        1 for i in invitations.values() if i.status == Invitation.Status.ACCEPTED
    )
    return {
        "invitations": len(expected),
        "accepted": accepted,
        "lost": len(expected) - accepted,
        "duplicate_pairs": duplicates,
        "problems": problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["analyze", "prepare", "queries", "verify"])
    parser.add_argument("--in", dest="input")
    parser.add_argument("--out", required=True)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--run-id", default="0")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    tasks = {
        "analyze": analyze,
        "prepare": prepare,
        "queries": queries,
        "verify": verify,
    }
    result = tasks[args.task](args)
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
