"""R35 (with R21 and R23): the life of an admin relationship on the queue, with
the clock moved by time-machine. Reminders 30, 7 and 1 days before the end go to
the partner's Global admins and Admin agents (email and notice), once each; at
the end it expires once, or auto-extends by exactly 180 days once, however many
times the job runs. Access ends on the second, before any job ran (R34).

The tasks run in this process (tests.queue.run_tasks) with the commit hooks of
the services run too; the last test runs them with a real worker process.
"""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.exceptions import DomainError
from core.models import Notification
from customers.access import access_one
from gdap import services
from gdap.models import (
    AUTO_EXTEND_DAYS,
    AdminRelationship,
    AdminRelationshipReminder,
    GdapEvent,
)
from partners.models import Role
from partners.permissions import membership_of
from tests import factories
from tests.queue import run_tasks, wait_until

S = AdminRelationship.Status
Kind = GdapEvent.Kind
GLOBAL_ADMINISTRATOR = "global_administrator"


@pytest.fixture
def people(partner):
    return {
        "ava": factories.partner_user(
            partner, Role.GLOBAL_ADMIN, email="ava@contoso.example"
        ),
        "adam": factories.partner_user(
            partner, Role.ADMIN_AGENT, email="adam@contoso.example"
        ),
        "sara": factories.partner_user(
            partner, Role.SALES_AGENT, email="sara@contoso.example"
        ),
        "hugo": factories.partner_user(
            partner, Role.HELPDESK_AGENT, email="hugo@contoso.example"
        ),
    }


@pytest.fixture
def customer(partner):
    relationship = factories.RelationshipFactory(
        partner=partner, customer__name="Adatum", dap_active=False
    )
    return relationship.customer


def make(partner, customer, people, **fields):
    """An active relationship requested by Ava, its life scheduled as approval
    schedules it."""
    relationship = factories.admin_relationship(
        partner, customer, created_by=people["ava"], name="Adatum helpdesk", **fields
    )
    services.life_schedule(relationship_id=relationship.pk)
    return relationship


def drain(capture):
    """Run every due task, and what the services do after commit (notices,
    emails, the next tasks), until nothing is left."""
    while True:
        with capture(execute=True) as callbacks:
            done = run_tasks()
        if not done and not callbacks:
            return


def at(moment, capture, times=1):
    with time_machine.travel(moment, tick=False):
        for _ in range(times):
            drain(capture)


def reminder_emails():
    return [m for m in mail.outbox if " ends in " in m.subject]


def notices(kind):
    return Notification.objects.filter(kind=f"admin_relationship_{kind}")


# --- Reminders (R23) ------------------------------------------------------------------


@pytest.mark.django_db
def test_reminders_30_7_and_1_days_before_go_to_global_admins_and_admin_agents(
    partner, customer, people, django_capture_on_commit_callbacks
):
    relationship = make(partner, customer, people)
    end = relationship.ends_at
    at(end - timedelta(days=31), django_capture_on_commit_callbacks)
    assert reminder_emails() == []
    for days in (30, 7, 1):
        # The job runs twice at each reminder time: still one reminder each.
        at(
            end - timedelta(days=days, minutes=-1),
            django_capture_on_commit_callbacks,
            2,
        )
        sent = reminder_emails()[-2:]
        assert sorted(m.to[0] for m in sent) == [
            "adam@contoso.example",
            "ava@contoso.example",
        ]
        wording = "in 1 day" if days == 1 else f"in {days} days"
        assert all(
            wording in m.subject and "Adatum helpdesk" in m.subject for m in sent
        )
    assert len(reminder_emails()) == 6
    assert sorted(
        (n.recipient.email, n.params["days"]) for n in notices("expiring")
    ) == sorted(
        (email, days)
        for email in ("ava@contoso.example", "adam@contoso.example")
        for days in (30, 7, 1)
    )
    assert AdminRelationshipReminder.objects.count() == 3
    # Sales and helpdesk agents are not told.
    assert not Notification.objects.filter(
        recipient__in=[people["sara"], people["hugo"]]
    ).exists()


@pytest.mark.django_db
def test_a_late_reminder_gives_way_to_the_closer_one_already_due(
    partner, customer, people, django_capture_on_commit_callbacks
):
    # The worker was down from before the 30-day reminder until 7 days before
    # the end: the 7-day reminder goes out, not a stale "ends in 30 days".
    relationship = make(partner, customer, people)
    at(
        relationship.ends_at - timedelta(days=7, minutes=-1),
        django_capture_on_commit_callbacks,
    )
    subjects = [m.subject for m in reminder_emails()]
    assert len(subjects) == 2
    assert all("in 7 days" in subject for subject in subjects)
    assert list(
        AdminRelationshipReminder.objects.values_list("days_before", flat=True)
    ) == [7]


