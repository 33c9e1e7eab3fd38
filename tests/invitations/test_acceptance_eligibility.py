"""R45/R4/R9: an organisation that cannot accept is told so before any button, and
no Accept is offered; the accept service refuses with the same check (issue 12:
"sees Accept and Decline, clicks, and only then is refused; after the refusal the
Accept button is still offered"). The page also shows who sent the request, when,
and until when it works."""

import re

import pytest
from django.utils import formats

from core.exceptions import DomainError
from customers.models import ResellerRelationship
from customers.services import dap_remove, relationship_end
from invitations import selectors, services
from invitations.models import Invitation
from partners.models import Cloud, Role
from tests import factories
from tests.helpers import open_link, text

pytestmark = pytest.mark.django_db

ACCEPT = "Accept and authorize"
DECLINE_BUTTON = re.compile(r'name="action" value="decline"')


def page_of(client, invitation, user):
    client.force_login(user)
    url = open_link(client, invitation)
    return url, client.get(url)


@pytest.fixture
def wingtip_admin(db):
    wingtip = factories.CustomerFactory(name="Wingtip", country="US")
    return factories.customer_admin(wingtip)


# --- R4: another country/region or cloud ---------------------------------------------


def test_admin_of_other_country_sees_reason_naming_both_and_no_buttons(
    client, invitation, wingtip_admin
):
    # R45/R4: before the button; no Accept, and no Decline (it would kill the link
    # meant for the real customer).
    _url, page = page_of(client, invitation, wingtip_admin)
    html = text(page)
    assert page.status_code == 200
    assert "France" in html
    assert "United States of America" in html
    assert "Wingtip" in html
    assert ACCEPT not in html
    assert not DECLINE_BUTTON.search(html)
    assert "Switch account" in html


def test_admin_of_other_cloud_sees_reason_naming_both_clouds_and_no_accept(client):
    # R45/R4: same country, other cloud.
    partner = factories.PartnerFactory(
        name="Fabrikam Deutschland", country="DE", cloud=Cloud.GERMANY
    )
    invitation = factories.InvitationFactory(partner=partner)
    customer = factories.CustomerFactory(country="DE", cloud=Cloud.PUBLIC)
    _url, page = page_of(client, invitation, factories.customer_admin(customer))
    html = text(page)
    assert "Microsoft Cloud Germany" in html
    assert "Public cloud" in html
    assert ACCEPT not in html


def test_after_a_refused_accept_the_page_still_offers_no_accept(
    client, invitation, wingtip_admin
):
    # The forged or stale POST is refused, and the page after it has no Accept.
    url, _page = page_of(client, invitation, wingtip_admin)
    response = client.post(
        url, {"action": "accept", "invitation": invitation.pk}, follow=True
    )
    assert "United States of America" in text(response)
    assert ACCEPT not in text(response)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert not ResellerRelationship.objects.exists()


# --- Already a partner ---------------------------------------------------------------


def test_admin_of_organisation_already_partner_sees_reason_and_decline_only(
    client, partner, customer, customer_admin
):
    # R45: nothing to accept; declining still tells the partner.
    factories.RelationshipFactory(partner=partner, customer=customer, dap_active=True)
    invitation = factories.InvitationFactory(partner=partner, include_dap=True)
    _url, page = page_of(client, invitation, customer_admin)
    html = text(page)
    assert "already has a reseller relationship with Contoso Cloud Partners" in html
    assert ACCEPT not in html
    assert DECLINE_BUTTON.search(html)


def test_already_partner_without_dap_may_accept_a_dap_request(
    client, partner, customer, customer_admin
):
    # R13: a DAP request after DAP was removed restores it: it can be accepted.
    relationship = factories.RelationshipFactory(partner=partner, customer=customer)
    dap_remove(relationship_id=relationship.pk, actor=customer_admin)
    invitation = factories.InvitationFactory(partner=partner, include_dap=True)
    _url, page = page_of(client, invitation, customer_admin)
    assert ACCEPT in text(page)


def test_ended_relationship_may_be_accepted_again(
    client, partner, customer, customer_admin, admin_agent
):
    relationship = factories.RelationshipFactory(partner=partner, customer=customer)
    relationship_end(relationship_id=relationship.pk, actor=admin_agent)
    invitation = factories.InvitationFactory(partner=partner, include_dap=False)
    _url, page = page_of(client, invitation, customer_admin)
    assert ACCEPT in text(page)


