"""R1: the roles table of DESIGN.md section 2, row by row, GET and POST.

A refused action answers 403 with a page that names the roles needed; the control
for it is not shown to people who lack the role.
"""

import pytest
from django.urls import reverse

from customers.models import ResellerRelationship, ServiceRequest, SupportContact
from invitations.models import Invitation
from partners.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

GA, AA, SA, HA, BA = (
    Role.GLOBAL_ADMIN,
    Role.ADMIN_AGENT,
    Role.SALES_AGENT,
    Role.HELPDESK_AGENT,
    Role.BILLING_ADMIN,
)
EVERY_ROLE = [GA, AA, SA, HA, BA]


def yes_no(allowed):
    """Parametrize every role with whether R1 allows it."""
    return [pytest.param(role, role in allowed, id=role) for role in EVERY_ROLE]


@pytest.fixture
def customer(partner):
    customer = factories.CustomerFactory(name="Adatum", domain="adatum.example")
    factories.RelationshipFactory(partner=partner, customer=customer, dap_active=True)
    factories.DirectoryUserFactory(customer=customer, display_name="Megan Bowen")
    factories.LicenseFactory(customer=customer, product="Visio Plan 2")
    return customer


@pytest.fixture
def as_role(client, make_partner_user):
    def sign_in(role):
        user = make_partner_user(role)
        client.force_login(user)
        return user

    return sign_in


def detail_html(client, customer):
    return client.get(reverse("customers:detail", args=[customer.pk])).content.decode()


def assert_refused_naming(response, *role_labels):
    assert response.status_code == 403
    html = response.content.decode()
    assert "This page needs one of these partner roles:" in html
    for label in role_labels:
        assert label in html


# --- Row 1: see the Customers page -------------------------------------------------


@pytest.mark.parametrize(("role", "allowed"), yes_no(EVERY_ROLE))
def test_customers_page_every_role_sees_it(client, as_role, customer, role, allowed):
    # R1 row 1
    as_role(role)
    response = client.get(reverse("customers:list"))
    assert response.status_code == 200
    assert "Adatum" in response.content.decode()


def test_customers_page_signed_out_redirects_to_sign_in(client):
    response = client.get(reverse("customers:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_customers_page_customer_admin_is_refused_with_403(client, customer):
    client.force_login(factories.customer_admin(customer))
    response = client.get(reverse("customers:list"))
    assert response.status_code == 403


def test_customers_page_partner_user_without_role_is_refused_with_403(client, partner):
    user = factories.UserFactory()
    factories.PartnerMembershipFactory(user=user, partner=partner)
    client.force_login(user)
    assert client.get(reverse("customers:list")).status_code == 403


# --- Row 2: users and licenses in a customer card (DAP active) ---------------------


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA, HA]))
def test_customer_card_users_and_licenses_shown_by_role(
    client, as_role, customer, role, allowed
):
    # R1 row 2, on the expanded list, the card the arrow opens and the customer's page
    as_role(role)
    for url in (
        reverse("customers:list") + "?expand=all",
        reverse("customers:card", args=[customer.pk]),
        reverse("customers:detail", args=[customer.pk]),
    ):
        html = client.get(url).content.decode()
        assert ("Megan Bowen" in html) is allowed
        assert ("Visio Plan 2" in html) is allowed
        assert (f'id="usr-{customer.pk}"' in html) is allowed
        assert (f'id="lic-{customer.pk}"' in html) is allowed


