"""R21/R22 with the real components: a worker process (``manage.py db_worker``)
against the test database and an SMTP server on loopback (aiosmtpd).

A request sent from the portal arrives with its link, in its language, From the
portal and Reply-To the partner user; SMTP down is retried until it is back; a
550 fails at once with its reason; a worker killed mid-task loses nothing.
"""

import pytest
from django.conf import settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from core.models import OutgoingEmail
from invitations import tokens
from invitations.models import LINK_PLACEHOLDER, Invitation
from invitations.services import invitation_create
from partners.models import Role
from tests.helpers import text
from tests.queue import failed_tasks, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def author(client, make_partner_user):
    user = make_partner_user(
        Role.ADMIN_AGENT, email="ava@contoso.example", first_name="Ava"
    )
    client.force_login(user)
    return user


def new_request(partner, author, *, language="en", to="admin@tailspin.example"):
    return invitation_create(
        partner=partner,
        created_by=author,
        include_dap=True,
        recipient_email=to,
        email_language=language,
    )


def send(client, invitation, *, to=None):
    """Press "Send email" on the draft, with the draft as it stands."""
    draft = Invitation.objects.get(pk=invitation.pk)
    link = tokens.link_for(draft)
    return client.post(
        reverse("invitations:email", args=[invitation.pk]),
        {
            "recipient_email": to or draft.recipient_email,
            "subject": draft.subject_with_link(link),
            "body": draft.body_with_link(link),
            "action": "send",
        },
    )


def email_of(invitation) -> OutgoingEmail:
    return (
        Invitation.objects.select_related("last_email").get(pk=invitation.pk).last_email
    )


def test_sent_from_the_portal_arrives_with_link_language_and_headers(
    client, partner, author, start_worker, smtp_server
):
    invitation = new_request(partner, author, language="fr")
    start_worker()
    response = send(client, invitation)
    assert response.status_code == 302

    (message,) = smtp_server.mailbox.wait_for(1)
    link = tokens.link_for(Invitation.objects.get(pk=invitation.pk))
    assert message["To"] == "admin@tailspin.example"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Reply-To"] == "ava@contoso.example"
    assert message["Content-Language"] == "fr"
    body = message.get_content()
    assert link in body
    assert "Bonjour" in body  # the French draft, as the partner chose
    # R7: what is stored keeps the placeholder, never the link.
    stored = Invitation.objects.get(pk=invitation.pk)
    assert LINK_PLACEHOLDER in stored.body and link not in stored.body
    assert link not in email_of(invitation).body

    wait_until(
        lambda: email_of(invitation).status == OutgoingEmail.Status.SENT,
        what="the email marked sent",
    )
    page = text(client.get(reverse("invitations:email", args=[invitation.pk])))
    assert "Sent" in page and "Send again" in page
    listing = text(client.get(reverse("invitations:list")))
    assert "Sent" in listing


def test_smtp_down_is_retried_and_arrives_once_it_is_back(
    client, partner, author, start_worker, smtp_server
):
    invitation = new_request(partner, author)
    smtp_server.stop()  # connection refused
    start_worker()
    send(client, invitation)
    wait_until(
        lambda: email_of(invitation).attempts >= 2,
        what="two attempts against a closed port",
    )
    email = email_of(invitation)
    assert email.status == OutgoingEmail.Status.QUEUED
    assert "Connection" in email.last_error or "refused" in email.last_error.lower()

    smtp_server.start()
    (message,) = smtp_server.mailbox.wait_for(1, timeout=30)
    assert message["To"] == "admin@tailspin.example"
    wait_until(lambda: email_of(invitation).status == OutgoingEmail.Status.SENT)
    assert not failed_tasks()


def test_smtp_550_fails_at_once_with_the_reason_and_no_retry(
    client, partner, author, start_worker, smtp_server
):
    smtp_server.mailbox.refuse = "550 5.1.1 Mailbox unavailable"
    invitation = new_request(partner, author)
    start_worker()
    send(client, invitation)
    wait_until(
        lambda: email_of(invitation).status == OutgoingEmail.Status.FAILED,
        what="the email marked failed",
    )
    email = email_of(invitation)
    assert email.attempts == 1
    assert "550" in email.last_error and "Mailbox unavailable" in email.last_error
    page = text(client.get(reverse("invitations:email", args=[invitation.pk])))
    assert "Failed" in page and "Mailbox unavailable" in page
    # Failed for good: the task is listed as failed for staff, and no retry waits.
    assert len(failed_tasks()) == 1
    assert not DBTaskResult.objects.ready().exists()


def test_a_worker_killed_mid_task_loses_nothing(
    client, partner, author, start_worker, smtp_server
):
    """SIGKILL while the worker is inside the SMTP conversation: the task stays
    "running" in the queue; a new worker finds its worker silent and runs it."""
    invitation = new_request(partner, author)
    gate = smtp_server.mailbox
    gate.hold = True  # the server keeps the first message waiting
    first = start_worker()
    send(client, invitation)
    wait_until(lambda: gate.waiting, what="the worker inside a send")
    first.kill()
    gate.hold = False

    start_worker()
    (message,) = smtp_server.mailbox.wait_for(1, timeout=30)
    assert message["To"] == "admin@tailspin.example"
    wait_until(lambda: email_of(invitation).status == OutgoingEmail.Status.SENT)
    # The same task, claimed by the killed worker and then by the new one.
    (task,) = DBTaskResult.objects.filter(task_path="core.tasks.send_email")
    assert len(task.worker_ids) == 2 and task.status == "SUCCESSFUL"
