"""R9/R4/R10/R13 through the pages: the customer administrator signs in, then
accepts or declines."""

import logging
import re
import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.models import Notification
from customers.models import (
    Customer,
    CustomerMembership,
    RelationshipEvent,
    ResellerRelationship,
)
from customers.services import dap_remove, relationship_end
from invitations import tokens
from invitations.models import Invitation
from invitations.views import SESSION_KEY
from partners.models import Cloud, Role
from tests import factories
from tests.helpers import open_link, text
from tests.queue import break_mail, run_tasks

pytestmark = pytest.mark.django_db

Kind = RelationshipEvent.Kind
NEW_PASSWORD = "Blue-Harbour-Lantern-47"


def accepted_events(invitation):
    return RelationshipEvent.objects.filter(
        kind=Kind.ACCEPTED, invitation_id=invitation.pk
    )


# --- Signing in and signing up --------------------------------------------------


def test_experience_page_signed_out_offers_sign_in_and_sign_up(client, invitation):
    # R9: who is asking, what DAP allows, and how to sign in or create an account.
    page = client.get(open_link(client, invitation))
    body = text(page)
    assert page.status_code == 200
    assert invitation.partner.name in body
    assert "France" in body
    assert "delegated administration privileges" in body
    assert "Create an account for your organisation" in body
    assert "Accept and authorize" not in body


def test_experience_page_sign_in_and_sign_up_controls_have_distinct_ids(
    client, invitation
):
    # Both forms ask for an email and a password: each label must find its own box.
    page = client.get(open_link(client, invitation))
    signin, signup = page.context["signin_form"], page.context["signup_form"]
    assert signin["email"].id_for_label != signup["email"].id_for_label
    assert signin["password"].id_for_label != signup["password"].id_for_label
    assert text(page).count(f'id="{signup["email"].id_for_label}"') == 1


