"""R9: acceptance is atomic and idempotent under real concurrency (PostgreSQL).

Each thread has its own database connection, as two web workers would, so the row
locks of ``invitation_accept`` are what keeps the outcome to one relationship.
SQLite has no row locks and an in-memory test database cannot be shared between
threads, so these tests need PostgreSQL (DATABASE_URL=postgres://...).
"""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from core.models import Notification
from customers.models import RelationshipEvent, ResellerRelationship
from invitations import services, tokens
from invitations.models import Invitation
from tests import factories

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


def run_at_once(count, work):
    """Run ``work(i)`` in ``count`` threads released together: (results, errors)."""
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def worker(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # surfaced to the test, not swallowed
            errors.append(exc)
        finally:
            # Each thread opened its own connection: close it, or the test database
            # cannot be flushed or dropped afterwards.
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors


@pytest.fixture
def setting(partner, admin_agent):
    customer = factories.CustomerFactory(name="Tailspin Toys", country="FR")
    admins = [factories.customer_admin(customer) for _ in range(2)]
    invitation = factories.InvitationFactory(partner=partner, created_by=admin_agent)
    return customer, admins, invitation


def test_accept_called_by_twenty_threads_gives_one_relationship_and_event(setting):
    # R9: two clicks or two administrators at once: exactly one relationship and one
    # "accepted" event; the losers get the same relationship, not an error.
    customer, admins, invitation = setting
    admin_ids = [a.pk for a in admins]
    User = get_user_model()

    def accept(i):
        user = User.objects.get(pk=admin_ids[i % len(admin_ids)])
        return services.invitation_accept(invitation_id=invitation.pk, admin_user=user)

    results, errors = run_at_once(THREADS, accept)

    assert errors == []
    relationship = ResellerRelationship.objects.get()
    assert {r.pk for r in results} == {relationship.pk}
    assert (
        RelationshipEvent.objects.filter(
            kind=RelationshipEvent.Kind.ACCEPTED, invitation_id=invitation.pk
        ).count()
        == 1
    )
    assert (
        RelationshipEvent.objects.filter(
            kind=RelationshipEvent.Kind.DAP_GRANTED
        ).count()
        == 1
    )
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.relationship_id == relationship.pk
    # R10: the partner is told once, by the one acceptance that committed.
    assert Notification.objects.filter(params__invitation_id=invitation.pk).count() == 1


def test_accept_of_four_invitations_at_once_by_one_customer_gives_one_relationship(
    partner, admin_agent
):
    # R9: one relationship per (partner, customer), whichever invitation wins.
    # R45 (issue 12): once it exists the organisation is already a partner, so
    # the other three are refused with that reason and stay pending; the
    # customer's row lock makes every loser see the winner's relationship.
    customer = factories.CustomerFactory(country="FR")
    admin = factories.customer_admin(customer)
    invitations = [
        factories.InvitationFactory(partner=partner, created_by=admin_agent)
        for _ in range(4)
    ]
    User = get_user_model()

    def accept(i):
        user = User.objects.get(pk=admin.pk)
        return services.invitation_accept(
            invitation_id=invitations[i].pk, admin_user=user
        )

    results, errors = run_at_once(len(invitations), accept)

    assert len(errors) == 3
    assert {getattr(e, "code", None) for e in errors} == {"already_partner"}
    relationship = ResellerRelationship.objects.get()
    assert relationship.partner_id == partner.pk
    assert relationship.customer_id == customer.pk
    assert {r.pk for r in results if r is not None} == {relationship.pk}
    statuses = []
    for invitation in invitations:
        invitation.refresh_from_db()
        statuses.append(invitation.status)
    assert sorted(statuses) == ["accepted", "pending", "pending", "pending"]
    assert (
        RelationshipEvent.objects.filter(
            kind=RelationshipEvent.Kind.DAP_GRANTED
        ).count()
        == 1
    )


def test_accept_posted_by_twenty_browsers_at_once_never_answers_500(setting):
    # R9 through the view: every browser gets the result (302 or 200), none a 500.
    customer, admins, invitation = setting
    token = tokens.make_token(invitation)
    clients = []
    for i in range(THREADS):
        client = Client()
        client.force_login(admins[i % len(admins)])
        response = client.get(reverse("invitations:accept", kwargs={"token": token}))
        assert response.status_code == 302
        clients.append((client, response["Location"]))

    def post_accept(i):
        client, url = clients[i]
        return client.post(
            url, {"action": "accept", "invitation": invitation.pk}
        ).status_code

    statuses, errors = run_at_once(THREADS, post_accept)

    assert errors == []
    assert set(statuses) <= {200, 302}, statuses
    assert ResellerRelationship.objects.filter(customer=customer).count() == 1
    assert (
        RelationshipEvent.objects.filter(
            kind=RelationshipEvent.Kind.ACCEPTED, invitation_id=invitation.pk
        ).count()
        == 1
    )
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    # Afterwards every one of them sees the result page.
    client, url = clients[-1]
    page = client.get(url)
    assert page.status_code == 200
    assert "is now your partner" in page.content.decode()
