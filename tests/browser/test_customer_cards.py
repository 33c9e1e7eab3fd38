"""R11: a customer card expands with its down arrow, by keyboard; without JavaScript
the customer's name leads to the customer's own page."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Subscription
from tests import factories
from tests.conftest import browser_sign_in

pytestmark = pytest.mark.browser

SECTIONS = ["Account", "Services", "Users", "Licenses"]


@pytest.fixture
def adatum(contoso):
    customer = factories.CustomerFactory(name="Adatum", domain="adatum.example")
    factories.RelationshipFactory(partner=contoso, customer=customer, dap_active=True)
    factories.SubscriptionFactory(
        customer=customer,
        offer_name="Microsoft 365 Business Premium",
        provisioned_by=contoso,
        status=Subscription.Status.ACTIVE,
    )
    factories.DirectoryUserFactory(
        customer=customer, display_name="Alex Wilber", email="alex@adatum.example"
    )
    factories.LicenseFactory(customer=customer, product="Office 365 E3")
    return customer


def card_of(page, name):
    """A customer's card: its row group in the Customers table (issue 12), named
    by the link to the customer's page."""
    return page.locator("[data-card]").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )


def test_card_expands_and_collapses_with_the_keyboard(page, admin_agent, adatum):
    browser_sign_in(page, admin_agent.email)
    expect(page).to_have_url(re.compile(r"/overview/$"))
    page.goto("/customers/")
    card = card_of(page, "Adatum")
    toggle = card.get_by_role("button", name="Show details of Adatum")
    body = card.locator(".card__body")

    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", f"card-{adatum.pk}-body")
    expect(body).to_be_hidden()

    # Tab from the customer's name to its down arrow.
    card.get_by_role("link", name="Adatum").focus()
    page.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    # Visible focus: a real outline drawn by :focus-visible.
    outline = toggle.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return [el.matches(':focus-visible'), s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] is True
    assert outline[1] != "none"
    assert float(outline[2].removesuffix("px")) >= 2

    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(body).to_be_visible()
    for section in SECTIONS:
        expect(body.get_by_role("heading", name=section, exact=True)).to_be_visible()
    expect(body.get_by_text("Microsoft 365 Business Premium")).to_be_visible()
    expect(body.get_by_text("alex@adatum.example")).to_be_visible()
    expect(body.get_by_text("Office 365 E3")).to_be_visible()
    expect(toggle).to_be_focused()

    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(body).to_be_hidden()

    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(body).to_be_visible()


def test_card_without_javascript_links_to_the_customer_page(
    page_no_js, admin_agent, adatum
):
    page = page_no_js
    browser_sign_in(page, admin_agent.email)
    expect(page).to_have_url(re.compile(r"/overview/$"))
    page.goto("/customers/")
    card = card_of(page, "Adatum")
    # The down arrow needs JavaScript, so it is not offered.
    expect(card.get_by_role("button")).to_have_count(0)

    card.get_by_role("link", name="Adatum").click()

    expect(page).to_have_url(re.compile(rf"/customers/{adatum.pk}/$"))
    main = page.get_by_role("main")
    for section in SECTIONS:
        expect(main.get_by_role("heading", name=section, exact=True)).to_be_visible()
    expect(main.get_by_text("adatum.example").first).to_be_visible()
    expect(main.get_by_text("Microsoft 365 Business Premium")).to_be_visible()
    expect(main.get_by_text("Alex Wilber")).to_be_visible()
    expect(main.get_by_text("Office 365 E3")).to_be_visible()
