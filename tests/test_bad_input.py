"""R20: odd input gets a clear answer, never a 500."""

import pytest
from django.urls import reverse

from customers.models import Customer
from invitations.models import Invitation
from partners.models import Role
from tests import factories

pytestmark = pytest.mark.django_db
HUGE = "9" * 25


@pytest.mark.parametrize(
    "path",
    [
        f"/customers/{HUGE}/",
        f"/customers/{HUGE}/card/",
        f"/customers/{HUGE}/service-requests/new/",
        f"/customers/{HUGE}/support-contacts/",
        f"/customers/{HUGE}/end/",
        f"/invitations/{HUGE}/email/",
        f"/customer/partners/{HUGE}/end/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_huge_ids_in_urls_are_not_found(client, admin_agent, path, method):
    client.force_login(admin_agent)
    assert getattr(client, method)(path).status_code == 404


def test_support_contacts_with_huge_id_is_a_form_error(client, partner, admin_agent):
    customer = factories.CustomerFactory()
    factories.RelationshipFactory(partner=partner, customer=customer)
    client.force_login(admin_agent)
    response = client.post(
        reverse("customers:support_contacts", args=[customer.pk]),
        {"contacts": [HUGE], "primary": ""},
    )
    assert response.status_code == 400
    assert "is not a valid value" in response.content.decode()


def test_request_with_overlong_recipient_is_a_form_error(client, admin_agent):
    client.force_login(admin_agent)
    response = client.post(
        reverse("invitations:new"),
        {
            "include_dap": "on",
            "recipient_email": "a" * 250 + "@example.com",
            "email_language": "en",
        },
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "a" * 145 + "@x.example", "at most 150 characters"),
        ("organisation", "Evil\nCorp", "cannot contain line breaks"),
    ],
)
def test_sign_up_odd_input_is_a_form_error(client, partner, field, value, message):
    from invitations import tokens

    invitation = factories.InvitationFactory(partner=partner)
    response = client.get(
        reverse("invitations:accept", args=[tokens.make_token(invitation)])
    )
    data = {
        "action": "signup",
        "organisation": "New Org",
        "domain": "new-org.example",
        "country": "FR",
        "email": "admin@new-org.example",
        "password": "a-Strong-passw0rd!",
        field: value,
    }
    page = client.post(response["Location"], data)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not Customer.objects.filter(domain="new-org.example").exists()


def test_make_partner_user_fixture_is_an_admin_agent(make_partner_user):
    user = make_partner_user(Role.ADMIN_AGENT)
    assert user.partner_membership.role_set == {Role.ADMIN_AGENT}


# --- Issue 14: people and sign-in --------------------------------------------------


@pytest.fixture
def global_admin(make_partner_user):
    return make_partner_user(Role.GLOBAL_ADMIN, email="ava@contoso.test")


@pytest.mark.parametrize(
    "path",
    [
        f"/partner/users/{HUGE}/roles/",
        f"/partner/users/{HUGE}/remove/",
        "/partner/users/0/roles/",
        "/partner/users/-1/remove/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_odd_user_ids_are_not_found(client, global_admin, path, method):
    client.force_login(global_admin)
    assert getattr(client, method)(path).status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "a" * 250 + "@contoso.test"),
        ("email", "not an address"),
        ("first_name", "x" * 151),
        ("roles", "no_such_role"),
        ("roles", ""),
    ],
)
def test_add_user_odd_input_is_a_form_error(client, global_admin, field, value):
    User = factories.UserFactory._meta.model
    before = User.objects.count()
    client.force_login(global_admin)
    data = {
        "email": "new.person@contoso.test",
        "first_name": "New",
        "last_name": "Person",
        "roles": [Role.SALES_AGENT],
        field: value,
    }
    response = client.post(reverse("partners:user_add"), data)
    assert response.status_code == 400
    assert User.objects.count() == before


@pytest.mark.parametrize(
    "data",
    [
        {"email": "x" * 300},
        {"email": "ava.admın@contoso.test", "password": "x"},
        {"email": "", "password": ""},
        {"password": "p" * 10000, "email": "ava@contoso.test"},
    ],
)
def test_sign_in_odd_input_is_a_form_error(client, global_admin, data):
    response = client.post(reverse("login"), data)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "data", [{"email": "x" * 300}, {"email": "ava.admın@contoso.test"}, {}]
)
def test_password_reset_odd_input_never_fails(client, data):
    response = client.post(reverse("password_reset"), data)
    assert response.status_code in (200, 302, 400)
