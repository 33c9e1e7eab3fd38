"""The whole journey (R6–R9, R11): a partner user makes a request, the customer's
administrator opens the emailed link in another browser, signs in or creates the
organisation's account, accepts, and the customer appears on Customers. And R8's
dispatch: where a legacy and a new invitation land."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Customer, RelationshipEvent, ResellerRelationship
from invitations import tokens
from invitations.models import Invitation
from tests import factories
from tests.conftest import browser_sign_in
from tests.queue import run_tasks

pytestmark = pytest.mark.browser


def partner_makes_request(page, user):
    """Customers → Request a reseller relationship → the draft; returns its link."""
    browser_sign_in(page, user.email)
    page.get_by_role("link", name="Request a reseller relationship").first.click()
    page.get_by_role("button", name="Next: review the email").click()
    expect(
        page.get_by_role("heading", name="Review the email draft", level=1)
    ).to_be_visible()
    link = page.locator("[data-invitation-link]").inner_text().strip()
    # The link the customer gets is the one in the email text.
    expect(page.get_by_label("Email text", exact=True)).to_have_value(
        re.compile(re.escape(link))
    )
    page.get_by_role("button", name="OK").click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    return link


def accept_on_the_portal(customer_page, *, email, organisation):
    expect(
        customer_page.get_by_text(
            f"You are signed in as {email}, administrator of {organisation}."
        )
    ).to_be_visible()
    expect(
        customer_page.get_by_role("button", name="Not you? Switch account")
    ).to_be_visible()
    customer_page.get_by_role("button", name="Accept and authorize").click()
    expect(
        customer_page.get_by_role(
            "heading", name="Contoso Cloud Partners is now your partner"
        )
    ).to_be_visible()


def expect_customer_on_partner_page(page, name):
    page.goto("/customers/")
    # R10/R43: the request's creator is told: the bell counts the notice, and it
    # waits on the Notifications page until it is marked read.
    bell = page.locator(".bell")
    expect(bell).to_contain_text("1 unread")
    bell.click()
    expect(page.get_by_role("main")).to_contain_text(
        f"{name} accepted your reseller relationship request."
    )
    page.goto("/customers/")
    # Issue 12: a customer is a row group of the Customers table.
    card = page.locator("[data-card]").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )
    expect(card).to_be_visible()
    expect(card.get_by_text("Admin privileges").first).to_be_visible()


def test_customer_admin_signs_in_and_accepts_then_appears_on_customers(
    page, new_page, sales_agent, portal_base_url
):
    tailspin = factories.CustomerFactory(name="Tailspin", domain="tailspin.example")
    admin = factories.customer_admin(customer=tailspin, email="admin@tailspin.example")

    link = partner_makes_request(page, sales_agent)
    assert link.startswith(f"{portal_base_url}/invitations/accept/")

    customer_page = new_page()
    customer_page.goto(link)
    # R7/R8: the link leaves the address bar; a new public-cloud invitation opens
    # the Store for Business.
    expect(customer_page).to_have_url(f"{portal_base_url}/portals/store/session/")
    expect(
        customer_page.get_by_text("Microsoft Store for Business").first
    ).to_be_visible()
    expect(customer_page.get_by_text("Contoso Cloud Partners").first).to_be_visible()

    sign_in = customer_page.get_by_role("region", name="Sign in")
    sign_in.get_by_label("Email address").fill(admin.email)
    sign_in.get_by_label("Password").fill(factories.PASSWORD)
    sign_in.get_by_role("button", name="Sign in").click()
    accept_on_the_portal(customer_page, email=admin.email, organisation="Tailspin")

    relationship = ResellerRelationship.objects.get(customer=tailspin)
    assert relationship.partner.name == "Contoso Cloud Partners"
    assert relationship.dap_active is True
    assert Invitation.objects.get().status == Invitation.Status.ACCEPTED
    assert (
        RelationshipEvent.objects.filter(kind=RelationshipEvent.Kind.ACCEPTED).count()
        == 1
    )

    expect_customer_on_partner_page(page, "Tailspin")

    # The link is single-use.
    again = new_page()
    response = again.goto(link)
    assert response.status == 410


def test_new_organisation_creates_its_account_and_accepts(
    page, new_page, sales_agent, portal_base_url
):
    link = partner_makes_request(page, sales_agent)

    customer_page = new_page()
    customer_page.goto(link)
    sign_up = customer_page.get_by_role(
        "region", name="Create an account for your organisation"
    )
    sign_up.get_by_label("Organisation name").fill("Fourth Coffee")
    sign_up.get_by_label("Primary domain").fill("FourthCoffee.example")
    sign_up.get_by_label("Country/region").select_option("FR")
    sign_up.get_by_label("Administrator's first name").fill("Fiona")
    sign_up.get_by_label("Administrator's last name").fill("Fourth")
    sign_up.get_by_label("Administrator's email address").fill(
        "admin@fourthcoffee.example"
    )
    sign_up.get_by_label("Password").fill("a-Long-and-unusual-passphrase-42")
    sign_up.get_by_role(
        "button", name="Create an account for your organisation"
    ).click()
    # DESIGN 8.2: nothing exists until the code emailed to the address is entered.
    customer_page.get_by_role("heading", name="Check your email").wait_for()
    assert not Customer.objects.filter(domain="fourthcoffee.example").exists()
    run_tasks()
    (message,) = [m for m in mail.outbox if m.to == ["admin@fourthcoffee.example"]]
    code = re.search(r"^(\d{6})$", message.body, re.M).group(1)
    customer_page.get_by_label("Verification code").fill(code)
    customer_page.get_by_role("button", name="Create the account").click()

    accept_on_the_portal(
        customer_page, email="admin@fourthcoffee.example", organisation="Fourth Coffee"
    )
    relationship = ResellerRelationship.objects.select_related("customer").get()
    assert relationship.customer.domain == "fourthcoffee.example"
    assert relationship.customer.cloud == "public"

    expect_customer_on_partner_page(page, "Fourth Coffee")


@pytest.mark.parametrize(
    ("sent_at", "portal", "brand"),
    [
        # R8: a public-cloud invitation sent before the 2018-11-01 cutover...
        (datetime(2018, 10, 15, 9, 30, tzinfo=UTC), "office", "Office admin portal"),
        # ... and one sent now.
        (None, "store", "Microsoft Store for Business"),
    ],
    ids=["legacy-2018-10-15", "new"],
)
def test_link_lands_on_the_experience_for_its_date(
    new_page, contoso, portal_base_url, sent_at, portal, brand
):
    invitation = factories.InvitationFactory(
        partner=contoso,
        sent_at=sent_at or timezone.now(),
        expires_at=timezone.now() + timedelta(days=90),
    )

    customer_page = new_page()
    customer_page.goto(tokens.link_for(invitation))

    expect(customer_page).to_have_url(f"{portal_base_url}/portals/{portal}/session/")
    expect(customer_page.locator(".portal-brand")).to_have_text(brand)
    expect(customer_page.get_by_text("Contoso Cloud Partners").first).to_be_visible()
    expect(customer_page.get_by_role("button", name="Sign in")).to_be_visible()
