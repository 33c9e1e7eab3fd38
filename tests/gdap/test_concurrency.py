"""R32 and R35 under real concurrency (PostgreSQL): approval is atomic and
idempotent, and the end job changes a relationship once, however many workers
run it.

Each thread has its own database connection, as web and queue workers would, so
the row locks of the services are what keeps the outcome to one. SQLite has no
row locks, so these tests need PostgreSQL (DATABASE_URL=postgres://...).
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from core.models import Notification
from gdap import services
from gdap.models import AUTO_EXTEND_DAYS, AdminRelationship, GdapEvent
from invitations.models import Invitation
from partners.models import Role
from tests import factories
from tests.invitations.test_concurrency import run_at_once

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: real row locks and one connection per thread "
        "(set DATABASE_URL=postgres://...)",
    ),
    # Threads use their own connections, so they must see committed data.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 20
S = AdminRelationship.Status
Kind = GdapEvent.Kind


@pytest.fixture
def ava(partner):
    return factories.partner_user(partner, Role.GLOBAL_ADMIN)


def test_twenty_approvals_at_once_give_one_active_relationship_and_one_event(
    partner, ava
):
    customer = factories.CustomerFactory(name="Tailspin", country=partner.country)
    admins = [factories.customer_admin(customer) for _ in range(2)]
    request = services.admin_relationship_request(
        partner=partner,
        created_by=ava,
        name="Tailspin helpdesk",
        roles=["helpdesk_administrator", "user_administrator"],
        duration_days=180,
        recipient_email="admin@tailspin.example",
    )
    admin_ids = [a.pk for a in admins]
    User = get_user_model()

    def approve(i):
        user = User.objects.get(pk=admin_ids[i % len(admin_ids)])
        return services.admin_relationship_approve(
            invitation_id=request.invitation_id, admin_user=user
        )

    results, errors = run_at_once(THREADS, approve)

    assert errors == []
    relationship = AdminRelationship.objects.get()
    assert {r.pk for r in results} == {relationship.pk}
    assert relationship.status == S.ACTIVE
    assert relationship.customer == customer
    assert relationship.ends_at == relationship.approved_at + timedelta(days=180)
    assert GdapEvent.objects.filter(kind=Kind.APPROVED).count() == 1
    invitation = Invitation.objects.get(pk=request.invitation_id)
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.responded_by_id == relationship.approved_by_id
    # The partner is told once, by the approval that committed.
    assert (
        Notification.objects.filter(
            kind="admin_relationship_approved",
            params__relationship_id=relationship.pk,
        ).count()
        == 1  # Ava, the Global admin who requested it
    )


def _past_its_end(partner, ava, **fields):
    customer = factories.CustomerFactory(country=partner.country)
    now = timezone.now()
    return factories.admin_relationship(
        partner,
        customer,
        created_by=ava,
        approved_at=now - timedelta(days=30),
        ends_at=now - timedelta(seconds=1),
        duration_days=30,
        **fields,
    )


def test_twenty_end_jobs_at_once_auto_extend_by_180_days_once(partner, ava):
    relationship = _past_its_end(partner, ava, auto_extend=True)
    end = relationship.ends_at

    results, errors = run_at_once(
        THREADS,
        lambda i: services.admin_relationship_end(relationship_id=relationship.pk),
    )

    assert errors == []
    assert sorted(results).count("auto-extended") == 1
    relationship.refresh_from_db()
    assert relationship.status == S.ACTIVE
    assert relationship.ends_at == end + timedelta(days=AUTO_EXTEND_DAYS)
    assert GdapEvent.objects.filter(kind=Kind.AUTO_EXTENDED).count() == 1


def test_twenty_end_jobs_at_once_expire_it_once(partner, ava):
    relationship = _past_its_end(partner, ava)

    results, errors = run_at_once(
        THREADS,
        lambda i: services.admin_relationship_end(relationship_id=relationship.pk),
    )

    assert errors == []
    assert results.count("expired") == 1
    relationship.refresh_from_db()
    assert relationship.status == S.EXPIRED
    assert GdapEvent.objects.filter(kind=Kind.EXPIRED).count() == 1
    assert Notification.objects.filter(kind="admin_relationship_expired").count() == 1
