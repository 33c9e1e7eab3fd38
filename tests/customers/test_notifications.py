"""R43: the partner hears when the customer removes DAP or ends the relationship,
and when a service request is updated; only the right people, only that partner."""

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from core.exceptions import DomainError
from core.models import Notification
from customers import services
from customers.models import ServiceRequest
from customers.notifications import (
    DAP_REMOVED,
    RELATIONSHIP_ENDED,
    SERVICE_REQUEST_UPDATED,
    notify_service_request_updated,
)
from partners.models import Role
from tests import factories
from tests.helpers import text
from tests.queue import break_mail, run_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(db):
    return factories.CustomerFactory(name="Adatum", domain="adatum.example")


@pytest.fixture
def team(partner, make_partner_user):
    return {
        "global": make_partner_user(Role.GLOBAL_ADMIN, email="ava@contoso.test"),
        "agent": make_partner_user(Role.ADMIN_AGENT, email="adam@contoso.test"),
        "sales": make_partner_user(Role.SALES_AGENT, email="sara@contoso.test"),
        "helpdesk": make_partner_user(Role.HELPDESK_AGENT, email="hugo@contoso.test"),
        "billing": make_partner_user(Role.BILLING_ADMIN, email="bill@contoso.test"),
        "inactive": make_partner_user(
            Role.ADMIN_AGENT, email="gone@contoso.test", is_active=False
        ),
    }


@pytest.fixture
def other_partner_admin(other_partner, customer):
    # Another partner of the same customer: it must hear nothing of this one's news.
    factories.RelationshipFactory(partner=other_partner, customer=customer)
    return factories.partner_user(
        other_partner, Role.GLOBAL_ADMIN, email="olga@other.test"
    )


@pytest.fixture
def relationship(partner, customer, team, other_partner_admin):
    return factories.RelationshipFactory(partner=partner, customer=customer)


@pytest.fixture
def admin_client(client, customer_admin):
    client.force_login(customer_admin)
    return client


ADMINS = ["adam@contoso.test", "ava@contoso.test"]


def recipients(kind):
    return sorted(n.recipient.email for n in Notification.objects.filter(kind=kind))


# --- DAP removed by the customer (R12) ---------------------------------------------


def test_dap_removal_notifies_partner_admins_after_commit(
    admin_client, relationship, django_capture_on_commit_callbacks
):
    url = reverse("customers:dap_remove", args=[relationship.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_client.post(url)
    assert not Notification.objects.exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    run_tasks()
    assert recipients(DAP_REMOVED) == ADMINS
    assert sorted(a for m in mail.outbox for a in m.to) == ADMINS
    assert mail.outbox[0].subject == "Adatum removed your admin privileges"
    assert "Cloud Reseller Agreement" in mail.outbox[0].body
    notices = Notification.objects.filter(kind=DAP_REMOVED)
    assert all(n.email_sent_at and not n.email_error for n in notices)
    detail = reverse("customers:detail", args=[relationship.customer_id])
    assert {n.link for n in notices} == {detail}


def test_dap_removal_notice_shows_on_the_partner_admins_page(
    admin_client, relationship, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("customers:dap_remove", args=[relationship.pk]))
    partner_client = Client()
    partner_client.force_login(team["global"])
    body = text(partner_client.get(reverse("partners:notifications")))
    assert "Adatum removed your admin privileges." in body
    assert "Admin privileges removed" in body


def test_dap_removal_clicked_twice_notifies_once(
    admin_client, relationship, django_capture_on_commit_callbacks
):
    url = reverse("customers:dap_remove", args=[relationship.pk])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url)
        admin_client.post(url)
    assert recipients(DAP_REMOVED) == ADMINS


def test_refused_dap_removal_notifies_nobody(
    customer_admin, relationship, django_capture_on_commit_callbacks
):
    services.relationship_end(relationship_id=relationship.pk, actor=customer_admin)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(DomainError),
    ):
        services.dap_remove(relationship_id=relationship.pk, actor=customer_admin)
    assert not Notification.objects.filter(kind=DAP_REMOVED).exists()


