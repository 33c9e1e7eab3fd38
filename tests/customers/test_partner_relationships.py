"""R12/R14/R15/R17: the customer administrator's "Partner relationships" page."""

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import RelationshipEvent, ResellerRelationship, Subscription
from partners.models import Role
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db

Kind = RelationshipEvent.Kind
R12_NOTICE = (
    "This customer removed your admin privileges. You remain responsible for "
    "supporting them under the Cloud Reseller Agreement. You can open a service "
    "request on their behalf."
)
PARTNERS_URL = reverse("customers:partners")


def dap_remove_url(relationship):
    return reverse("customers:dap_remove", kwargs={"relationship_id": relationship.pk})


def end_url(relationship):
    return reverse(
        "customers:customer_end", kwargs={"relationship_id": relationship.pk}
    )


@pytest.fixture
def customer(db):
    customer = factories.CustomerFactory(name="Adatum", domain="adatum.example")
    factories.DirectoryUserFactory(customer=customer, display_name="Dana Directory")
    factories.LicenseFactory(customer=customer, product="Office 365 E5")
    return customer


@pytest.fixture
def relationship(partner, customer):
    return factories.RelationshipFactory(partner=partner, customer=customer)


@pytest.fixture
def admin_client(client, customer_admin):
    client.force_login(customer_admin)
    return client


@pytest.fixture
def other_relationship(partner):
    """A relationship of another customer organisation (R17)."""
    return factories.RelationshipFactory(partner=partner)


# --- Who may see the page --------------------------------------------------------


def test_partner_relationships_for_customer_admin_lists_partners_with_details(
    admin_client, relationship, partner, make_partner_user
):
    # R12/R15: status, DAP, since when, support contacts with names and emails.
    contact = make_partner_user(
        Role.HELPDESK_AGENT,
        email="hugo@contoso.test",
        first_name="Hugo",
        last_name="Helpdesk",
    )
    factories.SupportContactFactory(
        relationship=relationship, user=contact, is_primary=True
    )
    ended = factories.RelationshipFactory(
        customer=relationship.customer,
        partner=factories.PartnerFactory(name="Former Partner"),
    )
    ResellerRelationship.objects.filter(pk=ended.pk).update(
        status="ended", ended_at=ended.since
    )
    response = admin_client.get(PARTNERS_URL)
    assert response.status_code == 200
    body = text(response)
    assert partner.name in body
    assert "Former Partner" in body
    assert "Ended" in body
    assert "Admin privileges" in body
    assert "Since" in body
    assert "Hugo Helpdesk" in body
    assert "hugo@contoso.test" in body
    assert "(primary)" in body


def test_partner_relationships_lists_only_own_organisation(
    admin_client, relationship, other_relationship
):
    # R17: a customer administrator sees only their own organisation.
    response = admin_client.get(PARTNERS_URL)
    relationships = response.context["relationships"]
    assert [r.pk for r in relationships] == [relationship.pk]
    assert other_relationship.customer.name not in text(response)


def test_partner_relationships_for_partner_user_answers_403(client, admin_agent):
    client.force_login(admin_agent)
    response = client.get(PARTNERS_URL)
    assert response.status_code == 403
    assert "administrators of a customer organisation" in text(response)


def test_partner_relationships_for_non_admin_customer_user_answers_403(
    client, customer
):
    user = factories.UserFactory()
    factories.CustomerMembershipFactory(user=user, customer=customer, is_admin=False)
    client.force_login(user)
    assert client.get(PARTNERS_URL).status_code == 403