# --- Row 3: request a reseller relationship, see requests ---------------------------


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA, SA]))
def test_request_form_get_by_role(client, as_role, role, allowed):
    # R1 row 3
    as_role(role)
    response = client.get(reverse("invitations:new"))
    if allowed:
        assert response.status_code == 200
    else:
        assert_refused_naming(response, "Global admin", "Admin agent", "Sales agent")


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA, SA]))
def test_request_form_post_by_role(client, as_role, role, allowed):
    # R1 row 3: enforced for POST too; a refusal creates nothing.
    as_role(role)
    response = client.post(
        reverse("invitations:new"), {"include_dap": "on", "email_language": "en"}
    )
    if allowed:
        assert response.status_code == 302
        assert Invitation.objects.count() == 1
    else:
        assert_refused_naming(response, "Global admin", "Admin agent", "Sales agent")
        assert Invitation.objects.count() == 0


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA, SA]))
def test_request_list_by_role(client, as_role, role, allowed):
    # R1 row 3: see requests
    as_role(role)
    response = client.get(reverse("invitations:list"))
    if allowed:
        assert response.status_code == 200
    else:
        assert_refused_naming(response, "Global admin", "Admin agent", "Sales agent")


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA, SA]))
def test_request_controls_shown_by_role(client, as_role, customer, role, allowed):
    # R1: the Request button and the Relationship requests link only for those roles.
    as_role(role)
    html = client.get(reverse("customers:list")).content.decode()
    assert (f'href="{reverse("invitations:new")}"' in html) is allowed
    assert ("Request a reseller relationship" in html) is allowed
    assert (f'href="{reverse("invitations:list")}"' in html) is allowed


def test_request_button_helpdesk_agent_absent_and_form_forbidden(
    client, make_partner_user, customer
):
    # Issue 4, done when: as hugo.helpdesk the Request button is absent and
    # /invitations/new/ answers 403.
    hugo = make_partner_user(HA, email="hugo.helpdesk@contoso.example")
    client.force_login(hugo)
    html = client.get(reverse("customers:list")).content.decode()
    assert "Request a reseller relationship" not in html
    assert reverse("invitations:new") not in html
    assert client.get("/invitations/new/").status_code == 403


# --- Row 4: revoke a pending request / make a new link -----------------------------


@pytest.fixture
def colleague_invitation(partner, make_partner_user):
    creator = make_partner_user(SA, email="colleague@contoso.test")
    return factories.InvitationFactory(partner=partner, created_by=creator)


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA]))
def test_revoke_colleague_request_by_role(
    client, as_role, colleague_invitation, role, allowed
):
    # R1 row 4: sales agents only their own, so a colleague's is refused.
    as_role(role)
    url = reverse("invitations:revoke", args=[colleague_invitation.pk])
    assert client.get(url).status_code == (200 if allowed else 403)
    response = client.post(url)
    colleague_invitation.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert colleague_invitation.status == Invitation.Status.REVOKED
    else:
        assert response.status_code == 403
        assert colleague_invitation.status == Invitation.Status.PENDING


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA]))
def test_new_link_colleague_request_by_role(
    client, as_role, colleague_invitation, role, allowed
):
    # R1 row 4
    nonce = colleague_invitation.link_nonce
    as_role(role)
    response = client.post(
        reverse("invitations:new_link", args=[colleague_invitation.pk])
    )
    colleague_invitation.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert colleague_invitation.link_nonce != nonce
    else:
        assert response.status_code == 403
        assert colleague_invitation.link_nonce == nonce


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA, SA]))
def test_revoke_and_new_link_own_request_by_role(
    client, as_role, partner, role, allowed
):
    # R1 row 4: "own requests" for sales agents; helpdesk and billing never.
    user = as_role(role)
    own = factories.InvitationFactory(partner=partner, created_by=user)
    nonce = own.link_nonce
    new_link = client.post(reverse("invitations:new_link", args=[own.pk]))
    revoke = client.post(reverse("invitations:revoke", args=[own.pk]))
    own.refresh_from_db()
    if allowed:
        assert new_link.status_code == 302
        assert revoke.status_code == 302
        assert own.link_nonce != nonce
        assert own.status == Invitation.Status.REVOKED
    else:
        assert_refused_naming(new_link, "Global admin", "Admin agent", "Sales agent")
        assert revoke.status_code == 403
        assert own.link_nonce == nonce
        assert own.status == Invitation.Status.PENDING