@pytest.mark.django_db
def test_no_reminder_for_an_auto_extending_relationship(
    partner, customer, people, django_capture_on_commit_callbacks
):
    relationship = make(partner, customer, people, auto_extend=True)
    for days in (30, 7, 1):
        at(
            relationship.ends_at - timedelta(days=days, minutes=-1),
            django_capture_on_commit_callbacks,
        )
    assert reminder_emails() == []
    assert not notices("expiring").exists()
    assert not AdminRelationshipReminder.objects.exists()


@pytest.mark.django_db
def test_no_reminder_for_a_terminated_relationship(
    partner, customer, people, django_capture_on_commit_callbacks
):
    relationship = make(partner, customer, people)
    with django_capture_on_commit_callbacks(execute=True):
        services.admin_relationship_terminate(
            relationship_id=relationship.pk, actor=people["ava"]
        )
    mail.outbox.clear()
    for days in (30, 7, 1):
        at(
            relationship.ends_at - timedelta(days=days, minutes=-1),
            django_capture_on_commit_callbacks,
        )
    at(relationship.ends_at + timedelta(seconds=1), django_capture_on_commit_callbacks)
    assert reminder_emails() == []
    assert not notices("expiring").exists()
    relationship.refresh_from_db()
    assert relationship.status == S.TERMINATED
    assert not GdapEvent.objects.filter(kind=Kind.EXPIRED).exists()


