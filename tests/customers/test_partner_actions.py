"""R14/R15/R16: what a partner does from a customer's card."""

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import (
    RelationshipEvent,
    ResellerRelationship,
    ServiceRequest,
    Subscription,
    SupportContact,
)
from customers.services import service_request_update
from partners.models import Role
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db

Kind = RelationshipEvent.Kind


@pytest.fixture
def customer(db):
    return factories.CustomerFactory(name="Litware", domain="litware.example")


@pytest.fixture
def relationship(partner, customer):
    return factories.RelationshipFactory(partner=partner, customer=customer)


@pytest.fixture
def as_role(client, make_partner_user):
    """A client signed in as a user of ``partner`` with one role."""

    def sign_in(role, **fields):
        user = make_partner_user(role, **fields)
        client.force_login(user)
        return client, user

    return sign_in


@pytest.fixture
def foreign_relationship(other_partner):
    """Another partner's customer (R17)."""
    return factories.RelationshipFactory(partner=other_partner)


def sr_url(customer_id):
    return reverse("customers:service_request_new", kwargs={"customer_id": customer_id})


def contacts_url(customer_id):
    return reverse("customers:support_contacts", kwargs={"customer_id": customer_id})


def end_url(customer_id):
    return reverse("customers:end", kwargs={"customer_id": customer_id})


def detail_url(customer_id):
    return reverse("customers:detail", kwargs={"customer_id": customer_id})


SR_DATA = {
    "title": "Mailbox cannot receive mail",
    "description": "Since this morning, every message bounces.",
    "severity": "high",
}


# --- R16: service requests -----------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.HELPDESK_AGENT]
)
def test_service_request_by_admin_or_helpdesk_is_opened_with_event(
    as_role, relationship, customer, partner, role
):
    # R16: admin and helpdesk agents open a service request.
    client, user = as_role(role)
    assert client.get(sr_url(customer.pk)).status_code == 200
    response = client.post(sr_url(customer.pk), SR_DATA)
    assert response.status_code == 302
    assert response["Location"] == detail_url(customer.pk)
    request = ServiceRequest.objects.get()
    assert request.partner == partner
    assert request.customer == customer
    assert request.opened_by == user
    assert request.severity == "high"
    assert request.status == ServiceRequest.Status.NEW
    event = RelationshipEvent.objects.get(kind=Kind.SERVICE_REQUEST_OPENED)
    assert event.relationship == relationship
    assert event.actor == user


@pytest.mark.parametrize("role", [Role.SALES_AGENT, Role.BILLING_ADMIN])
@pytest.mark.parametrize("method", ["get", "post"])
def test_service_request_by_sales_or_billing_answers_403(
    as_role, relationship, customer, role, method
):
    # R1: refused on the server, GET and POST, with the roles needed.
    client, _user = as_role(role)
    response = getattr(client, method)(sr_url(customer.pk), SR_DATA)
    assert response.status_code == 403
    assert "Helpdesk agent" in text(response)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("role", [Role.SALES_AGENT, Role.BILLING_ADMIN])
def test_customer_card_for_sales_or_billing_hides_partner_actions(
    as_role, relationship, customer, role
):
    # R1: the control is not shown to people who lack the role.
    client, _user = as_role(role)
    body = text(client.get(detail_url(customer.pk)))
    assert sr_url(customer.pk) not in body
    assert contacts_url(customer.pk) not in body
    assert end_url(customer.pk) not in body


def test_service_request_without_dap_is_opened(as_role, partner, customer):
    # R16: even without DAP.
    factories.RelationshipFactory(partner=partner, customer=customer, dap_active=False)
    client, _user = as_role(Role.HELPDESK_AGENT)
    assert client.post(sr_url(customer.pk), SR_DATA).status_code == 302
    assert ServiceRequest.objects.count() == 1


