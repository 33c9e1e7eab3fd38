"""R17: a partner user never sees or changes another partner's invitations, customers
or relationships. Any such URL answers 404, for GET and for POST, and changes nothing.
"""

import pytest
from django.urls import reverse

from customers.models import (
    RelationshipEvent,
    ResellerRelationship,
    ServiceRequest,
    SupportContact,
)
from invitations import tokens
from invitations.models import Invitation
from invitations.services import invitation_create
from partners.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

INVITATION_URLS = ["invitations:email", "invitations:revoke", "invitations:new_link"]
CUSTOMER_URLS = [
    "customers:detail",
    "customers:service_request_new",
    "customers:support_contacts",
    "customers:end",
]


@pytest.fixture
def theirs(other_partner):
    """Another partner's pending invitation, made through the real service."""
    creator = factories.partner_user(partner=other_partner, role=Role.GLOBAL_ADMIN)
    return invitation_create(
        partner=other_partner,
        created_by=creator,
        include_dap=True,
        recipient_email="it@theirs.example",
    )


def snapshot(invitation):
    return Invitation.objects.filter(pk=invitation.pk).values().get()


@pytest.fixture(params=[Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.SALES_AGENT])
def me(request, client, make_partner_user):
    user = make_partner_user(request.param)
    client.force_login(user)
    return user


# --- Invitations --------------------------------------------------------------------


@pytest.mark.parametrize("url_name", INVITATION_URLS)
def test_other_partners_invitation_get_is_404_and_shows_nothing(
    client, me, theirs, url_name
):
    before = snapshot(theirs)
    response = client.get(reverse(url_name, args=[theirs.pk]))
    assert response.status_code == 404
    html = response.content.decode()
    assert tokens.make_token(theirs) not in html
    assert "it@theirs.example" not in html
    assert snapshot(theirs) == before


@pytest.mark.parametrize("url_name", INVITATION_URLS)
def test_other_partners_invitation_post_is_404_and_changes_nothing(
    client, me, theirs, url_name
):
    before = snapshot(theirs)
    events = RelationshipEvent.objects.count()
    link = tokens.link_for(theirs)
    response = client.post(
        reverse(url_name, args=[theirs.pk]),
        {"subject": "Hijacked", "body": f"Hijacked {link}", "action": "ok"},
    )
    assert response.status_code == 404
    assert snapshot(theirs) == before
    assert RelationshipEvent.objects.count() == events
    # The other partner's link still works.
    assert tokens.check_token(
        Invitation.objects.get(pk=theirs.pk), tokens.make_token(theirs)
    )


@pytest.mark.parametrize("url_name", INVITATION_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_invitation_id_is_404(client, me, url_name, method):
    response = getattr(client, method)(reverse(url_name, args=[987654]))
    assert response.status_code == 404


def test_other_partners_invitation_absent_from_request_list(client, me, theirs):
    html = client.get(reverse("invitations:list")).content.decode()
    assert "it@theirs.example" not in html
    assert reverse("invitations:email", args=[theirs.pk]) not in html


def test_other_partners_invitation_same_answer_as_unknown_id(client, me, theirs):
    # 404 for both: a user cannot tell whether another partner's id exists.
    other = client.get(reverse("invitations:email", args=[theirs.pk]))
    unknown = client.get(reverse("invitations:email", args=[theirs.pk + 1000]))
    assert other.status_code == unknown.status_code == 404


# --- Customers ----------------------------------------------------------------------


@pytest.fixture
def their_customer(other_partner):
    customer = factories.CustomerFactory(name="Their Customer")
    factories.RelationshipFactory(partner=other_partner, customer=customer)
    factories.DirectoryUserFactory(customer=customer, display_name="Secret Person")
    return customer


@pytest.fixture
def admin(client, make_partner_user):
    user = make_partner_user(Role.GLOBAL_ADMIN)
    client.force_login(user)
    return user


@pytest.mark.parametrize("url_name", CUSTOMER_URLS)
def test_other_partners_customer_get_is_404(client, admin, their_customer, url_name):
    response = client.get(reverse(url_name, args=[their_customer.pk]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "Their Customer" not in html
    assert "Secret Person" not in html


@pytest.mark.parametrize("url_name", CUSTOMER_URLS)
def test_other_partners_customer_post_is_404_and_changes_nothing(
    client, admin, their_customer, url_name
):
    relationship = ResellerRelationship.objects.get(customer=their_customer)
    events = RelationshipEvent.objects.count()
    response = client.post(
        reverse(url_name, args=[their_customer.pk]),
        {
            "title": "Forged",
            "description": "Forged",
            "severity": "high",
            "contacts": [admin.pk],
            "primary": str(admin.pk),
            "reason": "Forged",
        },
    )
    assert response.status_code == 404
    relationship.refresh_from_db()
    assert relationship.status == ResellerRelationship.Status.ACTIVE
    assert not ServiceRequest.objects.exists()
    assert not SupportContact.objects.exists()
    assert RelationshipEvent.objects.count() == events


@pytest.mark.parametrize("url_name", CUSTOMER_URLS)
def test_customer_without_any_relationship_is_404(client, admin, url_name):
    customer = factories.CustomerFactory()
    assert client.get(reverse(url_name, args=[customer.pk])).status_code == 404
    assert client.post(reverse(url_name, args=[customer.pk])).status_code == 404


def test_shared_customer_shows_only_own_relationship(
    client, admin, partner, other_partner, their_customer
):
    # Multi-partner: a customer of both partners; we see our card, not theirs.
    factories.RelationshipFactory(
        partner=partner, customer=their_customer, dap_active=False
    )
    factories.SubscriptionFactory(
        customer=their_customer, offer_name="Their Offer", provisioned_by=other_partner
    )
    factories.ServiceRequestFactory(
        partner=other_partner, customer=their_customer, title="Their ticket"
    )
    response = client.get(reverse("customers:detail", args=[their_customer.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Reseller only" in html
    assert "Their Offer" not in html
    assert "Their ticket" not in html
    assert "Secret Person" not in html