def test_experience_sign_in_with_admin_account_shows_who_is_signed_in_before_button(
    client, invitation, customer_admin, customer
):
    # R9: "You are signed in as <email>, administrator of <organisation>" first.
    url = open_link(client, invitation)
    response = client.post(
        url,
        {
            "action": "signin",
            "email": customer_admin.email,
            "password": "test-password",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url
    assert client.session[SESSION_KEY] == tokens.session_proof(
        tokens.make_token(invitation)
    )
    body = text(client.get(url))
    signed_in = (
        f"You are signed in as {customer_admin.email}, "
        f"administrator of {customer.name}."
    )
    assert signed_in in body
    assert body.index(signed_in) < body.index("Accept and authorize")
    assert "Switch account" in body


def test_experience_sign_in_with_wrong_password_shows_error_and_no_session(
    client, invitation, customer_admin
):
    url = open_link(client, invitation)
    response = client.post(
        url, {"action": "signin", "email": customer_admin.email, "password": "nope"}
    )
    assert response.status_code == 400
    assert "The email address or password is incorrect." in text(response)
    assert "_auth_user_id" not in client.session


def _emailed_code(to):
    """The 6-digit code of the sign-up email to ``to`` (DESIGN 8.2)."""
    run_tasks()
    message = [m for m in mail.outbox if m.to == [to]][-1]
    return re.search(r"^(\d{6})$", message.body, re.M).group(1)


def _sign_up_step_one(client, url, **fields):
    return client.post(
        url,
        {
            "action": "signup",
            "first_name": "Marie",
            "last_name": "Dupont",
            "password": NEW_PASSWORD,
            "country": "FR",
            **fields,
        },
    )


def test_experience_sign_up_creates_customer_in_invitation_cloud_with_admin(client):
    # R9: "Create an account for your organisation" uses the invitation's cloud;
    # 8.2: only once the code emailed to the address is entered.
    partner = factories.PartnerFactory(
        name="Fabrikam Deutschland", country="DE", cloud=Cloud.GERMANY
    )
    invitation = factories.InvitationFactory(partner=partner)
    url = open_link(client, invitation)
    response = _sign_up_step_one(
        client,
        url,
        organisation="Bergmann GmbH",
        domain="Bergmann.Example",
        country="DE",
        email="Admin@Bergmann.example",
    )
    assert response.status_code == 302
    assert not Customer.objects.filter(name="Bergmann GmbH").exists()
    code = _emailed_code("admin@bergmann.example")
    response = client.post(response["Location"], {"action": "verify", "code": code})
    assert response.status_code == 302
    assert response["Location"] == url
    customer = Customer.objects.get(name="Bergmann GmbH")
    assert customer.cloud == Cloud.GERMANY
    assert customer.domain == "bergmann.example"
    assert customer.country == "DE"
    membership = CustomerMembership.objects.get(customer=customer)
    assert membership.is_admin
    assert membership.user.email == "admin@bergmann.example"
    assert membership.user.check_password(NEW_PASSWORD)
    page = client.get(url)
    assert "administrator of Bergmann GmbH" in text(page)
    assert "Accept and authorize" in text(page)


def test_experience_sign_up_with_domain_taken_is_said_only_after_the_code(
    client, invitation, customer
):
    # 8.2: the same answer as for a new domain until the code is proven; then
    # the refusal, and nothing is created.
    url = open_link(client, invitation)
    response = _sign_up_step_one(
        client,
        url,
        organisation="Tailspin Again",
        domain="TAILSPIN.Example",
        email="someone@tailspin.example",
    )
    assert response.status_code == 302
    code = _emailed_code("someone@tailspin.example")
    response = client.post(response["Location"], {"action": "verify", "code": code})
    assert response.status_code == 302
    assert "already exists" in text(client.get(response["Location"]))
    assert Customer.objects.count() == 1
    assert not CustomerMembership.objects.filter(user__email="someone@tailspin.example")
    assert "_auth_user_id" not in client.session


def test_experience_sign_up_with_email_taken_gets_the_same_answer_and_a_note(
    client, invitation, customer_admin
):
    url = open_link(client, invitation)
    response = _sign_up_step_one(
        client,
        url,
        organisation="New Org",
        domain="tailspin.example",
        email=customer_admin.email.upper(),
    )
    assert response.status_code == 302
    assert "We sent a code to" in text(client.get(response["Location"]))
    run_tasks()
    (note,) = mail.outbox
    assert "already has an account" in note.body
    assert Customer.objects.count() == 1


def test_experience_sign_up_with_bad_input_shows_errors_next_to_fields_no_500(
    client, invitation
):
    # R20
    url = open_link(client, invitation)
    response = client.post(
        url,
        {
            "action": "signup",
            "organisation": "",
            "domain": "not a domain",
            "country": "XX",
            "email": "nope",
            "password": "123",
        },
    )
    assert response.status_code == 400
    errors = response.context["signup_form"].errors
    assert set(errors) == {
        "organisation",
        "domain",
        "country",
        "first_name",
        "last_name",
        "email",
        "password",
    }
    assert Customer.objects.count() == 0


def test_experience_switch_account_signs_out_and_keeps_link_in_session(
    client, admin_on_page, invitation
):
    # R9: a way to switch account, without losing the link.
    response = client.post(admin_on_page, {"action": "switch"})
    assert response.status_code == 302
    assert response["Location"] == admin_on_page
    assert "_auth_user_id" not in client.session
    assert client.session[SESSION_KEY] == tokens.session_proof(
        tokens.make_token(invitation)
    )
    page = client.get(admin_on_page)
    assert page.status_code == 200
    assert "Create an account for your organisation" in text(page)


# --- Accepting --------------------------------------------------------------------


def test_accept_by_customer_admin_creates_relationship_events_and_marks_accepted(
    client, admin_on_page, invitation, customer, customer_admin, partner
):
    # R9
    response = client.post(
        admin_on_page, {"action": "accept", "invitation": invitation.pk}
    )
    assert response.status_code == 302
    relationship = ResellerRelationship.objects.get()
    assert relationship.partner == partner
    assert relationship.customer == customer
    assert relationship.status == ResellerRelationship.Status.ACTIVE
    assert relationship.dap_active is True
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.customer == customer
    assert invitation.relationship == relationship
    assert invitation.responded_by == customer_admin
    assert invitation.responded_at is not None
    kinds = set(
        RelationshipEvent.objects.filter(relationship=relationship).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {Kind.ACCEPTED, Kind.DAP_GRANTED}
    event = accepted_events(invitation).get()
    assert event.actor == customer_admin
    assert event.customer == customer


def test_accept_reseller_only_invitation_creates_relationship_without_dap(
    client, partner, customer_admin
):
    # R2/R9
    invitation = factories.InvitationFactory(partner=partner, include_dap=False)
    client.force_login(customer_admin)
    client.post(
        open_link(client, invitation), {"action": "accept", "invitation": invitation.pk}
    )
    relationship = ResellerRelationship.objects.get()
    assert relationship.dap_active is False
    assert not RelationshipEvent.objects.filter(kind=Kind.DAP_GRANTED).exists()


def test_accept_then_page_shows_result(client, admin_on_page, invitation):
    response = client.post(
        admin_on_page, {"action": "accept", "invitation": invitation.pk}, follow=True
    )
    assert response.status_code == 200
    assert f"{invitation.partner.name} is now your partner" in text(response)


def test_accept_clicked_twice_shows_result_without_second_relationship_or_event(
    client, admin_on_page, invitation
):
    # R9: idempotent; the repeat click sees the result, not an error.
    client.post(admin_on_page, {"action": "accept", "invitation": invitation.pk})
    second = client.post(
        admin_on_page, {"action": "accept", "invitation": invitation.pk}
    )
    assert second.status_code == 200
    assert f"{invitation.partner.name} is now your partner" in text(second)
    assert ResellerRelationship.objects.count() == 1
    assert accepted_events(invitation).count() == 1


def test_accept_is_refused_without_csrf_token(invitation, customer_admin):
    # R9: a POST with CSRF.
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer_admin)
    url = open_link(client, invitation)
    response = client.post(url, {"action": "accept", "invitation": invitation.pk})
    assert response.status_code == 403
    assert not ResellerRelationship.objects.exists()


def test_accept_by_get_changes_nothing(client, admin_on_page, invitation):
    response = client.get(
        admin_on_page, {"action": "accept", "invitation": invitation.pk}
    )
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert not ResellerRelationship.objects.exists()


def test_accept_by_admin_of_other_organisation_after_acceptance_is_refused_with_410(
    client, admin_on_page, invitation, partner
):
    # R7/R9: single use; a second organisation that had the page open is told the
    # link was used, and nothing is created for it.
    other = Client()
    other.force_login(factories.customer_admin())
    other_page = open_link(other, invitation)
    client.post(admin_on_page, {"action": "accept", "invitation": invitation.pk})
    response = other.post(other_page, {"action": "accept", "invitation": invitation.pk})
    assert response.status_code == 410
    assert "already been used" in text(response)
    assert ResellerRelationship.objects.count() == 1
    assert accepted_events(invitation).count() == 1


def test_decline_marks_invitation_declined_and_partner_sees_it(
    client, admin_on_page, invitation, customer, customer_admin, admin_agent
):
    # R9: the administrator may decline; the partner sees it.
    response = client.post(
        admin_on_page,
        {"action": "decline", "invitation": invitation.pk, "confirmed": "yes"},
    )
    assert response.status_code == 200
    assert "You declined the request" in text(response)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DECLINED
    assert invitation.responded_by == customer_admin
    assert invitation.customer == customer
    assert not ResellerRelationship.objects.exists()
    assert RelationshipEvent.objects.filter(
        kind=Kind.DECLINED, invitation_id=invitation.pk
    ).exists()

    partner_client = Client()
    partner_client.force_login(admin_agent)
    listing = partner_client.get(reverse("invitations:list"))
    row = text(listing)
    assert "badge--declined" in row
    assert customer.name in row


def test_decline_then_link_shows_declined_page(client, admin_on_page, invitation):
    client.post(
        admin_on_page,
        {"action": "decline", "invitation": invitation.pk, "confirmed": "yes"},
    )
    response = client.get(
        reverse("invitations:accept", kwargs={"token": tokens.make_token(invitation)})
    )
    assert response.status_code == 410
    assert "This request was declined" in text(response)


def test_experience_page_for_partner_user_says_why_they_cannot_accept(
    client, invitation, make_partner_user
):
    # R9: a partner user is told why.
    user = make_partner_user(Role.GLOBAL_ADMIN)
    client.force_login(user)
    url = open_link(client, invitation)
    page = client.get(url)
    assert "You are signed in with a partner account" in text(page)
    assert "Accept and authorize" not in text(page)
    response = client.post(
        url, {"action": "accept", "invitation": invitation.pk}, follow=True
    )
    assert "You are signed in with a partner account" in text(response)
    assert not ResellerRelationship.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_experience_page_for_non_admin_customer_user_says_why_they_cannot_accept(
    client, invitation, customer
):
    # R9: a customer user who is not an administrator is told why.
    user = factories.UserFactory()
    factories.CustomerMembershipFactory(user=user, customer=customer, is_admin=False)
    client.force_login(user)
    url = open_link(client, invitation)
    page = client.get(url)
    assert f"You are not an administrator of {customer.name}" in text(page)
    for action in ("accept", "decline"):
        response = client.post(url, {"action": action}, follow=True)
        assert f"You are not an administrator of {customer.name}" in text(response)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert not ResellerRelationship.objects.exists()


def test_accept_by_customer_in_other_country_refused_naming_both_countries(
    client, partner
):
    # R4: FR partner, US customer: refused, nothing created, still pending.
    invitation = factories.InvitationFactory(partner=partner)
    wingtip = factories.CustomerFactory(name="Wingtip", country="US")
    client.force_login(factories.customer_admin(wingtip))
    url = open_link(client, invitation)
    response = client.post(
        url, {"action": "accept", "invitation": invitation.pk}, follow=True
    )
    body = text(response)
    assert "France" in body
    assert "United States of America" in body
    assert "Wingtip" in body
    assert not ResellerRelationship.objects.exists()
    assert not RelationshipEvent.objects.filter(kind=Kind.ACCEPTED).exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.customer is None


def test_accept_by_customer_in_other_cloud_refused_naming_both_clouds(client):
    # R4: same country, different cloud.
    partner = factories.PartnerFactory(
        name="Fabrikam Deutschland", country="DE", cloud=Cloud.GERMANY
    )
    invitation = factories.InvitationFactory(partner=partner)
    customer = factories.CustomerFactory(country="DE", cloud=Cloud.PUBLIC)
    client.force_login(factories.customer_admin(customer))
    response = client.post(
        open_link(client, invitation),
        {"action": "accept", "invitation": invitation.pk},
        follow=True,
    )
    body = text(response)
    assert "Microsoft Cloud Germany" in body
    assert "Public cloud" in body
    assert not ResellerRelationship.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_accept_after_link_expired_while_page_was_open_refused_with_410(
    client, invitation, customer_admin
):
    # R7: opened in time, accepted too late.
    client.force_login(customer_admin)
    with time_machine.travel(invitation.expires_at - timedelta(hours=1)):
        url = open_link(client, invitation)
        assert client.get(url).status_code == 200
    with time_machine.travel(invitation.expires_at + timedelta(minutes=1)):
        page = client.get(url)
        response = client.post(url, {"action": "accept", "invitation": invitation.pk})
    assert page.status_code == 410
    assert "This link has expired" in text(page)
    assert response.status_code == 410
    assert not ResellerRelationship.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


# --- R10: notify the partner -------------------------------------------------------


@pytest.fixture
def partner_team(partner, make_partner_user):
    return {
        "global": make_partner_user(Role.GLOBAL_ADMIN, email="ava@contoso.test"),
        "agent": make_partner_user(Role.ADMIN_AGENT, email="adam@contoso.test"),
        "sales": make_partner_user(Role.SALES_AGENT, email="sara@contoso.test"),
        "helpdesk": make_partner_user(Role.HELPDESK_AGENT, email="hugo@contoso.test"),
        "billing": make_partner_user(Role.BILLING_ADMIN, email="bill@contoso.test"),
        "elsewhere": factories.partner_user(
            factories.PartnerFactory(), Role.ADMIN_AGENT, email="admin@other.test"
        ),
    }


def test_accept_emails_admin_agents_global_admins_and_creator_after_commit(
    client, partner, partner_team, customer_admin, django_capture_on_commit_callbacks
):
    # R10: the sales agent made the request; admins hear of it too.
    invitation = factories.InvitationFactory(
        partner=partner, created_by=partner_team["sales"]
    )
    client.force_login(customer_admin)
    url = open_link(client, invitation)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(url, {"action": "accept", "invitation": invitation.pk})
    assert len(callbacks) == 1
    run_tasks()  # R21: the emails go through the queue
    recipients = sorted(address for m in mail.outbox for address in m.to)
    assert recipients == ["adam@contoso.test", "ava@contoso.test", "sara@contoso.test"]
    assert all("Tailspin Toys" in m.subject for m in mail.outbox)
    notices = Notification.objects.filter(params__invitation_id=invitation.pk)
    assert sorted(n.recipient.email for n in notices) == recipients
    assert all(n.email_sent_at is not None and n.email_error == "" for n in notices)


def test_accept_sends_no_email_before_commit(
    client, admin_on_page, invitation, django_capture_on_commit_callbacks
):
    # R10: mail goes out only after the acceptance is committed.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(admin_on_page, {"action": "accept", "invitation": invitation.pk})
    assert len(callbacks) == 1
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_accept_notice_stays_on_partner_notifications_until_read(
    client, partner, partner_team, customer_admin, django_capture_on_commit_callbacks
):
    # R10, R43: an in-portal notice that no page view makes vanish.
    invitation = factories.InvitationFactory(partner=partner)
    client.force_login(customer_admin)
    url = open_link(client, invitation)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "accept", "invitation": invitation.pk})
    notice = "Tailspin Toys accepted your reseller relationship request."
    partner_client = Client()
    partner_client.force_login(partner_team["agent"])
    assert "1 unread" in text(partner_client.get(reverse("customers:list")))
    page = reverse("partners:notifications")
    assert notice in text(partner_client.get(page))
    assert notice in text(partner_client.get(page))
    assert Notification.objects.get(recipient=partner_team["agent"]).read_at is None
    # Another partner's people hear nothing.
    elsewhere = Client()
    elsewhere.force_login(partner_team["elsewhere"])
    assert notice not in text(elsewhere.get(page))