def test_service_request_with_missing_fields_shows_errors_next_to_fields(
    as_role, relationship, customer
):
    # R20: errors next to their fields; nothing created.
    client, _user = as_role(Role.ADMIN_AGENT)
    response = client.post(
        sr_url(customer.pk), {"title": "", "description": "", "severity": "urgent!"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"title", "description", "severity"}
    body = text(response)
    assert 'id="id_title_error"' in body
    assert "Enter a title." in body
    assert 'id="id_description_error"' in body
    assert "Describe what the customer needs." in body
    assert not ServiceRequest.objects.exists()
    assert not RelationshipEvent.objects.exists()


def test_service_request_empty_post_shows_errors_not_blank_form(
    as_role, relationship, customer
):
    # R20: a POST is always validated, even one without fields.
    client, _user = as_role(Role.ADMIN_AGENT)
    response = client.post(sr_url(customer.pk))
    assert response.status_code == 400
    assert "Enter a title." in text(response)


def test_service_request_status_is_shown_on_card(
    as_role, relationship, customer, partner
):
    # R16: the partner sees the status support staff set.
    client, _user = as_role(Role.HELPDESK_AGENT)
    client.post(sr_url(customer.pk), SR_DATA)
    card = text(client.get(detail_url(customer.pk)))
    assert SR_DATA["title"] in card
    assert "New" in card

    staff = factories.UserFactory(is_staff=True)
    service_request_update(
        service_request_id=ServiceRequest.objects.get().pk,
        actor=staff,
        status=ServiceRequest.Status.IN_PROGRESS,
        staff_note="Looking into the MX records.",
    )
    card = text(client.get(detail_url(customer.pk)))
    assert "In progress" in card
    assert "Looking into the MX records." in card
    listing = text(client.get(reverse("customers:list") + "?expand=all"))
    assert "In progress" in listing


def test_service_request_for_other_partners_customer_answers_404(
    as_role, foreign_relationship
):
    # R17
    client, _user = as_role(Role.ADMIN_AGENT)
    customer_id = foreign_relationship.customer_id
    assert client.get(sr_url(customer_id)).status_code == 404
    assert client.post(sr_url(customer_id), SR_DATA).status_code == 404
    assert not ServiceRequest.objects.exists()


def test_service_request_on_ended_relationship_is_refused(
    as_role, relationship, customer
):
    ResellerRelationship.objects.filter(pk=relationship.pk).update(
        status="ended", ended_at=relationship.since
    )
    client, _user = as_role(Role.ADMIN_AGENT)
    response = client.post(sr_url(customer.pk), SR_DATA)
    assert response.status_code == 400
    assert "This relationship has ended." in text(response)
    assert not ServiceRequest.objects.exists()


# --- R15: support contacts ------------------------------------------------------------


@pytest.fixture
def colleagues(make_partner_user):
    return [
        make_partner_user(
            Role.HELPDESK_AGENT,
            email="hugo@contoso.test",
            first_name="Hugo",
            last_name="Helpdesk",
        ),
        make_partner_user(
            Role.SALES_AGENT,
            email="sara@contoso.test",
            first_name="Sara",
            last_name="Sales",
        ),
    ]


@pytest.mark.parametrize("role", [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT])
def test_support_contacts_by_admin_agent_are_saved_with_one_primary(
    as_role, relationship, customer, colleagues, role
):
    # R15: partner users, one primary.
    client, user = as_role(role)
    hugo, sara = colleagues
    assert client.get(contacts_url(customer.pk)).status_code == 200
    response = client.post(
        contacts_url(customer.pk),
        {"contacts": [hugo.pk, sara.pk], "primary": str(hugo.pk)},
    )
    assert response.status_code == 302
    contacts = {c.user_id: c.is_primary for c in relationship.support_contacts.all()}
    assert contacts == {hugo.pk: True, sara.pk: False}
    event = RelationshipEvent.objects.get(kind=Kind.SUPPORT_CONTACTS_CHANGED)
    assert event.actor == user
    assert "Hugo Helpdesk (primary)" in text(client.get(detail_url(customer.pk)))


@pytest.mark.parametrize(
    "role", [Role.HELPDESK_AGENT, Role.SALES_AGENT, Role.BILLING_ADMIN]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_support_contacts_by_other_roles_answer_403(
    as_role, relationship, customer, colleagues, role, method
):
    # R1/R15: admin agents only.
    client, _user = as_role(role)
    response = getattr(client, method)(
        contacts_url(customer.pk), {"contacts": [colleagues[0].pk]}
    )
    assert response.status_code == 403
    assert not SupportContact.objects.exists()


def test_support_contacts_with_other_partners_user_forged_are_refused(
    as_role, relationship, customer, colleagues, other_partner
):
    # R15/R17: only the partner's own users; a forged id changes nothing.
    client, _user = as_role(Role.ADMIN_AGENT)
    hugo = colleagues[0]
    factories.SupportContactFactory(
        relationship=relationship, user=hugo, is_primary=True
    )
    stranger = factories.partner_user(other_partner, Role.ADMIN_AGENT)
    for data in (
        {"contacts": [stranger.pk], "primary": ""},
        {"contacts": [hugo.pk, stranger.pk], "primary": str(hugo.pk)},
        {"contacts": [hugo.pk], "primary": str(stranger.pk)},
    ):
        response = client.post(contacts_url(customer.pk), data)
        assert response.status_code == 400
        assert response.context["form"].errors
    contacts = list(relationship.support_contacts.values_list("user_id", "is_primary"))
    assert contacts == [(hugo.pk, True)]
    assert not RelationshipEvent.objects.exists()


def test_support_contacts_with_customer_user_forged_are_refused(
    as_role, relationship, customer
):
    client, _user = as_role(Role.ADMIN_AGENT)
    outsider = factories.customer_admin(customer)
    response = client.post(contacts_url(customer.pk), {"contacts": [outsider.pk]})
    assert response.status_code == 400
    assert not SupportContact.objects.exists()


def test_support_contacts_with_primary_not_among_contacts_error_next_to_primary(
    as_role, relationship, customer, colleagues
):
    # R15: one primary, chosen among the contacts; R20: error next to the field.
    client, _user = as_role(Role.ADMIN_AGENT)
    hugo, sara = colleagues
    response = client.post(
        contacts_url(customer.pk), {"contacts": [hugo.pk], "primary": str(sara.pk)}
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["primary"]
    assert 'id="id_primary_error"' in text(response)
    assert not SupportContact.objects.exists()


def test_support_contacts_cleared_by_posting_none(
    as_role, relationship, customer, colleagues
):
    client, _user = as_role(Role.ADMIN_AGENT)
    factories.SupportContactFactory(relationship=relationship, user=colleagues[0])
    response = client.post(contacts_url(customer.pk), {"primary": ""})
    assert response.status_code == 302
    assert not SupportContact.objects.exists()


def test_support_contacts_are_shown_to_customer_with_names_and_emails(
    as_role, relationship, customer, colleagues
):
    # R15: the customer sees their names and emails.
    client, _user = as_role(Role.ADMIN_AGENT)
    hugo, sara = colleagues
    client.post(
        contacts_url(customer.pk),
        {"contacts": [hugo.pk, sara.pk], "primary": str(sara.pk)},
    )
    customer_client = Client()
    customer_client.force_login(factories.customer_admin(customer))
    body = text(customer_client.get(reverse("customers:partners")))
    for name, email in (("Hugo Helpdesk", hugo.email), ("Sara Sales", sara.email)):
        assert name in body
        assert email in body
    assert body.index("Sara Sales") < body.index("Hugo Helpdesk")  # primary first


def test_support_contacts_for_other_partners_customer_answer_404(
    as_role, foreign_relationship, colleagues
):
    client, _user = as_role(Role.ADMIN_AGENT)
    url = contacts_url(foreign_relationship.customer_id)
    assert client.get(url).status_code == 404
    assert client.post(url, {"contacts": [colleagues[0].pk]}).status_code == 404
    assert not SupportContact.objects.exists()


# --- R14: end the relationship ------------------------------------------------


def test_end_relationship_get_shows_confirmation_and_changes_nothing(
    as_role, relationship, customer
):
    # R14: after a confirmation page.
    client, _user = as_role(Role.ADMIN_AGENT)
    response = client.get(end_url(customer.pk))
    assert response.status_code == 200
    assert "End your reseller relationship with Litware?" in text(response)
    relationship.refresh_from_db()
    assert relationship.is_active


@pytest.mark.parametrize(
    "role", [Role.HELPDESK_AGENT, Role.SALES_AGENT, Role.BILLING_ADMIN]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_end_relationship_by_other_roles_answers_403(
    as_role, relationship, customer, role, method
):
    client, _user = as_role(role)
    assert getattr(client, method)(end_url(customer.pk)).status_code == 403
    relationship.refresh_from_db()
    assert relationship.is_active


def test_end_relationship_refused_while_partner_subscriptions_active(
    as_role, relationship, customer, partner, other_partner
):
    # R14: refused, listing the active subscriptions this partner provisioned.
    factories.SubscriptionFactory(
        customer=customer, provisioned_by=partner, offer_name="Dynamics 365 Sales"
    )
    factories.SubscriptionFactory(
        customer=customer, provisioned_by=other_partner, offer_name="Other Offer"
    )
    factories.SubscriptionFactory(
        customer=customer,
        provisioned_by=partner,
        offer_name="Old Offer",
        status=Subscription.Status.CANCELLED,
    )
    client, _user = as_role(Role.ADMIN_AGENT)
    page = text(client.get(end_url(customer.pk)))
    assert "Dynamics 365 Sales" in page
    assert "Other Offer" not in page
    assert "Old Offer" not in page

    response = client.post(end_url(customer.pk), {"reason": ""}, follow=True)
    body = text(response)
    assert "cannot end while subscriptions provisioned by" in body
    assert "Dynamics 365 Sales" in body
    relationship.refresh_from_db()
    assert relationship.is_active
    assert not RelationshipEvent.objects.filter(kind=Kind.ENDED).exists()


def test_end_relationship_after_cancel_removes_customer_from_list_and_keeps_history(
    as_role, relationship, customer, partner
):
    # R14: the customer leaves the Customers page; history and events stay; the
    # customer's page shows the relationship as ended.
    subscription = factories.SubscriptionFactory(
        customer=customer, provisioned_by=partner, offer_name="Dynamics 365 Sales"
    )
    client, user = as_role(Role.ADMIN_AGENT)
    client.post(sr_url(customer.pk), SR_DATA)
    Subscription.objects.filter(pk=subscription.pk).update(
        status=Subscription.Status.CANCELLED
    )
    assert customer.name in text(client.get(reverse("customers:list")))

    response = client.post(end_url(customer.pk), {"reason": "Customer moved away"})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:list")
    relationship.refresh_from_db()
    assert relationship.status == ResellerRelationship.Status.ENDED
    assert relationship.ended_by == user
    assert relationship.end_reason == "Customer moved away"
    ended = RelationshipEvent.objects.get(kind=Kind.ENDED)
    assert ended.details["side"] == "partner"

    listing = text(client.get(reverse("customers:list")))
    assert "Your relationship with Litware has ended." in listing
    assert "litware.example" not in listing

    detail = client.get(detail_url(customer.pk))
    assert detail.status_code == 200
    body = text(detail)
    assert "This relationship ended on" in body
    assert "Relationship ended" in body
    assert "Service request opened" in body
    assert SR_DATA["title"] in body
    assert end_url(customer.pk) not in body
    assert RelationshipEvent.objects.filter(relationship=relationship).count() == 2
    assert ServiceRequest.objects.filter(customer=customer).count() == 1
    # An ended relationship holds no admin privileges, whatever it had before.
    facts = body[body.index("<dt>Admin privileges</dt>") :]
    assert facts.split("</dd>")[0].endswith("Not active")


def test_end_relationship_posted_twice_writes_one_event(
    as_role, relationship, customer
):
    client, _user = as_role(Role.ADMIN_AGENT)
    client.post(end_url(customer.pk))
    client.post(end_url(customer.pk))
    assert RelationshipEvent.objects.filter(kind=Kind.ENDED).count() == 1


def test_end_relationship_for_other_partners_customer_answers_404(
    as_role, foreign_relationship
):
    # R17
    client, _user = as_role(Role.GLOBAL_ADMIN)
    url = end_url(foreign_relationship.customer_id)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    foreign_relationship.refresh_from_db()
    assert foreign_relationship.is_active


def test_ended_relationship_shows_only_own_subscriptions_and_no_directory(
    client, partner, admin_agent
):
    # R17/R11: once ended, the partner keeps its history, not a view of the tenant.
    from customers.services import relationship_end

    customer = factories.CustomerFactory(name="Ended Co")
    relationship = factories.RelationshipFactory(
        partner=partner, customer=customer, dap_active=True
    )
    factories.SubscriptionFactory(
        customer=customer, offer_name="Foreign offer", provisioned_by=None
    )
    factories.SubscriptionFactory(
        customer=customer,
        offer_name="Own cancelled offer",
        provisioned_by=partner,
        status="cancelled",
    )
    factories.DirectoryUserFactory(customer=customer, display_name="Hidden Person")
    relationship_end(relationship_id=relationship.pk, actor=admin_agent)
    relationship.refresh_from_db()
    assert relationship.dap_active is False
    client.force_login(admin_agent)
    for url in (
        reverse("customers:detail", args=[customer.pk]),
        reverse("customers:card", args=[customer.pk]),
    ):
        body = client.get(url).content.decode()
        assert "Own cancelled offer" in body
        assert "Foreign offer" not in body
        assert "Hidden Person" not in body