def test_partner_relationships_signed_out_redirects_to_sign_in(client):
    response = client.get(PARTNERS_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url_of", [dap_remove_url, end_url])
def test_customer_actions_on_other_customers_relationship_answer_404(
    admin_client, other_relationship, method, url_of
):
    # R17: another organisation's relationship id is a 404, also for POST.
    response = getattr(admin_client, method)(url_of(other_relationship))
    assert response.status_code == 404
    other_relationship.refresh_from_db()
    assert other_relationship.status == ResellerRelationship.Status.ACTIVE
    assert other_relationship.dap_active is True
    assert not RelationshipEvent.objects.exists()


@pytest.mark.parametrize("url_of", [dap_remove_url, end_url])
def test_customer_actions_for_partner_user_answer_403(
    client, admin_agent, relationship, url_of
):
    client.force_login(admin_agent)
    assert client.post(url_of(relationship)).status_code == 403
    relationship.refresh_from_db()
    assert relationship.is_active and relationship.dap_active


# --- R12: remove admin privileges --------------------------------------------------


def test_dap_remove_get_shows_confirmation_and_changes_nothing(
    admin_client, relationship
):
    response = admin_client.get(dap_remove_url(relationship))
    assert response.status_code == 200
    assert "Remove admin privileges" in text(response)
    assert "The reseller relationship stays" in text(response)
    relationship.refresh_from_db()
    assert relationship.dap_active is True


def test_dap_remove_post_keeps_relationship_and_writes_event(
    admin_client, relationship, customer_admin
):
    # R12: the relationship stays; DAP goes.
    response = admin_client.post(dap_remove_url(relationship))
    assert response.status_code == 302
    assert response["Location"] == PARTNERS_URL
    relationship.refresh_from_db()
    assert relationship.status == ResellerRelationship.Status.ACTIVE
    assert relationship.dap_active is False
    assert relationship.dap_removed_at is not None
    event = RelationshipEvent.objects.get(kind=Kind.DAP_REMOVED)
    assert event.relationship == relationship
    assert event.actor == customer_admin
    page = admin_client.get(PARTNERS_URL)
    assert "no longer has admin privileges" in text(page)
    assert "Reseller only" in text(page)


def test_dap_remove_posted_twice_writes_one_event(admin_client, relationship):
    admin_client.post(dap_remove_url(relationship))
    admin_client.post(dap_remove_url(relationship))
    assert RelationshipEvent.objects.filter(kind=Kind.DAP_REMOVED).count() == 1


def test_dap_remove_then_partner_card_shows_r12_notice_and_hides_directory(
    admin_client, relationship, customer, admin_agent
):
    # R12: the partner's card shows the notice with "Open a service request" and
    # no longer shows Users and Licenses.
    partner_client = Client()
    partner_client.force_login(admin_agent)
    detail = reverse("customers:detail", kwargs={"customer_id": customer.pk})
    before = text(partner_client.get(detail))
    assert "Dana Directory" in before
    assert R12_NOTICE not in before

    admin_client.post(dap_remove_url(relationship))

    for url in (detail, reverse("customers:list") + "?expand=all"):
        body = text(partner_client.get(url))
        assert R12_NOTICE in body
        assert "Open a service request" in body
        assert (
            reverse(
                "customers:service_request_new", kwargs={"customer_id": customer.pk}
            )
            in body
        )
        assert "Dana Directory" not in body
        assert "Office 365 E5" not in body
        assert f'id="usr-{customer.pk}"' not in body
        assert f'id="lic-{customer.pk}"' not in body


# --- R14 from the customer's side: end the relationship -----------------------------


def test_customer_end_refused_while_partner_subscriptions_active_listing_them(
    admin_client, relationship, partner, customer
):
    # R12/R14: refused while subscriptions this partner provisioned are active.
    factories.SubscriptionFactory(
        customer=customer, provisioned_by=partner, offer_name="Microsoft 365 E3"
    )
    factories.SubscriptionFactory(customer=customer, offer_name="Direct Offer")
    page = admin_client.get(end_url(relationship))
    assert page.status_code == 200
    assert "Microsoft 365 E3" in text(page)
    assert "Direct Offer" not in text(page)

    response = admin_client.post(end_url(relationship), follow=True)
    body = text(response)
    assert "cannot end" in body
    assert "Microsoft 365 E3" in body
    relationship.refresh_from_db()
    assert relationship.status == ResellerRelationship.Status.ACTIVE
    assert not RelationshipEvent.objects.filter(kind=Kind.ENDED).exists()


def test_customer_end_after_subscriptions_cancelled_ends_and_keeps_events(
    admin_client, relationship, partner, customer, customer_admin
):
    # R14: allowed once cancelled; events remain.
    subscription = factories.SubscriptionFactory(
        customer=customer, provisioned_by=partner, offer_name="Microsoft 365 E3"
    )
    admin_client.post(dap_remove_url(relationship))
    admin_client.post(end_url(relationship))
    relationship.refresh_from_db()
    assert relationship.is_active

    Subscription.objects.filter(pk=subscription.pk).update(
        status=Subscription.Status.CANCELLED
    )
    page = admin_client.get(end_url(relationship))
    assert "End your relationship with" in text(page)
    response = admin_client.post(end_url(relationship), {"reason": "Moving on"})
    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == ResellerRelationship.Status.ENDED
    assert relationship.ended_by == customer_admin
    assert relationship.end_reason == "Moving on"
    ended = RelationshipEvent.objects.get(kind=Kind.ENDED)
    assert ended.details["side"] == "customer"
    assert ended.actor == customer_admin
    kinds = set(
        RelationshipEvent.objects.filter(relationship=relationship).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {Kind.DAP_REMOVED, Kind.ENDED}

    listing = text(admin_client.get(PARTNERS_URL))
    assert "Ended" in listing
    assert end_url(relationship) not in listing


def test_customer_end_of_relationship_with_dap_no_longer_shows_privileges_active(
    admin_client, relationship
):
    # R12/R14: a partner whose relationship ended holds no admin privileges; the
    # page must not tell the administrator otherwise.
    admin_client.post(end_url(relationship))
    response = admin_client.get(PARTNERS_URL)
    body = text(response)
    assert "Ended" in body
    facts = body[body.index("<dt>Admin privileges</dt>") :]
    assert facts.split("</dd>")[0].endswith("Not active")
    assert dap_remove_url(relationship) not in body


def test_customer_end_with_suspended_partner_subscription_is_allowed(
    admin_client, relationship, partner, customer
):
    # R14 speaks of active subscriptions only.
    factories.SubscriptionFactory(
        customer=customer, provisioned_by=partner, status=Subscription.Status.SUSPENDED
    )
    admin_client.post(end_url(relationship))
    relationship.refresh_from_db()
    assert relationship.status == ResellerRelationship.Status.ENDED


def test_customer_end_with_reason_too_long_shows_error_and_changes_nothing(
    admin_client, relationship
):
    # R20
    response = admin_client.post(end_url(relationship), {"reason": "x" * 501})
    assert response.status_code in (200, 400)
    assert response.context["form"].errors["reason"]
    relationship.refresh_from_db()
    assert relationship.is_active


def test_customer_end_then_partner_no_longer_lists_customer(
    admin_client, relationship, customer, admin_agent
):
    admin_client.post(end_url(relationship))
    partner_client = Client()
    partner_client.force_login(admin_agent)
    assert customer.name not in text(partner_client.get(reverse("customers:list")))
    detail = partner_client.get(
        reverse("customers:detail", kwargs={"customer_id": customer.pk})
    )
    assert detail.status_code == 200
    assert "This relationship ended on" in text(detail)
    assert "Relationship ended" in text(detail)
