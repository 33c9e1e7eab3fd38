"""DESIGN 8.2 / issue 14: "Create an account for your organisation" needs the
6-digit code emailed to an address at the organisation's domain before the
organisation exists; codes expire after 15 minutes and are throttled; refused
when already signed in; at most 3 organisations a link; the same answer whether
or not an address or domain exists until the code is proven."""

import json
import logging
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.db import connection, connections
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from core.exceptions import DomainError
from core.models import OutgoingEmail
from customers.models import Customer, CustomerMembership
from invitations import sign_up as sign_up_service
from invitations.views import SIGN_UP_SESSION_KEY
from partners.models import Role
from tests import factories
from tests.helpers import open_link, text
from tests.queue import run_tasks

pytestmark = pytest.mark.django_db

PASSWORD = "Blue-Harbour-Lantern-47"
SENT = "We sent a code to"


def start(client, invitation, *, domain="blue-yonder.example", local="admin", **fields):
    """Step 1 from the link's page; the response (a redirect to the code page)."""
    data = {
        "action": "signup",
        "organisation": fields.pop("organisation", "Blue Yonder"),
        "domain": domain,
        "country": "FR",
        "first_name": "Marie",
        "last_name": "Dupont",
        "email": f"{local}@{domain}",
        "password": PASSWORD,
        **fields,
    }
    return client.post(open_link(client, invitation), data)


def code_page(client) -> str:
    pending = client.session[SIGN_UP_SESSION_KEY]
    return reverse("invitations:sign_up_code", kwargs={"sign_up_id": pending["id"]})


def emailed_code(to: str) -> str:
    run_tasks()
    message = [m for m in mail.outbox if m.to == [to]][-1]
    return re.search(r"^(\d{6})$", message.body, re.M).group(1)