def test_accept_with_failing_email_backend_keeps_acceptance_and_records_error(
    client,
    admin_on_page,
    invitation,
    admin_agent,
    monkeypatch,
    caplog,
    django_capture_on_commit_callbacks,
):
    # R10: email failure never undoes an acceptance; logged and shown to staff.
    break_mail(monkeypatch, smtplib.SMTPServerDisconnected("mail server went away"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            admin_on_page, {"action": "accept", "invitation": invitation.pk}
        )
    with caplog.at_level(logging.WARNING, logger="core.mail"):
        run_tasks()
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert ResellerRelationship.objects.count() == 1
    notice = Notification.objects.get(recipient=admin_agent)
    assert "mail server went away" in notice.email_error
    assert notice.email_sent_at is None
    assert any(
        r.name == "core.mail" and r.levelno == logging.WARNING for r in caplog.records
    )
    assert mail.outbox == []


def test_decline_notifies_partner(
    client, admin_on_page, invitation, admin_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            admin_on_page,
            {"action": "decline", "invitation": invitation.pk, "confirmed": "yes"},
        )
    run_tasks()
    assert [m.to for m in mail.outbox] == [[admin_agent.email]]
    assert Notification.objects.get().kind == "invitation_declined"


# --- R13: an existing relationship is updated, not duplicated -----------------------


def test_accept_dap_invitation_after_dap_removed_restores_dap_on_same_relationship(
    client, partner, customer, customer_admin
):
    # R13
    relationship = factories.RelationshipFactory(
        partner=partner, customer=customer, dap_active=True
    )
    dap_remove(relationship_id=relationship.pk, actor=customer_admin)
    invitation = factories.InvitationFactory(partner=partner, include_dap=True)
    client.force_login(customer_admin)
    client.post(
        open_link(client, invitation), {"action": "accept", "invitation": invitation.pk}
    )
    relationship.refresh_from_db()
    assert ResellerRelationship.objects.count() == 1
    assert relationship.dap_active is True
    assert relationship.dap_removed_at is None
    invitation.refresh_from_db()
    assert invitation.relationship == relationship
    assert RelationshipEvent.objects.filter(
        relationship=relationship, kind=Kind.DAP_RESTORED
    ).exists()


def test_accept_dap_invitation_after_dap_removed_shows_directory_on_card_again(
    client, partner, customer, customer_admin, admin_agent
):
    # Issue 5: Adatum removes admin privileges; a new DAP request accepted by
    # Adatum restores Users and Licenses on the partner's card, without the notice.
    factories.DirectoryUserFactory(customer=customer, display_name="Dana Directory")
    relationship = factories.RelationshipFactory(partner=partner, customer=customer)
    dap_remove(relationship_id=relationship.pk, actor=customer_admin)
    partner_client = Client()
    partner_client.force_login(admin_agent)
    detail = reverse("customers:detail", kwargs={"customer_id": customer.pk})
    before = text(partner_client.get(detail))
    assert "This customer removed your admin privileges." in before
    assert "Dana Directory" not in before

    invitation = factories.InvitationFactory(partner=partner, include_dap=True)
    client.force_login(customer_admin)
    client.post(
        open_link(client, invitation), {"action": "accept", "invitation": invitation.pk}
    )

    after = text(partner_client.get(detail))
    assert "This customer removed your admin privileges." not in after
    assert "Dana Directory" in after
    assert "Admin privileges restored" in after


def test_accept_reseller_only_invitation_keeps_existing_dap(
    client, partner, customer, customer_admin
):
    # R9: a reseller-only request never removes DAP.
    relationship = factories.RelationshipFactory(
        partner=partner, customer=customer, dap_active=True
    )
    invitation = factories.InvitationFactory(partner=partner, include_dap=False)
    client.force_login(customer_admin)
    client.post(
        open_link(client, invitation), {"action": "accept", "invitation": invitation.pk}
    )
    relationship.refresh_from_db()
    assert relationship.dap_active is True


def test_accept_after_relationship_ended_reactivates_same_relationship(
    client, partner, customer, customer_admin, admin_agent
):
    # R9: an ended relationship becomes active again.
    relationship = factories.RelationshipFactory(
        partner=partner, customer=customer, dap_active=False
    )
    relationship_end(relationship_id=relationship.pk, actor=admin_agent)
    invitation = factories.InvitationFactory(partner=partner, include_dap=True)
    client.force_login(customer_admin)
    client.post(
        open_link(client, invitation), {"action": "accept", "invitation": invitation.pk}
    )
    relationship.refresh_from_db()
    assert ResellerRelationship.objects.count() == 1
    assert relationship.status == ResellerRelationship.Status.ACTIVE
    assert relationship.ended_at is None
    assert relationship.dap_active is True
    kinds = set(
        RelationshipEvent.objects.filter(relationship=relationship).values_list(
            "kind", flat=True
        )
    )
    assert {Kind.ENDED, Kind.ACCEPTED, Kind.REACTIVATED} <= kinds


def test_accept_makes_customer_appear_on_partner_customers_page_at_once(
    client, admin_on_page, invitation, customer, admin_agent
):
    # Issue 5: "The new customer appears on the partner's Customers page at once."
    partner_client = Client()
    partner_client.force_login(admin_agent)
    assert customer.name not in text(partner_client.get(reverse("customers:list")))
    client.post(admin_on_page, {"action": "accept", "invitation": invitation.pk})
    assert customer.name in text(partner_client.get(reverse("customers:list")))


def test_accept_acts_only_on_the_invitation_shown(
    client, admin_on_page, invitation, customer, other_partner
):
    # R9: a second link opened in another tab replaces the session's invitation;
    # the Accept button of the first page must not accept the second request.
    second = factories.InvitationFactory(partner=other_partner)
    open_link(client, second)
    response = client.post(
        admin_on_page, {"action": "accept", "invitation": invitation.pk}, follow=True
    )
    assert "You opened another invitation link" in text(response)
    second.refresh_from_db()
    invitation.refresh_from_db()
    assert second.status == invitation.status == Invitation.Status.PENDING
    assert not ResellerRelationship.objects.exists()


def test_accept_without_the_invitation_field_is_refused(client, admin_on_page):
    # R9: a forged POST that does not say which request it accepts changes nothing.
    client.post(admin_on_page, {"action": "accept"})
    assert not ResellerRelationship.objects.exists()


def test_decline_by_admin_of_another_country_is_refused(client, partner):
    # R4: only an organisation that could accept may decline the request.
    invitation = factories.InvitationFactory(partner=partner)
    wingtip = factories.CustomerFactory(name="Wingtip", country="US")
    client.force_login(factories.customer_admin(wingtip))
    response = client.post(
        open_link(client, invitation),
        {"action": "decline", "invitation": invitation.pk, "confirmed": "yes"},
        follow=True,
    )
    assert "United States" in text(response)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_decline_asks_for_confirmation_first(client, admin_on_page, invitation):
    # Declining cannot be undone: the first POST only shows a confirmation page.
    response = client.post(
        admin_on_page, {"action": "decline", "invitation": invitation.pk}
    )
    assert response.status_code == 200
    assert "Decline the request from" in text(response)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_sign_up_in_another_country_is_refused_before_anything_is_created(
    client, invitation
):
    # R4: the organisation would be created and then refused at acceptance.
    page = open_link(client, invitation)
    response = client.post(
        page,
        {
            "action": "signup",
            "organisation": "Blue Yonder",
            "domain": "blue-yonder.example",
            "country": "US",
            "email": "admin@blue-yonder.example",
            "password": "a-Strong-passw0rd!",
        },
    )
    assert response.status_code == 400
    assert "only with organisations in France" in text(response)
    assert not Customer.objects.filter(domain="blue-yonder.example").exists()


def test_partner_emails_use_each_recipients_portal_language(
    client, admin_on_page, invitation, admin_agent, django_capture_on_commit_callbacks
):
    # R19: the notice email follows the language the recipient uses in the portal,
    # not the language of the customer's email.
    partner_client = Client()
    partner_client.force_login(admin_agent)
    partner_client.post(
        reverse("set_language"), {"language": "fr", "next": "/customers/"}
    )
    admin_agent.partner_membership.refresh_from_db()
    assert admin_agent.partner_membership.language == "fr"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(admin_on_page, {"action": "accept", "invitation": invitation.pk})
    run_tasks()
    (email,) = mail.outbox
    assert "a accepté" in email.subject
