"""R26: Users: list, add (set-password email through the queue), change roles,
remove (sessions end at once, support contacts dropped), the last Global admin
kept, events written; R1 roles on GET and POST; R17 isolation; R20 bad input."""

import json
import logging
import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import OutgoingEmail, UserSession
from customers.models import RelationshipEvent, SupportContact
from partners.models import Partner, PartnerMembership, PartnerUserEvent, Role
from tests import factories
from tests.helpers import text
from tests.queue import run_tasks

pytestmark = pytest.mark.django_db

USERS = reverse("partners:users")
ADD = reverse("partners:user_add")
TWO_STEP = reverse("partners:users_two_step")


def roles_url(user):
    return reverse("partners:user_roles", args=[user.pk])


def remove_url(user):
    return reverse("partners:user_remove", args=[user.pk])


@pytest.fixture
def global_admin(make_partner_user):
    return make_partner_user(Role.GLOBAL_ADMIN, email="ava.admin@contoso.example")


@pytest.fixture
def uma(make_partner_user):
    return make_partner_user(Role.USER_MANAGEMENT_ADMIN, email="uma@contoso.example")


@pytest.fixture
def hugo(make_partner_user):
    return make_partner_user(Role.HELPDESK_AGENT, email="hugo@contoso.example")


def sign_in_verified(client, user):
    """Signed in with the password and a second factor (R28), as the roles that
    manage users must be."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def add_data(**fields):
    return {
        "email": "Nina.New@Contoso.example",
        "first_name": "Nina",
        "last_name": "New",
        "roles": [Role.SALES_AGENT],
        **fields,
    }


# --- R1: who may use the pages -----------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [Role.ADMIN_AGENT, Role.SALES_AGENT, Role.HELPDESK_AGENT, Role.BILLING_ADMIN],
)
def test_roles_without_user_management_get_403_on_every_page(
    client, make_partner_user, hugo, role
):
    sign_in_verified(client, make_partner_user(role))
    for url in (USERS, ADD, roles_url(hugo), remove_url(hugo)):
        response = client.get(url)
        assert response.status_code == 403
        assert "Global admin, User management admin" in text(response)
        assert client.post(url, add_data()).status_code == 403
    assert client.post(TWO_STEP, {"require_two_step": "on"}).status_code == 403
    hugo.refresh_from_db()
    assert hugo.is_active
    assert not PartnerMembership.objects.filter(user__email__contains="nina").exists()


@pytest.mark.parametrize("role", [Role.GLOBAL_ADMIN, Role.USER_MANAGEMENT_ADMIN])
def test_global_and_user_management_admins_see_the_users(
    client, make_partner_user, role
):
    sign_in_verified(client, make_partner_user(role, email="me@contoso.example"))
    response = client.get(USERS)
    assert response.status_code == 200
    assert "me@contoso.example" in text(response)
    assert 'href="/partner/users/"' in text(response)  # the nav link


def test_the_nav_has_no_users_link_for_other_roles(client, admin_agent):
    sign_in_verified(client, admin_agent)
    page = text(client.get(reverse("partners:overview")))
    assert 'href="/partner/users/"' not in page
    assert 'href="/account/"' in page


def test_customer_admin_and_anonymous_are_refused(client):
    assert client.get(USERS).status_code == 302
    client.force_login(factories.customer_admin())
    assert client.get(USERS).status_code == 403


# --- The list ----------------------------------------------------------------------


def test_list_shows_roles_status_and_last_sign_in(client, global_admin, hugo, partner):
    factories.partner_user(partner=factories.PartnerFactory(), email="x@other.example")
    sign_in_verified(client, global_admin)
    page = text(client.get(USERS))
    assert "hugo@contoso.example" in page
    assert "Helpdesk agent" in page
    assert "Active" in page
    assert "x@other.example" not in page  # R17


def test_list_costs_the_same_queries_for_few_and_many_people(
    client, global_admin, partner
):
    sign_in_verified(client, global_admin)
    client.get(USERS)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(USERS).status_code == 200
        return len(queries)

    few = count()
    for n in range(30):
        factories.partner_user(partner=partner, role=Role.SALES_AGENT)
    assert count() == few


# --- Add user ----------------------------------------------------------------------


def test_add_user_creates_them_and_queues_a_set_password_email(
    client, global_admin, partner
):
    sign_in_verified(client, global_admin)
    response = client.post(ADD, add_data())
    assert response.status_code == 302
    membership = PartnerMembership.objects.get(user__email="nina.new@contoso.example")
    assert membership.partner == partner
    assert membership.role_set == {Role.SALES_AGENT}
    assert not membership.user.has_usable_password()
    event = PartnerUserEvent.objects.get(kind="added")
    assert event.actor == global_admin and event.subject == membership.user
    assert event.details["roles"] == [Role.SALES_AGENT]
    # Queued, with no usable link stored (the worker makes it).
    queued = OutgoingEmail.objects.get(to="nina.new@contoso.example")
    assert "/accounts/set-password/" not in queued.body
    assert mail.outbox == []
    run_tasks()
    assert len(mail.outbox) == 1
    assert "/accounts/set-password/" in mail.outbox[0].body


def test_added_user_sets_a_password_once_and_signs_in(client, global_admin):
    sign_in_verified(client, global_admin)
    client.post(ADD, add_data())
    run_tasks()
    link = re.search(r"http://\S+/accounts/set-password/\S+/", mail.outbox[0].body)[0]
    path = link.split("://", 1)[1].split("/", 1)[1]
    visitor = Client()
    page = visitor.get("/" + path, follow=True)
    assert "Set your password" in text(page)
    form_url = page.redirect_chain[-1][0]
    response = visitor.post(
        form_url,
        {
            "new_password1": "a-long-new-passw0rd",
            "new_password2": "a-long-new-passw0rd",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("set_password_complete")
    # Single use.
    again = Client().get("/" + path, follow=True)
    assert "This link does not work" in text(again)
    signed = Client()
    response = signed.post(
        reverse("login"),
        {"email": "nina.new@contoso.example", "password": "a-long-new-passw0rd"},
    )
    assert response.status_code == 302
    assert "_auth_user_id" in signed.session


def test_add_user_with_an_existing_address_creates_nothing(client, global_admin, hugo):
    sign_in_verified(client, global_admin)
    response = client.post(ADD, add_data(email="HUGO@contoso.example"))
    assert response.status_code == 400
    assert "already has an account" in text(response)
    assert PartnerMembership.objects.count() == 2
    assert not OutgoingEmail.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "nïna@contoso.example"}, "Enter a valid email address"),
        ({"email": "not-an-address"}, "Enter a valid email address"),
        ({"roles": []}, "Choose at least one role"),
        ({"roles": ["root"]}, "is not one of the available choices"),
        ({"first_name": ""}, "This field is required"),
        ({"email": "a" * 150 + "@x.example"}, "at most 150 characters"),
    ],
)
def test_add_user_bad_input_is_a_form_error(client, global_admin, fields, message):
    sign_in_verified(client, global_admin)
    response = client.post(ADD, add_data(**fields))
    assert response.status_code == 400
    assert message in text(response)
    assert PartnerMembership.objects.count() == 1


def test_user_management_admin_cannot_grant_global_admin(client, uma):
    sign_in_verified(client, uma)
    page = text(client.get(ADD))
    assert 'value="global_admin"' not in page
    response = client.post(ADD, add_data(roles=[Role.GLOBAL_ADMIN]))
    assert response.status_code == 400
    assert PartnerMembership.objects.count() == 1


# --- Change roles --------------------------------------------------------------------


def test_change_roles_writes_an_event_and_a_security_event(
    client, global_admin, hugo, caplog
):
    sign_in_verified(client, global_admin)
    with caplog.at_level(logging.INFO, logger="security"):
        response = client.post(
            roles_url(hugo), {"roles": [Role.ADMIN_AGENT, Role.HELPDESK_AGENT]}
        )
    assert response.status_code == 302
    assert hugo.partner_membership.role_set == {Role.ADMIN_AGENT, Role.HELPDESK_AGENT}
    event = PartnerUserEvent.objects.get(kind="roles_changed")
    assert event.details["before"] == [Role.HELPDESK_AGENT]
    assert [r.message for r in caplog.records].count("roles_changed") == 1


def test_demoting_the_last_global_admin_is_refused(client, global_admin):
    sign_in_verified(client, global_admin)
    response = client.post(roles_url(global_admin), {"roles": [Role.ADMIN_AGENT]})
    assert response.status_code == 400
    assert "last active Global admin" in text(response)
    assert (
        Role.GLOBAL_ADMIN in PartnerMembership.objects.get(user=global_admin).role_set
    )
    assert not PartnerUserEvent.objects.exists()


def test_a_global_admin_may_step_down_when_another_remains(
    client, global_admin, make_partner_user
):
    make_partner_user(Role.GLOBAL_ADMIN, email="gina@contoso.example")
    sign_in_verified(client, global_admin)
    response = client.post(roles_url(global_admin), {"roles": [Role.ADMIN_AGENT]})
    assert response.status_code == 302


def test_an_inactive_global_admin_does_not_count(
    client, global_admin, make_partner_user
):
    make_partner_user(Role.GLOBAL_ADMIN, email="gone@contoso.example", is_active=False)
    sign_in_verified(client, global_admin)
    response = client.post(roles_url(global_admin), {"roles": [Role.ADMIN_AGENT]})
    assert response.status_code == 400


def test_user_management_admin_cannot_demote_a_global_admin(
    client, uma, global_admin, make_partner_user
):
    make_partner_user(Role.GLOBAL_ADMIN, email="gina@contoso.example")
    sign_in_verified(client, uma)
    response = client.post(roles_url(global_admin), {"roles": [Role.SALES_AGENT]})
    assert response.status_code == 400
    assert "Only a Global admin" in text(response)


# --- Remove user ---------------------------------------------------------------------


def test_removing_a_user_ends_their_open_session_at_once(client, global_admin, hugo):
    theirs = Client()
    sign_in_verified(theirs, hugo)
    assert theirs.get(reverse("customers:list")).status_code == 200
    assert UserSession.objects.filter(user=hugo).exists()
    sign_in_verified(client, global_admin)
    page = client.get(remove_url(hugo))
    assert "Remove user" in text(page)
    response = client.post(remove_url(hugo))
    assert response.status_code == 302
    hugo.refresh_from_db()
    assert not hugo.is_active
    # Their next request: the sign-in page.
    response = theirs.get(reverse("customers:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not UserSession.objects.filter(user=hugo).exists()
    assert PartnerUserEvent.objects.filter(kind="removed", subject=hugo).count() == 1
    # And they cannot sign in again.
    response = Client().post(
        reverse("login"), {"email": hugo.email, "password": factories.PASSWORD}
    )
    assert response.status_code != 302


def test_removed_user_leaves_support_contacts_with_an_event(
    client, global_admin, hugo, partner
):
    relationship = factories.RelationshipFactory(partner=partner)
    factories.SupportContactFactory(
        relationship=relationship, user=hugo, is_primary=True
    )
    factories.SupportContactFactory(relationship=relationship, user=global_admin)
    sign_in_verified(client, global_admin)
    client.post(remove_url(hugo))
    assert list(
        SupportContact.objects.filter(relationship=relationship).values_list(
            "user_id", flat=True
        )
    ) == [global_admin.pk]
    event = RelationshipEvent.objects.get(
        kind=RelationshipEvent.Kind.SUPPORT_CONTACTS_CHANGED
    )
    assert event.relationship == relationship
    assert event.actor == global_admin
    assert event.details["contacts"] == [global_admin.pk]
    assert event.details["removed_user"] == hugo.pk


def test_removing_logs_a_security_event(client, global_admin, hugo, caplog):
    sign_in_verified(client, global_admin)
    with caplog.at_level(logging.INFO, logger="security"):
        client.post(remove_url(hugo))
    record = next(r for r in caplog.records if r.message == "user_removed")
    assert "hugo" not in json.dumps(record.security)


def test_removing_the_last_global_admin_is_refused_with_a_message(
    client, global_admin, uma
):
    sign_in_verified(client, uma)
    response = client.post(remove_url(global_admin))
    assert response.status_code == 400
    assert "last active Global admin" in text(response)
    global_admin.refresh_from_db()
    assert global_admin.is_active
    assert not PartnerUserEvent.objects.exists()


def test_the_service_keeps_the_last_global_admin_whoever_asks(global_admin, partner):
    from core.exceptions import DomainError
    from partners.services import partner_user_remove, partner_user_set_roles

    with pytest.raises(DomainError) as refused:
        partner_user_remove(partner=partner, actor=None, user_id=global_admin.pk)
    assert refused.value.code == "last_global_admin"
    with pytest.raises(DomainError) as refused:
        partner_user_set_roles(
            partner=partner,
            actor=None,
            user_id=global_admin.pk,
            roles=[Role.SALES_AGENT],
        )
    assert refused.value.code == "last_global_admin"


def test_user_management_admin_cannot_remove_a_global_admin(
    client, uma, global_admin, make_partner_user
):
    make_partner_user(Role.GLOBAL_ADMIN, email="g2@contoso.example")
    sign_in_verified(client, uma)
    response = client.post(remove_url(global_admin))
    assert response.status_code == 400
    assert "Only a Global admin" in text(response)


def test_one_cannot_remove_oneself(client, global_admin, make_partner_user):
    make_partner_user(Role.GLOBAL_ADMIN, email="g2@contoso.example")
    sign_in_verified(client, global_admin)
    response = client.post(remove_url(global_admin))
    assert response.status_code == 400
    assert "You cannot remove yourself" in text(response)
    global_admin.refresh_from_db()
    assert global_admin.is_active


# --- R17 isolation, R20 bad input ----------------------------------------------------


def test_another_partners_user_is_not_found(client, global_admin):
    stranger = factories.partner_user(partner=factories.PartnerFactory())
    sign_in_verified(client, global_admin)
    for url in (roles_url(stranger), remove_url(stranger)):
        assert client.get(url).status_code == 404
        assert client.post(url, {"roles": [Role.SALES_AGENT]}).status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1e9", "9" * 25])
@pytest.mark.parametrize("action", ["roles", "remove"])
def test_odd_ids_are_not_found(client, global_admin, bad, action):
    sign_in_verified(client, global_admin)
    url = f"/partner/users/{bad}/{action}/"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


# --- Two-step for everyone (R28's setting) -------------------------------------------


def test_global_admin_requires_two_step_for_everyone(client, global_admin, partner):
    sign_in_verified(client, global_admin)
    response = client.post(TWO_STEP, {"require_two_step": "on"})
    assert response.status_code == 302
    assert Partner.objects.get(pk=partner.pk).require_two_step
    assert PartnerUserEvent.objects.get(kind="two_step_policy_changed").details == {
        "required": True
    }
    client.post(TWO_STEP, {})
    assert not Partner.objects.get(pk=partner.pk).require_two_step


def test_user_management_admin_cannot_change_the_two_step_setting(client, uma, partner):
    sign_in_verified(client, uma)
    assert "Only a Global admin can change this." in text(client.get(USERS))
    response = client.post(TWO_STEP, {"require_two_step": "on"})
    assert response.status_code == 403
    assert "Global admin" in text(response)
    assert not Partner.objects.get(pk=partner.pk).require_two_step


def test_the_two_step_setting_is_post_only(client, global_admin):
    sign_in_verified(client, global_admin)
    assert client.get(TWO_STEP).status_code == 405


# --- Race: two Global admins demote each other at once (PostgreSQL) -------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: real row locks and one connection per thread",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_global_admins_demoting_each_other_at_once_leave_one():
    from core.exceptions import DomainError
    from partners.services import partner_user_set_roles
    from tests.invitations.test_concurrency import run_at_once

    partner = factories.PartnerFactory()
    admins = [
        factories.partner_user(partner=partner, role=Role.GLOBAL_ADMIN)
        for _ in range(2)
    ]

    def work(i):
        try:
            partner_user_set_roles(
                partner=partner,
                actor=admins[i],
                user_id=admins[1 - i].pk,
                roles=[Role.ADMIN_AGENT],
            )
        except DomainError as error:
            return error.code
        return "done"

    results, errors = run_at_once(2, work)
    assert errors == []
    assert sorted(results) in (
        ["done", "global_admin_only"],
        ["done", "last_global_admin"],
    )
    assert (
        PartnerMembership.objects.filter(
            partner=partner, roles__role=Role.GLOBAL_ADMIN
        ).count()
        == 1
    )
