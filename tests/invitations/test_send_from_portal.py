"""R22–R24 in one process: Send email / Send again, delivery status, the hourly
limit, Opened, Extend and reminders (the tasks run with tests.queue.run_tasks;
tests/invitations/test_send_worker.py does the same with a real worker)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.mail import retry_delay
from core.models import Notification, OutgoingEmail
from customers.models import RelationshipEvent
from invitations import tokens
from invitations.models import LINK_PLACEHOLDER, Invitation, InvitationReminder
from invitations.services import (
    invitation_create,
    invitation_revoke,
    invitation_send_email,
    sender_key,
)
from partners.models import Role
from tests import factories
from tests.helpers import text
from tests.queue import run_tasks

pytestmark = pytest.mark.django_db

LIMIT_MESSAGES = {
    "en": "You have reached the limit of 200 emails an hour. You can send again at",
    "fr": "Vous avez atteint la limite de 200 e-mails par heure. Vous pourrez "
    "envoyer de nouveau à",
    "de": "Sie haben das Limit von 200 E-Mails pro Stunde erreicht. Sie können "
    "wieder senden um",
}


@pytest.fixture
def author(client, make_partner_user):
    user = make_partner_user(Role.ADMIN_AGENT, email="ava@contoso.example")
    client.force_login(user)
    return user


@pytest.fixture
def invitation(partner, author):
    return invitation_create(
        partner=partner,
        created_by=author,
        include_dap=True,
        recipient_email="admin@tailspin.example",
    )


def draft_url(invitation):
    return reverse("invitations:email", args=[invitation.pk])


def post_send(client, invitation, **fields):
    fresh = Invitation.objects.get(pk=invitation.pk)
    link = tokens.link_for(fresh)
    data = {
        "recipient_email": fresh.recipient_email,
        "subject": fresh.subject_with_link(link),
        "body": fresh.body_with_link(link),
        "action": "send",
        **fields,
    }
    return client.post(draft_url(invitation), data)


def test_send_email_queues_then_the_worker_sends_with_the_link(
    client, invitation, author
):
    response = post_send(client, invitation)
    assert response.status_code == 302
    assert mail.outbox == []  # R21: never inside the web request
    page = text(client.get(draft_url(invitation)))
    assert "Queued" in page and "Send again" in page

    run_tasks()
    (message,) = mail.outbox
    link = tokens.link_for(invitation)
    assert link in message.body
    assert message.to == ["admin@tailspin.example"]
    assert message.reply_to == ["ava@contoso.example"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    page = text(client.get(draft_url(invitation)))
    assert re.search(r'badge--sent">Sent</span> <time datetime="[^"]+">', page)
    # R7: the outbox and the draft keep the placeholder.
    email = OutgoingEmail.objects.get()
    assert LINK_PLACEHOLDER in email.body and link not in email.body


def test_send_uses_the_edited_text_and_keeps_it(client, invitation):
    fresh = Invitation.objects.get(pk=invitation.pk)
    link = tokens.link_for(fresh)
    post_send(client, invitation, body=f"Hi, please accept:\n{link}\nThanks\n")
    run_tasks()
    assert mail.outbox[0].body == f"Hi, please accept:\n{link}\nThanks\n"
    assert Invitation.objects.get(pk=invitation.pk).body.startswith("Hi, please")


def test_send_without_an_address_is_refused_next_to_the_field(client, invitation):
    response = post_send(client, invitation, recipient_email="")
    assert response.status_code == 400
    assert "Enter the customer&#x27;s email address to send it to." in text(response)
    assert not OutgoingEmail.objects.exists()


def test_send_again_resends_the_same_link(client, invitation):
    post_send(client, invitation)
    run_tasks()
    response = client.post(reverse("invitations:send", args=[invitation.pk]))
    assert response.status_code == 302
    run_tasks()
    first, second = mail.outbox
    link = tokens.link_for(invitation)
    assert link in first.body and link in second.body
    listing = text(client.get(reverse("invitations:list")))
    assert "Send again" in listing and "badge--sent" in listing


def test_send_and_extend_are_post_only_and_another_partners_are_404(
    client, invitation, other_partner
):
    for name in ("invitations:send", "invitations:extend"):
        assert client.get(reverse(name, args=[invitation.pk])).status_code == 405
    theirs = factories.InvitationFactory(partner=other_partner)
    for name in ("invitations:send", "invitations:extend"):
        assert client.post(reverse(name, args=[theirs.pk])).status_code == 404
    assert not OutgoingEmail.objects.exists()


def test_a_sales_agent_cannot_send_or_extend_a_colleagues_request(
    invitation, make_partner_user
):
    sales = make_partner_user(Role.SALES_AGENT)
    other = Client()
    other.force_login(sales)
    for name in ("invitations:send", "invitations:extend"):
        response = other.post(reverse(name, args=[invitation.pk]))
        assert response.status_code == 403
    assert not OutgoingEmail.objects.exists()


def test_a_revoked_request_is_not_sent_even_if_it_was_queued(
    client, invitation, author
):
    post_send(client, invitation)
    invitation_revoke(invitation_id=invitation.pk, actor=author)
    run_tasks()
    assert mail.outbox == []
    email = OutgoingEmail.objects.get()
    assert email.status == OutgoingEmail.Status.FAILED
    assert "no longer pending" in email.last_error


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_the_201st_email_of_an_hour_is_refused_saying_when(
    client, invitation, author, language
):
    now = timezone.now()
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            to=f"c{i}@example.test",
            subject="s",
            body="b",
            sender_key=sender_key(invitation.partner_id),
            scheduled_at=now - timedelta(minutes=50) + timedelta(seconds=i),
        )
        for i in range(200)
    )
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    response = post_send(client, invitation)
    assert response.status_code == 400
    assert LIMIT_MESSAGES[language] in text(response).replace("&#x27;", "'")
    assert OutgoingEmail.objects.count() == 200  # nothing queued
    # The oldest of the hour leaves the window ten minutes from now.
    with time_machine.travel(now + timedelta(minutes=11)):
        invitation_send_email(
            invitation_id=invitation.pk, actor=author, to="admin@tailspin.example"
        )
    assert OutgoingEmail.objects.count() == 201


def test_opened_shows_only_after_a_person_acts_on_the_page(client, invitation):
    post_send(client, invitation)
    run_tasks()
    visitor = Client()
    page = visitor.get(tokens.link_for(invitation).split("8000")[-1])["Location"]
    visitor.get(page)  # what a mail gateway does: not opened
    assert "badge--opened" not in text(client.get(draft_url(invitation)))
    visitor.post(page, {"action": "signin", "email": "a@b.example", "password": "x"})
    assert "badge--opened" in text(client.get(draft_url(invitation)))
    assert "badge--opened" in text(client.get(reverse("invitations:list")))


def test_extend_moves_the_expiry_keeps_the_link_and_records_an_event(
    client, invitation, author
):
    link = tokens.link_for(invitation)
    later = timezone.now() + timedelta(days=30)
    with time_machine.travel(later):
        client.force_login(author)  # a session lasts two weeks
        response = client.post(
            reverse("invitations:extend", args=[invitation.pk]), {"next": "email"}
        )
    assert response["Location"] == draft_url(invitation)
    fresh = Invitation.objects.get(pk=invitation.pk)
    expected = later + timedelta(days=settings.INVITATION_TTL_DAYS)
    assert abs(fresh.expires_at - expected) < timedelta(minutes=1)
    assert tokens.link_for(fresh) == link
    event = RelationshipEvent.objects.get(kind="extended")
    assert event.invitation_id == invitation.pk


def test_extend_refuses_a_request_that_is_no_longer_pending(client, invitation, author):
    invitation_revoke(invitation_id=invitation.pk, actor=author)
    response = client.post(
        reverse("invitations:extend", args=[invitation.pk]), follow=True
    )
    assert "no longer pending" in text(response)
    assert not RelationshipEvent.objects.filter(kind="extended").exists()


# --- Reminders (R23), with the clock moved ---------------------------------------


def reminders_sent():
    return [m for m in mail.outbox if m.subject.startswith("Reminder:")]


def travel_and_run(at):
    with time_machine.travel(at, tick=False):
        run_tasks()


def test_a_pending_request_gets_reminders_7_and_1_days_before_expiry(
    client, invitation, author
):
    post_send(client, invitation)
    run_tasks()
    expires = Invitation.objects.get(pk=invitation.pk).expires_at
    travel_and_run(expires - timedelta(days=8))
    assert reminders_sent() == []
    travel_and_run(expires - timedelta(days=7) + timedelta(minutes=1))
    (first,) = reminders_sent()
    assert "7 days" in first.body and tokens.link_for(invitation) in first.body
    assert first.to == ["admin@tailspin.example"]
    travel_and_run(expires - timedelta(days=1) + timedelta(minutes=1))
    assert len(reminders_sent()) == 2
    assert "1 day." in reminders_sent()[1].body
    # The creator is told too, once each time, in the portal.
    notices = Notification.objects.filter(
        recipient=author, kind="invitation_expiring"
    ).order_by("created_at")
    assert [n.params["days"] for n in notices] == [7, 1]
    page = text(client.get(reverse("partners:notifications")))
    assert "Your request to admin@tailspin.example expires in 1 day" in page
    # Run again after expiry: nothing more (idempotent, and expired).
    travel_and_run(expires + timedelta(days=1))
    assert len(reminders_sent()) == 2
    assert InvitationReminder.objects.count() == 2


@pytest.mark.parametrize("ending", ["revoked", "accepted", "declined"])
def test_no_reminder_for_a_request_that_is_no_longer_pending(
    client, invitation, author, ending
):
    post_send(client, invitation)
    run_tasks()
    expires = Invitation.objects.get(pk=invitation.pk).expires_at
    if ending == "revoked":
        invitation_revoke(invitation_id=invitation.pk, actor=author)
    else:
        relationship = factories.RelationshipFactory(partner=invitation.partner)
        Invitation.objects.filter(pk=invitation.pk).update(
            status=ending,
            customer=relationship.customer,
            relationship=relationship,
        )
    travel_and_run(expires - timedelta(days=7) + timedelta(minutes=1))
    travel_and_run(expires - timedelta(days=1) + timedelta(minutes=1))
    assert reminders_sent() == []


def test_extended_past_the_reminders_gets_them_at_the_new_expiry_only(
    client, invitation, author
):
    post_send(client, invitation)
    run_tasks()
    expires = Invitation.objects.get(pk=invitation.pk).expires_at
    with time_machine.travel(expires - timedelta(days=10), tick=False):
        client.force_login(author)
        client.post(reverse("invitations:extend", args=[invitation.pk]))
    new_expiry = Invitation.objects.get(pk=invitation.pk).expires_at
    travel_and_run(expires - timedelta(days=7) + timedelta(minutes=1))
    travel_and_run(expires - timedelta(days=1) + timedelta(minutes=1))
    assert reminders_sent() == []
    travel_and_run(new_expiry - timedelta(days=7) + timedelta(minutes=1))
    assert len(reminders_sent()) == 1


def test_a_request_never_sent_from_the_portal_gets_no_reminder(invitation):
    # Copied into the partner's own mail program: the portal cannot remind.
    expires = invitation.expires_at
    travel_and_run(expires - timedelta(days=1) + timedelta(minutes=1))
    assert reminders_sent() == []


def test_retries_back_off_over_at_least_six_hours_in_five_attempts_or_more():
    attempts = settings.TASK_MAX_ATTEMPTS
    assert attempts >= 5
    waits = [retry_delay(n) for n in range(1, attempts)]
    assert waits == sorted(waits) and waits[0] < waits[-1]
    assert sum(waits, timedelta()) >= timedelta(hours=6)