def test_already_partner_reseller_only_request_cannot_be_accepted(
    client, partner, customer, customer_admin
):
    factories.RelationshipFactory(partner=partner, customer=customer, dap_active=False)
    invitation = factories.InvitationFactory(partner=partner, include_dap=False)
    _url, page = page_of(client, invitation, customer_admin)
    assert ACCEPT not in text(page)


def test_already_partner_may_decline(client, partner, customer, customer_admin):
    factories.RelationshipFactory(partner=partner, customer=customer, dap_active=True)
    invitation = factories.InvitationFactory(partner=partner, include_dap=True)
    url, _page = page_of(client, invitation, customer_admin)
    client.post(
        url, {"action": "decline", "invitation": invitation.pk, "confirmed": "yes"}
    )
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.DECLINED


# --- Not an administrator ------------------------------------------------------------


def test_non_admin_customer_user_sees_reason_and_no_buttons(
    client, invitation, customer
):
    user = factories.UserFactory()
    factories.CustomerMembershipFactory(user=user, customer=customer, is_admin=False)
    _url, page = page_of(client, invitation, user)
    html = text(page)
    assert f"You are not an administrator of {customer.name}" in html
    assert ACCEPT not in html
    assert not DECLINE_BUTTON.search(html)


def test_partner_user_sees_reason_and_no_buttons(client, invitation, make_partner_user):
    _url, page = page_of(client, invitation, make_partner_user(Role.GLOBAL_ADMIN))
    html = text(page)
    assert "You are signed in with a partner account" in html
    assert ACCEPT not in html
    assert not DECLINE_BUTTON.search(html)


def test_eligible_admin_sees_accept_and_decline(client, admin_on_page):
    page = client.get(admin_on_page)
    assert ACCEPT in text(page)
    assert DECLINE_BUTTON.search(text(page))


# --- One check, for the page and the service -----------------------------------------


def test_accept_service_refuses_organisation_already_partner(
    partner, customer, customer_admin
):
    # R45: the service uses the page's check, so a forged POST is refused too.
    factories.RelationshipFactory(partner=partner, customer=customer, dap_active=True)
    invitation = factories.InvitationFactory(partner=partner, include_dap=True)
    with pytest.raises(DomainError) as refused:
        services.invitation_accept(
            invitation_id=invitation.pk, admin_user=customer_admin
        )
    assert refused.value.code == "already_partner"
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_accept_service_refuses_other_country_with_the_page_reason(
    invitation, wingtip_admin
):
    eligibility = selectors.acceptance_eligibility(
        invitation=invitation, user=wingtip_admin
    )
    assert not eligibility.can_accept
    with pytest.raises(DomainError) as refused:
        services.invitation_accept(
            invitation_id=invitation.pk, admin_user=wingtip_admin
        )
    assert refused.value.code == eligibility.code == "country_mismatch"
    assert str(refused.value) == eligibility.reason


def test_forged_accept_post_by_already_partner_changes_nothing(
    client, partner, customer, customer_admin
):
    relationship = factories.RelationshipFactory(
        partner=partner, customer=customer, dap_active=True
    )
    invitation = factories.InvitationFactory(partner=partner, include_dap=True)
    url, _page = page_of(client, invitation, customer_admin)
    client.post(url, {"action": "accept", "invitation": invitation.pk})
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert ResellerRelationship.objects.get() == relationship


# --- Sender, date sent, expiry -------------------------------------------------------


def test_page_shows_sender_date_sent_and_expiry(client, partner, make_partner_user):
    # R45: who is asking (the partner and the person), since when, until when.
    creator = make_partner_user(
        Role.SALES_AGENT,
        email="sara@contoso.test",
        first_name="Sara",
        last_name="Sales",
    )
    invitation = factories.InvitationFactory(partner=partner, created_by=creator)
    page = client.get(open_link(client, invitation))
    html = text(page)
    assert "Sara Sales, Contoso Cloud Partners" in html
    for moment in (invitation.sent_at, invitation.expires_at):
        assert formats.date_format(moment, "DATE_FORMAT") in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]*">', html)
