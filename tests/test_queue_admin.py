"""R21 for staff: the job queue and the outbox in the admin, with Retry, and no
working invitation link anywhere in them."""

import smtplib

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from core.models import OutgoingEmail
from invitations import tokens
from invitations.services import invitation_create, invitation_send_email
from partners.models import Role
from tests import factories
from tests.helpers import admin_url, text
from tests.queue import break_mail, failed_tasks, run_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def refused_email(partner, monkeypatch):
    """An invitation email the server refused for good (550)."""
    author = factories.partner_user(partner=partner, role=Role.ADMIN_AGENT)
    invitation = invitation_create(
        partner=partner,
        created_by=author,
        include_dap=True,
        recipient_email="admin@tailspin.example",
    )
    invitation_send_email(
        invitation_id=invitation.pk, actor=author, to="admin@tailspin.example"
    )
    with monkeypatch.context() as patch:
        break_mail(
            patch,
            smtplib.SMTPRecipientsRefused(
                {"admin@tailspin.example": (550, b"5.1.1 Mailbox unavailable")}
            ),
        )
        run_tasks()
    return invitation


@pytest.fixture
def support(client):
    user = factories.UserFactory(email="support@portal.example", is_staff=True)
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="Support staff"))
    client.force_login(user)
    return user


def test_staff_see_the_failed_task_and_email_with_the_reason(
    client, support, refused_email
):
    tasks = text(client.get(admin_url(DBTaskResult), {"status__exact": "FAILED"}))
    assert "send_email" in tasks and "PermanentEmailFailure" in tasks
    emails = text(client.get(admin_url(OutgoingEmail), {"status__exact": "failed"}))
    assert "admin@tailspin.example" in emails
    assert "SMTP 550 5.1.1 Mailbox unavailable" in emails


def test_retry_from_the_task_list_sends_it_once_the_server_takes_it(
    client, support, refused_email
):
    (task,) = failed_tasks()
    response = client.post(
        admin_url(DBTaskResult),
        {"action": "retry", "_selected_action": [task.pk], "index": "0"},
        follow=True,
    )
    assert "1 task queued again." in text(response)
    run_tasks()
    (message,) = mail.outbox
    assert tokens.link_for(refused_email) in message.body
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT


def test_retry_from_the_outbox_too(client, support, refused_email):
    email = OutgoingEmail.objects.get()
    client.post(
        admin_url(OutgoingEmail),
        {"action": "retry", "_selected_action": [email.pk], "index": "0"},
    )
    run_tasks()
    assert len(mail.outbox) == 1


def test_no_admin_page_of_the_queue_shows_the_link(client, support, refused_email):
    link = tokens.link_for(refused_email)
    token = tokens.make_token(refused_email)
    email = OutgoingEmail.objects.get()
    (task,) = failed_tasks()
    pages = [
        admin_url(DBTaskResult),
        reverse("admin:django_tasks_database_dbtaskresult_change", args=[task.pk]),
        admin_url(OutgoingEmail),
        reverse("admin:core_outgoingemail_change", args=[email.pk]),
        reverse("admin:invitations_invitation_change", args=[refused_email.pk]),
    ]
    for page in pages:
        html = text(client.get(page))
        assert token not in html and link not in html, page
        assert "{{invitation_link}}" not in html, page
    change = text(client.get(pages[3]))
    assert "[link hidden]" in change


def test_staff_cannot_add_or_delete_tasks_or_emails(client, support, refused_email):
    assert client.get(admin_url(DBTaskResult, "add")).status_code == 403
    assert client.get(admin_url(OutgoingEmail, "add")).status_code == 403
    email = OutgoingEmail.objects.get()
    assert client.post(admin_url(OutgoingEmail, "delete", email.pk)).status_code == 403