def enter(client, code, url=None):
    return client.post(url or code_page(client), {"action": "verify", "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def experience_url(invitation) -> str:
    return open_link(Client(), invitation)


# --- Without the code nothing exists ----------------------------------------------


def test_without_the_emailed_code_no_organisation_exists(client, invitation):
    response = start(client, invitation)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert not Customer.objects.exists()
    assert not get_user_model().objects.filter(email="admin@blue-yonder.example")
    assert "_auth_user_id" not in client.session


def test_right_code_creates_organisation_and_admin_and_signs_in(client, invitation):
    start(client, invitation)
    code = emailed_code("admin@blue-yonder.example")
    response = enter(client, f"{code[:3]} {code[3:]}")  # spaces as people type them
    assert response.status_code == 302
    assert response["Location"] == open_link(Client(), invitation)
    customer = Customer.objects.get(domain="blue-yonder.example")
    assert (customer.name, customer.country, customer.cloud) == (
        "Blue Yonder",
        "FR",
        invitation.partner.cloud,
    )
    assert customer.signed_up_through == invitation.pk
    membership = CustomerMembership.objects.get(customer=customer)
    user = membership.user
    assert membership.is_admin
    assert (user.email, user.first_name, user.last_name) == (
        "admin@blue-yonder.example",
        "Marie",
        "Dupont",
    )
    assert user.check_password(PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)
    assert SIGN_UP_SESSION_KEY not in client.session
    page = text(client.get(response["Location"]))
    assert "administrator of Blue Yonder" in page
    assert "Accept and authorize" in page


def test_code_email_goes_through_the_queue(client, invitation):
    start(client, invitation)
    assert mail.outbox == []  # never inside the web request (R21)
    queued = OutgoingEmail.objects.get(to="admin@blue-yonder.example")
    assert queued.status == OutgoingEmail.Status.QUEUED
    code = emailed_code("admin@blue-yonder.example")
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.SENT
    (message,) = mail.outbox
    assert "Blue Yonder" in message.subject
    assert code not in message.subject
    assert "15 minutes" in message.body


@pytest.mark.parametrize(
    ("language", "greeting"), [("fr", "Bonjour,"), ("de", "Guten Tag,")]
)
def test_code_email_is_in_the_persons_language(client, partner, language, greeting):
    # The link's email language, unless the visitor chose another on the page.
    invitation = factories.InvitationFactory(partner=partner, email_language=language)
    start(client, invitation)
    code = emailed_code("admin@blue-yonder.example")
    (message,) = mail.outbox
    assert message.body.startswith(greeting)
    assert code in message.body
    assert message.extra_headers["Content-Language"] == language


def test_code_email_follows_the_language_chosen_on_the_page(client, invitation):
    client.cookies["django_language"] = "de"
    start(client, invitation)
    run_tasks()
    assert mail.outbox[0].body.startswith("Guten Tag,")


# --- Wrong codes, throttling, expiry -----------------------------------------------


def test_wrong_code_is_refused_next_to_the_field_and_creates_nothing(
    client, invitation
):
    start(client, invitation)
    code = emailed_code("admin@blue-yonder.example")
    response = enter(client, wrong(code))
    assert response.status_code == 400
    (error,) = response.context["form"].errors["code"]
    assert "not the one we sent" in error
    assert not Customer.objects.exists()


def test_five_wrong_codes_stop_the_sign_up_even_the_right_code_after(
    client, invitation
):
    # Done when: "a wrong code 5 times is throttled".
    start(client, invitation)
    url = code_page(client)
    code = emailed_code("admin@blue-yonder.example")
    for _ in range(4):
        assert enter(client, wrong(code), url).status_code == 400
    response = enter(client, wrong(code), url)
    assert response.status_code == 302
    assert response["Location"] == experience_url(invitation)
    assert SIGN_UP_SESSION_KEY not in client.session
    page = text(client.get(response["Location"]))
    assert "Too many wrong codes were entered" in page
    assert enter(client, code, url).status_code == 404
    assert not Customer.objects.exists()


def test_after_five_wrong_codes_a_new_sign_up_for_the_address_waits(client, invitation):
    start(client, invitation)
    code = emailed_code("admin@blue-yonder.example")
    for _ in range(5):
        enter(client, wrong(code))
    # Starting again at once does not give five more guesses for that address.
    response = start(client, invitation)
    assert response.status_code == 400
    assert "Too many wrong codes were entered" in text(response)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert start(client, invitation).status_code == 302


def test_four_wrong_codes_then_the_right_one_works(client, invitation):
    start(client, invitation)
    code = emailed_code("admin@blue-yonder.example")
    for _ in range(4):
        enter(client, wrong(code))
    assert enter(client, code).status_code == 302
    assert Customer.objects.filter(domain="blue-yonder.example").exists()


@override_settings(LOGIN_IP_FAILURE_LIMIT=3)
def test_wrong_codes_from_one_client_address_are_throttled_across_addresses(
    invitation,
):
    # Per client address too: new addresses do not give one network new guesses.
    for n in range(3):
        client = Client()
        start(client, invitation, domain=f"org{n}.example")
        code = emailed_code(f"admin@org{n}.example")
        assert enter(client, wrong(code)).status_code == 400
    # The fourth try from this address, for the third organisation: refused
    # before the (right) code is even looked at.
    response = enter(client, code)
    assert response.status_code == 302
    assert "Too many wrong codes" in text(client.get(response["Location"]))
    assert not Customer.objects.exists()


def test_code_expires_after_fifteen_minutes_and_a_new_code_works(client, invitation):
    start(client, invitation)
    url = code_page(client)
    code = emailed_code("admin@blue-yonder.example")
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        response = enter(client, code, url)
        assert response.status_code == 400
        assert "expired" in response.context["form"].errors["code"][0]
        resent = client.post(url, {"action": "resend"})
        assert resent.status_code == 302
        assert "We sent a new code" in text(client.get(url))
        new_code = emailed_code("admin@blue-yonder.example")
        if new_code != code:
            assert enter(client, code, url).status_code == 400  # the old one is gone
        assert enter(client, new_code, url).status_code == 302
    assert Customer.objects.filter(domain="blue-yonder.example").exists()


def test_code_works_just_before_fifteen_minutes(client, invitation):
    start(client, invitation)
    code = emailed_code("admin@blue-yonder.example")
    with time_machine.travel(timezone.now() + timedelta(minutes=14, seconds=50)):
        assert enter(client, code).status_code == 302


def test_send_a_new_code_is_throttled(client, invitation):
    start(client, invitation)  # the first code counts too
    url = code_page(client)
    for _ in range(4):
        client.post(url, {"action": "resend"})
    response = client.post(url, {"action": "resend"}, follow=True)
    assert "Too many codes were sent" in text(response)
    run_tasks()
    assert len(mail.outbox) == 5


# --- The same answer for known and unknown addresses and domains -------------------


def _step_one_answer(client, invitation, **kwargs):
    response = start(client, invitation, **kwargs)
    page = client.get(response["Location"])
    pending = client.session[SIGN_UP_SESSION_KEY]
    # The page, with the address and the per-sign-up id and token taken out.
    html = text(page).replace(pending["email"], "ADDRESS").replace(pending["id"], "ID")
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return response.status_code, page.status_code, html


def test_step_one_answers_the_same_for_a_known_address_and_domain(
    invitation, customer, customer_admin
):
    known = _step_one_answer(Client(), invitation, domain=customer.domain)
    new = _step_one_answer(Client(), invitation)
    assert known == new
    assert SENT in known[2]


def test_a_known_address_gets_a_note_not_a_code(client, invitation, customer_admin):
    domain = customer_admin.email.split("@")[1]
    start(client, invitation, domain=domain)
    run_tasks()
    (message,) = mail.outbox
    assert message.to == [customer_admin.email]
    assert "already has an account" in message.body
    assert not re.search(r"^\d{6}$", message.body, re.M)
    # Any code is then just a wrong code, like for everyone else.
    assert enter(client, "123456").status_code == 400


def test_known_domain_is_said_only_after_the_code(client, invitation, customer):
    start(client, invitation, domain=customer.domain, local="new.person")
    code = emailed_code(f"new.person@{customer.domain}")
    response = enter(client, code)
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "An organisation with the domain tailspin.example already exists" in page
    assert Customer.objects.count() == 1
    assert not get_user_model().objects.filter(email=f"new.person@{customer.domain}")
    assert "_auth_user_id" not in client.session


def test_address_taken_between_the_steps_is_refused_after_the_code(client, invitation):
    start(client, invitation)
    code = emailed_code("admin@blue-yonder.example")
    factories.UserFactory(email="admin@blue-yonder.example")
    response = enter(client, code)
    assert "already exists" in text(client.get(response["Location"]))
    assert not Customer.objects.exists()


# --- At most 3 organisations a link -------------------------------------------------


def _sign_up_fully(invitation, domain):
    client = Client()
    start(client, invitation, domain=domain)
    code = emailed_code(f"admin@{domain}")
    return client, enter(client, code)


def test_one_link_creates_at_most_three_organisations(invitation):
    for n in range(3):
        _client, response = _sign_up_fully(invitation, f"org{n}.example")
        assert response.status_code == 302
    assert Customer.objects.filter(signed_up_through=invitation.pk).count() == 3
    client = Client()
    response = start(client, invitation, domain="org4.example")
    assert response.status_code == 400
    assert "the most one link allows" in text(response)
    assert SIGN_UP_SESSION_KEY not in client.session


def test_the_limit_is_checked_again_when_the_code_is_entered(invitation):
    # Four started while none existed: the fourth code creates nothing.
    clients = []
    for n in range(4):
        client = Client()
        start(client, invitation, domain=f"org{n}.example")
        clients.append((client, emailed_code(f"admin@org{n}.example")))
    for client, code in clients[:3]:
        assert enter(client, code).status_code == 302
    client, code = clients[3]
    response = enter(client, code)
    assert "the most one link allows" in text(client.get(response["Location"]))
    assert not Customer.objects.filter(domain="org3.example").exists()


# --- Signed in, partner users ---------------------------------------------------------


def test_signed_in_customer_admin_is_refused(client, invitation, customer_admin):
    client.force_login(customer_admin)
    response = start(client, invitation)
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert f"You are signed in as {customer_admin.email}. Sign out first" in page
    assert SIGN_UP_SESSION_KEY not in client.session
    assert not OutgoingEmail.objects.exists()


def test_signed_in_partner_user_is_refused(client, invitation, admin_agent):
    client.force_login(admin_agent)
    start(client, invitation)
    assert SIGN_UP_SESSION_KEY not in client.session
    assert not Customer.objects.exists()


def test_signing_in_between_the_steps_refuses_the_code(client, invitation, admin_agent):
    start(client, invitation)
    url = code_page(client)
    code = emailed_code("admin@blue-yonder.example")
    client.force_login(admin_agent)
    response = enter(client, code, url)
    assert response.status_code == 302
    assert not Customer.objects.exists()


def test_partners_own_domain_is_refused_through_its_link(client, invitation):
    # The sales agent's fake customer: adam@contoso.test works for the partner.
    response = start(client, invitation, domain="contoso.test", local="fake")
    assert response.status_code == 400
    (error,) = response.context["signup_form"].errors["domain"]
    assert "contoso.test is a domain of Contoso Cloud Partners" in error
    assert not OutgoingEmail.objects.exists()


def test_another_partners_domain_is_refused_after_the_code(
    client, invitation, other_partner
):
    factories.partner_user(other_partner, Role.SALES_AGENT, email="sam@other.example")
    start(client, invitation, domain="other.example")
    code = emailed_code("admin@other.example")
    response = enter(client, code)
    assert "used by a partner" in text(client.get(response["Location"]))
    assert not Customer.objects.exists()


# --- The code page: unknown ids, bad input, a link that changed -----------------------


def test_unknown_or_tampered_sign_up_id_is_404(client, invitation):
    start(client, invitation)
    url = code_page(client)
    tampered = url.rstrip("/")[:-2] + "xx/"
    assert client.get(tampered).status_code == 404
    assert (
        client.post(tampered, {"action": "verify", "code": "123456"}).status_code == 404
    )
    unknown = reverse("invitations:sign_up_code", kwargs={"sign_up_id": "nope"})
    response = client.get(unknown)
    assert response.status_code == 404
    assert "This sign-up is not open here" in text(response)


@pytest.mark.parametrize(
    "sign_up_id", ["9" * 25, "x" * 3000, "%C3%A9", "..", "%25", "a%20b"]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_odd_sign_up_ids_are_not_found(client, invitation, sign_up_id, method):
    # R20 for the new URL: never a 500, with or without a sign-up under way.
    start(client, invitation)
    path = f"/portals/sign-up/{sign_up_id}/"
    response = getattr(client, method)(path, {"action": "verify", "code": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "stored", ["text", 42, [], {"id": "abc"}, {"id": 5, "failures": "x"}]
)
def test_damaged_pending_sign_up_in_the_session_is_not_found(
    client, invitation, stored
):
    start(client, invitation)
    url = code_page(client)
    session = client.session
    session[SIGN_UP_SESSION_KEY] = stored
    session.save()
    assert client.get(url).status_code == 404
    assert enter(client, "123456", url).status_code == 404


def test_another_browser_cannot_use_the_code_page(client, invitation):
    start(client, invitation)
    url = code_page(client)
    code = emailed_code("admin@blue-yonder.example")
    stranger = Client()
    open_link(stranger, invitation)
    assert stranger.get(url).status_code == 404
    assert enter(stranger, code, url).status_code == 404
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "code",
    ["", "abc", "12345", "1234567", "١٢٣٤٥٦", "12 34 5x", "x" * 5000],
)
def test_bad_codes_are_form_errors_never_500(client, invitation, code):
    start(client, invitation)
    response = enter(client, code)
    assert response.status_code == 400
    assert "Enter the 6-digit code" in text(response)


def test_null_byte_in_the_code_is_a_400(client, invitation):
    start(client, invitation)
    assert enter(client, "\x00123456").status_code == 400
    assert not Customer.objects.exists()


def test_unknown_action_is_400_and_get_changes_nothing(client, invitation):
    start(client, invitation)
    url = code_page(client)
    assert client.post(url, {"action": "nope"}).status_code == 400
    assert client.get(url).status_code == 200
    run_tasks()
    assert len(mail.outbox) == 1


def test_code_page_refuses_other_methods(client, invitation):
    start(client, invitation)
    assert client.put(code_page(client)).status_code == 405


def test_revoked_link_between_the_steps_ends_the_sign_up(client, invitation):
    from invitations.services import invitation_revoke

    start(client, invitation)
    url = code_page(client)
    code = emailed_code("admin@blue-yonder.example")
    invitation_revoke(invitation_id=invitation.pk, actor=invitation.created_by)
    assert enter(client, code, url).status_code == 410
    assert not Customer.objects.exists()


def test_renewed_link_between_the_steps_ends_the_sign_up(client, invitation):
    from invitations.services import invitation_renew_link

    start(client, invitation)
    url = code_page(client)
    code = emailed_code("admin@blue-yonder.example")
    invitation_renew_link(invitation_id=invitation.pk, actor=invitation.created_by)
    assert enter(client, code, url).status_code == 404
    assert not Customer.objects.exists()


# --- Security events ----------------------------------------------------------------


def test_security_events_hash_the_address_and_never_hold_the_code(
    client, invitation, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO, logger="security")
    start(client, invitation)
    code = emailed_code("admin@blue-yonder.example")
    enter(client, wrong(code))
    with django_capture_on_commit_callbacks(execute=True):
        enter(client, code)
    events = [r for r in caplog.records if r.name == "security"]
    names = [r.event for r in events]
    assert names == ["sign_up_code_sent", "sign_up_code_failed", "sign_up_completed"]
    for record in events:
        fields = json.dumps(record.security)
        assert "admin@blue-yonder.example" not in fields
        assert code not in fields
        assert PASSWORD not in fields
        assert record.security["address_hash"]


def test_code_is_six_digits_from_the_whole_range():
    codes = {sign_up_service._new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 190


# --- The real queue: a worker process and an SMTP server ---------------------------


@pytest.mark.django_db(transaction=True)
def test_code_arrives_through_the_worker_and_creates_the_organisation(
    start_worker, smtp_server, partner
):
    admin_agent = factories.partner_user(partner, Role.ADMIN_AGENT)
    invitation = factories.InvitationFactory(
        partner=partner, created_by=admin_agent, email_language="fr"
    )
    client = Client()
    start_worker()
    assert start(client, invitation).status_code == 302
    (message,) = smtp_server.mailbox.wait_for(1)
    assert message["To"] == "admin@blue-yonder.example"
    assert message["Content-Language"] == "fr"
    body = message.get_content()
    assert body.startswith("Bonjour,")
    code = re.search(r"^(\d{6})\s*$", body, re.M).group(1)
    assert not Customer.objects.exists()
    assert enter(client, code).status_code == 302
    assert Customer.objects.get().signed_up_through == invitation.pk


# --- Concurrency (PostgreSQL): the per-link limit holds under parallel codes -------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: real row locks and one connection per thread",
)
@pytest.mark.django_db(transaction=True)
def test_parallel_right_codes_never_pass_three_organisations_a_link(partner):
    invitation = factories.InvitationFactory(partner=partner)
    factories.CustomerFactory(domain="first.example", signed_up_through=invitation.pk)
    pendings = [
        sign_up_service.PendingSignUp(
            id=f"p{n}",
            invitation_id=invitation.pk,
            email=f"admin@org{n}.example",
            organisation=f"Org {n}",
            domain=f"org{n}.example",
            country="FR",
            first_name="A",
            last_name="B",
            password_hash=make_password(PASSWORD),
            language="en",
        )
        for n in range(6)
    ]
    barrier = threading.Barrier(len(pendings))
    outcomes = []

    def complete(pending):
        try:
            barrier.wait(timeout=30)
            sign_up_service.sign_up_complete(pending=pending, request=None)
            outcomes.append("created")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=complete, args=(p,)) for p in pendings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["created"] * 2 + ["link_sign_up_limit"] * 4
    assert Customer.objects.filter(signed_up_through=invitation.pk).count() == 3