def test_dap_removal_email_failure_is_recorded_and_removal_stands(
    admin_client, relationship, monkeypatch, django_capture_on_commit_callbacks
):
    break_mail(monkeypatch, OSError("mail server went away"))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("customers:dap_remove", args=[relationship.pk])
        )
    run_tasks()
    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.dap_active is False
    notices = Notification.objects.filter(kind=DAP_REMOVED)
    assert notices.count() == 2
    assert all("went away" in n.email_error and not n.email_sent_at for n in notices)


# --- Relationship ended by the customer (R14) ----------------------------------------


def test_customer_ending_notifies_partner_admins(
    admin_client, relationship, django_capture_on_commit_callbacks
):
    url = reverse("customers:customer_end", args=[relationship.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"reason": "Moving on"})
    assert response.status_code == 302
    run_tasks()
    assert recipients(RELATIONSHIP_ENDED) == ADMINS
    assert sorted(a for m in mail.outbox for a in m.to) == ADMINS
    assert "Adatum ended its reseller relationship" in mail.outbox[0].subject
    partner_notice = Notification.objects.filter(kind=RELATIONSHIP_ENDED).first()
    assert partner_notice.params["customer"] == "Adatum"


def test_partner_or_staff_ending_is_not_announced_as_the_customers(
    relationship, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.relationship_end(
            relationship_id=relationship.pk, actor=team["agent"], side="partner"
        )
    assert not Notification.objects.exists()


def test_refused_customer_end_notifies_nobody(
    admin_client, relationship, partner, django_capture_on_commit_callbacks
):
    factories.SubscriptionFactory(
        customer=relationship.customer, provisioned_by=partner
    )
    url = reverse("customers:customer_end", args=[relationship.pk])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"reason": ""})
    relationship.refresh_from_db()
    assert relationship.is_active
    assert not Notification.objects.exists()


# --- Service request updated ---------------------------------------------------------


@pytest.fixture
def service_request(relationship, partner, customer, team):
    return factories.ServiceRequestFactory(
        partner=partner, customer=customer, opened_by=team["helpdesk"]
    )


def test_service_request_update_notifies_opener_and_admins(
    service_request, django_capture_on_commit_callbacks
):
    service_request.status = ServiceRequest.Status.IN_PROGRESS
    service_request.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify_service_request_updated(service_request=service_request, change="status")
    run_tasks()
    assert recipients(SERVICE_REQUEST_UPDATED) == [
        "adam@contoso.test",
        "ava@contoso.test",
        "hugo@contoso.test",
    ]
    notice = Notification.objects.filter(kind=SERVICE_REQUEST_UPDATED).first()
    assert notice.link == reverse(
        "customers:service_request", args=[service_request.pk]
    )
    assert notice.params["status"] == "in_progress"  # a code, worded when read
    subjects = {m.subject for m in mail.outbox}
    assert len(mail.outbox) == 3
    assert all("for Adatum was updated" in s for s in subjects)
    assert "its status is now In progress" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("status", "its status is now New"),
        ("note", "support added a note"),
        ("assigned", "a support engineer took it on"),
        ("something", "it was updated"),
    ],
)
def test_service_request_notice_says_what_changed(
    client, service_request, team, change, words, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify_service_request_updated(service_request=service_request, change=change)
    client.force_login(team["helpdesk"])
    body = text(client.get(reverse("partners:notifications")))
    assert f"for Adatum: {words}." in body
    assert "Service request updated" in body


def test_service_request_notice_waits_for_commit_and_drops_on_rollback(
    service_request,
):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_service_request_updated(service_request=service_request, change="note")
        raise RuntimeError("the update failed")
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_service_request_notice_goes_to_its_partner_only(
    service_request, other_partner_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify_service_request_updated(service_request=service_request, change="note")
    assert not Notification.objects.filter(recipient=other_partner_admin).exists()


def test_the_kinds_are_registered_with_english_texts():
    from core.notifications import KINDS

    for kind in (DAP_REMOVED, RELATIONSHIP_ENDED, SERVICE_REQUEST_UPDATED):
        entry = KINDS[kind]
        assert all(str(t) for t in (entry.label, entry.message, entry.email_subject))
        assert str(entry.email_body)