@pytest.mark.django_db
def test_turning_auto_extend_off_brings_the_reminders_back(
    partner, customer, people, django_capture_on_commit_callbacks
):
    relationship = make(partner, customer, people, auto_extend=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.admin_relationship_set_auto_extend(
            relationship_id=relationship.pk, actor=people["ava"], on=False
        )
    # Scheduled twice (at approval and now): still one reminder each time.
    for days, total in ((30, 2), (7, 4)):
        at(
            relationship.ends_at - timedelta(days=days, minutes=-1),
            django_capture_on_commit_callbacks,
        )
        assert len(reminder_emails()) == total
    assert sorted(
        AdminRelationshipReminder.objects.values_list("days_before", flat=True)
    ) == [7, 30]


# --- The end (R35) --------------------------------------------------------------------


@pytest.mark.django_db
def test_access_ends_on_the_second_then_the_job_expires_it_once(
    partner, customer, people, django_capture_on_commit_callbacks
):
    relationship = make(partner, customer, people)
    group = factories.security_group(partner, people["hugo"], name="Helpdesk team")
    factories.assignment(relationship, group)
    reseller = customer.relationships.get()
    hugo = membership_of(people["hugo"])
    end = relationship.ends_at
    with time_machine.travel(end - timedelta(seconds=1), tick=False):
        assert access_one(membership=hugo, relationship=reseller).users
    with time_machine.travel(end + timedelta(seconds=1), tick=False):
        # No job has run: the row still says active, access has ended.
        assert AdminRelationship.objects.get(pk=relationship.pk).status == S.ACTIVE
        assert not access_one(membership=hugo, relationship=reseller).users
    at(end + timedelta(seconds=1), django_capture_on_commit_callbacks, times=3)
    with time_machine.travel(end + timedelta(seconds=2), tick=False):
        # More runs, and the catch-up: still once.
        assert services.admin_relationship_end(relationship_id=relationship.pk) == (
            "nothing to do"
        )
        assert services.admin_relationships_end_due() == 0
    relationship.refresh_from_db()
    assert relationship.status == S.EXPIRED
    assert relationship.ended_at == end
    assert (
        GdapEvent.objects.filter(relationship=relationship)
        .filter(kind=Kind.EXPIRED)
        .count()
        == 1
    )
    assert sorted(n.recipient.email for n in notices("expired")) == [
        "adam@contoso.example",
        "ava@contoso.example",
    ]
    assert len([m for m in mail.outbox if "has expired" in m.subject]) == 2


@pytest.mark.django_db
def test_auto_extend_gains_exactly_180_days_once_however_often_the_job_runs(
    partner, customer, people, django_capture_on_commit_callbacks
):
    relationship = make(partner, customer, people, auto_extend=True)
    end = relationship.ends_at
    at(end + timedelta(seconds=1), django_capture_on_commit_callbacks, times=3)
    with time_machine.travel(end + timedelta(minutes=5), tick=False):
        for _ in range(3):
            services.admin_relationship_end(relationship_id=relationship.pk)
            services.admin_relationships_end_due()
    relationship.refresh_from_db()
    assert relationship.status == S.ACTIVE
    assert relationship.ends_at == end + timedelta(days=AUTO_EXTEND_DAYS)
    (event,) = GdapEvent.objects.filter(kind=Kind.AUTO_EXTENDED)
    assert event.details == {
        "from": end.isoformat(),
        "to": relationship.ends_at.isoformat(),
    }
    assert not GdapEvent.objects.filter(kind=Kind.EXPIRED).exists()
    assert sorted(n.recipient.email for n in notices("auto_extended")) == [
        "adam@contoso.example",
        "ava@contoso.example",
    ]
    # The new end is on the queue: it extends again then, once.
    new_end = relationship.ends_at
    at(new_end + timedelta(seconds=1), django_capture_on_commit_callbacks, times=2)
    relationship.refresh_from_db()
    assert relationship.ends_at == new_end + timedelta(days=AUTO_EXTEND_DAYS)
    assert GdapEvent.objects.filter(kind=Kind.AUTO_EXTENDED).count() == 2


@pytest.mark.django_db
def test_the_end_task_of_an_old_end_date_does_nothing_after_an_extension(
    partner, customer, people, django_capture_on_commit_callbacks
):
    relationship = make(partner, customer, people, auto_extend=True)
    end = relationship.ends_at
    at(end + timedelta(seconds=1), django_capture_on_commit_callbacks)
    # An end task left over from the first end date (a lost or repeated one).
    from gdap.tasks import relationship_end_due

    with time_machine.travel(end + timedelta(days=1), tick=False):
        relationship_end_due.enqueue(
            relationship_id=relationship.pk, ends_at=end.isoformat()
        )
        drain(django_capture_on_commit_callbacks)
    relationship.refresh_from_db()
    assert relationship.ends_at == end + timedelta(days=AUTO_EXTEND_DAYS)
    assert GdapEvent.objects.filter(kind=Kind.AUTO_EXTENDED).count() == 1


# --- Auto-extend and Global Administrator (R31, R35) ----------------------------------


@pytest.mark.django_db
def test_auto_extend_with_global_administrator_is_refused_until_it_is_removed(
    partner, customer, people
):
    relationship = factories.admin_relationship(
        partner,
        customer,
        created_by=people["ava"],
        roles=[GLOBAL_ADMINISTRATOR, "helpdesk_administrator"],
    )
    with pytest.raises(DomainError) as refused:
        services.admin_relationship_set_auto_extend(
            relationship_id=relationship.pk, actor=people["ava"], on=True
        )
    assert refused.value.code == "auto_extend_with_global_admin"
    assert "Remove Global Administrator first" in str(refused.value)
    relationship.refresh_from_db()
    assert not relationship.auto_extend
    assert not GdapEvent.objects.filter(kind=Kind.AUTO_EXTEND_ON).exists()
    # Nor can the row say so behind the service's back.
    with pytest.raises(IntegrityError), transaction.atomic():
        AdminRelationship.objects.filter(pk=relationship.pk).update(auto_extend=True)

    services.admin_relationship_remove_global_admin(
        relationship_id=relationship.pk, actor=people["ava"]
    )
    services.admin_relationship_set_auto_extend(
        relationship_id=relationship.pk, actor=people["ava"], on=True, side="customer"
    )
    relationship.refresh_from_db()
    assert relationship.auto_extend
    assert not relationship.has_global_administrator
    assert [r.role for r in relationship.roles.all()] == ["helpdesk_administrator"]
    assert GdapEvent.objects.get(kind=Kind.AUTO_EXTEND_ON).details == {
        "side": "customer"
    }


@pytest.mark.django_db
def test_a_request_with_global_administrator_and_auto_extend_is_refused(
    partner, people
):
    with pytest.raises(DomainError) as refused:
        services.admin_relationship_request(
            partner=partner,
            created_by=people["ava"],
            name="Tailspin everything",
            roles=[GLOBAL_ADMINISTRATOR],
            duration_days=180,
            auto_extend=True,
        )
    assert refused.value.code == "auto_extend_with_global_admin"
    assert not AdminRelationship.objects.exists()


# --- With a real worker process (R21) -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_expires_the_relationship_at_its_end(
    partner, customer, people, start_worker
):
    # Time cannot be moved across processes: the end is a few seconds ahead.
    now = timezone.now()
    relationship = factories.admin_relationship(
        partner,
        customer,
        created_by=people["ava"],
        approved_at=now - timedelta(days=1),
        ends_at=now + timedelta(seconds=3),
    )
    services.life_schedule(relationship_id=relationship.pk)
    assert DBTaskResult.objects.filter(task_path__endswith="relationship_end_due")
    start_worker()

    def expired():
        return AdminRelationship.objects.get(pk=relationship.pk).status == S.EXPIRED

    wait_until(expired, timeout=40, what="the worker expiring the relationship")
    assert GdapEvent.objects.filter(kind=Kind.EXPIRED).count() == 1
    # Its notices were written by the worker too (after its commit).
    wait_until(
        lambda: notices("expired").count() == 2,
        timeout=20,
        what="the expiry notices",
    )