def test_refused_colleague_request_page_names_who_may_change_it(
    client, as_role, colleague_invitation
):
    as_role(SA)
    response = client.post(
        reverse("invitations:revoke", args=[colleague_invitation.pk])
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Global admin" in html
    assert "Admin agent" in html


# --- Row 5: open a service request -------------------------------------------------


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA, HA]))
def test_service_request_by_role(client, as_role, customer, role, allowed):
    # R1 row 5, GET and POST
    as_role(role)
    url = reverse("customers:service_request_new", args=[customer.pk])
    get = client.get(url)
    post = client.post(
        url, {"title": "Mail down", "description": "Since 9am.", "severity": "high"}
    )
    if allowed:
        assert get.status_code == 200
        assert post.status_code == 302
        assert ServiceRequest.objects.count() == 1
    else:
        assert_refused_naming(get, "Global admin", "Admin agent", "Helpdesk agent")
        assert post.status_code == 403
        assert ServiceRequest.objects.count() == 0


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA, HA]))
def test_service_request_control_shown_by_role(
    client, as_role, customer, role, allowed
):
    as_role(role)
    html = detail_html(client, customer)
    url = reverse("customers:service_request_new", args=[customer.pk])
    assert (url in html) is allowed
    assert ("Open a service request" in html) is allowed


# --- Row 6: assign support contacts ------------------------------------------------


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA]))
def test_support_contacts_by_role(client, as_role, customer, role, allowed):
    # R1 row 6, GET and POST
    user = as_role(role)
    url = reverse("customers:support_contacts", args=[customer.pk])
    get = client.get(url)
    post = client.post(url, {"contacts": [user.pk], "primary": str(user.pk)})
    if allowed:
        assert get.status_code == 200
        assert post.status_code == 302
        assert SupportContact.objects.filter(user=user, is_primary=True).exists()
    else:
        assert_refused_naming(get, "Global admin", "Admin agent")
        assert "Sales agent" not in get.content.decode()
        assert post.status_code == 403
        assert not SupportContact.objects.exists()


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA]))
def test_support_contacts_control_shown_by_role(
    client, as_role, customer, role, allowed
):
    as_role(role)
    html = detail_html(client, customer)
    assert (
        reverse("customers:support_contacts", args=[customer.pk]) in html
    ) is allowed
    assert ("Assign support contacts" in html) is allowed


# --- Row 7: remove a relationship --------------------------------------------------


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA]))
def test_end_relationship_by_role(client, as_role, customer, role, allowed):
    # R1 row 7, GET (confirmation page) and POST
    as_role(role)
    url = reverse("customers:end", args=[customer.pk])
    get = client.get(url)
    post = client.post(url, {"reason": "Contract over"})
    relationship = ResellerRelationship.objects.get(customer=customer)
    if allowed:
        assert get.status_code == 200
        assert post.status_code == 302
        assert relationship.status == ResellerRelationship.Status.ENDED
    else:
        assert_refused_naming(get, "Global admin", "Admin agent")
        assert post.status_code == 403
        assert relationship.status == ResellerRelationship.Status.ACTIVE


@pytest.mark.parametrize(("role", "allowed"), yes_no([GA, AA]))
def test_end_relationship_control_shown_by_role(
    client, as_role, customer, role, allowed
):
    as_role(role)
    html = detail_html(client, customer)
    assert (reverse("customers:end", args=[customer.pk]) in html) is allowed
    assert ("End relationship" in html) is allowed


# --- Several roles, and the 403 page in French --------------------------------------


def test_roles_several_roles_add_up(client, partner, customer):
    # A person with Sales agent + Helpdesk agent may request and open service requests.
    user = factories.partner_user(partner=partner, role=SA)
    factories.MembershipRoleFactory(membership=user.partner_membership, role=HA)
    client.force_login(user)
    assert client.get(reverse("invitations:new")).status_code == 200
    url = reverse("customers:service_request_new", args=[customer.pk])
    assert client.get(url).status_code == 200
    assert client.get(reverse("customers:end", args=[customer.pk])).status_code == 403


def test_refused_page_in_french_names_roles_in_french(client, as_role):
    # R1 + R19: role names as in the table of section 2.
    as_role(HA)
    client.cookies["django_language"] = "fr"
    response = client.get(reverse("invitations:new"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Administrateur général" in html
    assert "Agent administrateur" in html
    assert "Agent commercial" in html
