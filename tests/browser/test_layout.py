"""Issue 12: the layout bugs reported at 1366 px and 390 px, measured in Chromium.

Each test reads computed styles and boxes (never screenshots): cells that stay
cells, words that stay whole, pages no wider than the window.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import ServiceRequest, Subscription
from invitations.models import Invitation
from partners.models import Role
from tests import factories
from tests.conftest import browser_sign_in

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SMALL = {"width": 360, "height": 740}

# For every table cell (and what it holds): its computed overflow-wrap and
# word-break, and the words of its text drawn on more than one line.
CELL_REPORT = """(selector) => {
  const out = {styles: [], broken: []};
  for (const cell of document.querySelectorAll(selector)) {
    for (const el of [cell, ...cell.querySelectorAll('*')]) {
      const s = getComputedStyle(el);
      if (s.overflowWrap !== 'normal' || s.wordBreak !== 'normal') {
        out.styles.push(`${el.tagName} ${s.overflowWrap} ${s.wordBreak}`);
      }
    }
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const re = /[^\\s-]+/g;  // a hyphen is a natural break
      let m;
      while ((m = re.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()]
          .filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) out.broken.push(m[0]);
      }
    }
  }
  return out;
}"""

PAGE_WIDTH = "() => document.documentElement.scrollWidth"


def assert_cells_keep_words(page, selector):
    report = page.evaluate(CELL_REPORT, selector)
    assert report["styles"] == [], "cells that may break inside a word"
    assert report["broken"] == [], "words drawn on two lines"


def assert_fits(page, width):
    assert page.evaluate(PAGE_WIDTH) <= width


@pytest.fixture
def requests_page(contoso, admin_agent):
    """Relationship requests in every status, with long addresses (issue 12)."""
    now = timezone.now()
    for status, email in (
        (Invitation.Status.PENDING, "pending.administrator@tailspin.example"),
        (Invitation.Status.REVOKED, "revoked@tailspin.example"),
        (Invitation.Status.DECLINED, "declined.admin@fabrikam-deutschland.example"),
        (Invitation.Status.PENDING, "second.pending@litware.example"),
    ):
        factories.InvitationFactory(
            partner=contoso,
            created_by=admin_agent,
            status=status,
            recipient_email=email,
            sent_at=now - timedelta(days=2),
            expires_at=now + timedelta(days=88),
        )
    return admin_agent


def open_requests(page, user, viewport):
    page.set_viewport_size(viewport)
    browser_sign_in(page, user.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto("/invitations/")
    expect(page.get_by_role("heading", name="Relationship requests")).to_be_visible()


def test_requests_rows_hold_together_at_1366(page, requests_page):
    # Issue 12: action cells came loose from their rows (a <td> made a flex box),
    # row borders did not line up, and "Pendin g" / "Revoke d" / addresses broke.
    open_requests(page, requests_page, WIDE)
    rows = page.evaluate(
        """() => [...document.querySelectorAll('.table tbody tr')].map(tr =>
          [...tr.children].map(td => {
            const r = td.getBoundingClientRect();
            return [getComputedStyle(td).display, Math.round(r.top),
                    Math.round(r.bottom)];
          }))"""
    )
    assert len(rows) == 4
    for cells in rows:
        assert {display for display, _top, _bottom in cells} == {"table-cell"}
        # Every cell of a row starts and ends where the row does: borders align.
        assert len({(top, bottom) for _d, top, bottom in cells}) == 1
    assert_cells_keep_words(page, ".table td, .table th")
    assert_fits(page, WIDE["width"])


def test_requests_actions_look_like_buttons_and_revoke_is_danger(page, requests_page):
    # Issue 12: "Create a new link" and "Revoke" looked like plain text.
    open_requests(page, requests_page, WIDE)
    row = page.locator("tbody tr").filter(has_text="pending.administrator@")
    new_link = row.get_by_role("link", name="Create a new link")
    revoke = row.get_by_role("link", name="Revoke")
    expect(new_link).to_have_attribute("href", re.compile(r"/new-link/$"))
    styles = [
        el.evaluate(
            "el => { const s = getComputedStyle(el); return [s.borderTopStyle,"
            " parseFloat(s.borderTopWidth), parseFloat(s.paddingLeft), s.color,"
            " s.borderTopColor, s.textDecorationLine]; }"
        )
        for el in (new_link, revoke)
    ]
    for border, border_width, padding, _color, _border_color, decoration in styles:
        assert border == "solid" and border_width >= 1
        assert padding >= 8
        assert decoration == "none"
    # Revoke in the danger colour (--danger, #b42318), not the link blue.
    assert styles[1][3] == "rgb(180, 35, 24)"
    assert styles[1][4] == "rgb(180, 35, 24)"
    # Statuses are labelled badges.
    expect(page.locator(".badge.badge--revoked")).to_have_text("Revoked")
    expect(page.locator(".badge.badge--pending").first).to_have_text("Pending")


def test_requests_stack_at_390(page, requests_page):
    # Issue 12: at 390 px the page was 610 px wide, rows hundreds of pixels tall.
    open_requests(page, requests_page, PHONE)
    assert_fits(page, PHONE["width"])
    cells = page.evaluate(
        """() => [...document.querySelectorAll('.table tbody td[data-label]')].map(
          td => [getComputedStyle(td).display,
                 getComputedStyle(td, '::before').content, td.dataset.label])"""
    )
    assert cells
    for display, before, label in cells:
        assert display == "block"
        assert before == f'"{label}"'
    assert_cells_keep_words(page, ".table td")
    # Each request fits a phone screen.
    heights = page.evaluate(
        "() => [...document.querySelectorAll('.table tbody tr')]"
        ".map(tr => tr.getBoundingClientRect().height)"
    )
    assert max(heights) < PHONE["height"] * 0.75


@pytest.fixture
def azure_customer(contoso):
    customer = factories.CustomerFactory(
        name="Northwind Traders", domain="northwindtraders.example", country="FR"
    )
    factories.RelationshipFactory(partner=contoso, customer=customer, dap_active=True)
    for offer, status in (
        ("Azure plan", Subscription.Status.ACTIVE),
        ("Microsoft 365 Business Premium", Subscription.Status.CANCELLED),
        ("Dynamics 365 Customer Engagement", Subscription.Status.SUSPENDED),
    ):
        factories.SubscriptionFactory(
            customer=customer, offer_name=offer, status=status, provisioned_by=contoso
        )
    factories.DirectoryUserFactory(
        customer=customer,
        display_name="Administrator",
        email="global.administrator@northwindtraders.example",
    )
    return customer


@pytest.mark.parametrize("viewport", [PHONE, SMALL])
def test_customer_card_services_keep_words_at_390(
    page, admin_agent, azure_customer, viewport
):
    # Issue 12: "Azur e plan", "Cancel led", the last header cut off, the
    # Customers page wider than the screen.
    page.set_viewport_size(viewport)
    browser_sign_in(page, admin_agent.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto("/customers/")
    assert_fits(page, viewport["width"])
    page.get_by_role("button", name="Show details of Northwind Traders").click()
    services = page.get_by_role("region", name="Services")
    expect(services.get_by_text("Azure plan")).to_be_visible()
    assert_fits(page, viewport["width"])
    assert_cells_keep_words(page, ".card__section .table td")
    # No cell is cut off: each lies inside its section.
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('.card__section')].map(s => {
          const box = s.getBoundingClientRect();
          return [...s.querySelectorAll('td, th')].filter(c => {
            if (!c.offsetParent) return false;
            const r = c.getBoundingClientRect();
            return r.right > box.right + 1 || r.left < box.left - 1;
          }).length; })"""
    )
    assert sum(overflow) == 0
    # The customer's own page too.
    page.goto(f"/customers/{azure_customer.pk}/")
    assert_fits(page, viewport["width"])
    assert_cells_keep_words(page, ".table td")


def test_support_contacts_addresses_stay_in_their_panel(page, contoso, admin_agent):
    # Issue 12: the support-contacts page's addresses ran out of their panel.
    customer = factories.CustomerFactory(name="Litware")
    factories.RelationshipFactory(partner=contoso, customer=customer, dap_active=True)
    factories.partner_user(
        partner=contoso,
        role=Role.HELPDESK_AGENT,
        first_name="Maximiliane",
        last_name="Oberhauser-Wittgenstein",
        email="maximiliane.oberhauser-wittgenstein.support@contoso-cloud.example",
    )
    page.set_viewport_size(PHONE)
    browser_sign_in(page, admin_agent.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"/customers/{customer.pk}/support-contacts/")
    expect(page.get_by_role("heading", name="Assign support contacts")).to_be_visible()
    assert_fits(page, PHONE["width"])
    outside = page.evaluate(
        """() => { const panel = document.querySelector('.panel')
              .getBoundingClientRect();
          return [...document.querySelectorAll('.panel label')].filter(l =>
            l.getBoundingClientRect().right > panel.right + 0.5
            || l.scrollWidth > l.clientWidth + 1).map(l => l.textContent); }"""
    )
    assert outside == []


def test_customer_page_title_is_its_largest_heading_and_panels_breathe(
    page, admin_agent, azure_customer
):
    # Issue 12: the title was smaller than "History", and the panels touched.
    page.set_viewport_size(WIDE)
    browser_sign_in(page, admin_agent.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"/customers/{azure_customer.pk}/")
    title = page.get_by_role("heading", level=1, name="Northwind Traders")
    history = page.get_by_role("heading", name="History")
    expect(title).to_be_visible()
    assert title.bounding_box()["width"] > 100  # shown, not only for screen readers

    def size(locator):
        return locator.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")

    assert size(title) > size(history)
    gap = page.evaluate(
        """() => document.querySelector('.panel').getBoundingClientRect().top
          - document.querySelector('article.card').getBoundingClientRect().bottom"""
    )
    assert gap >= 16


def test_customers_list_shows_fifteen_rows_a_screen(page, admin_agent, contoso):
    # Issue 12: the list showed about six customers a screen.
    for i in range(30):
        customer = factories.CustomerFactory(
            name=f"Customer {i:02d}", domain=f"customer{i:02d}.example"
        )
        factories.RelationshipFactory(partner=contoso, customer=customer)
    page.set_viewport_size(WIDE)
    browser_sign_in(page, admin_agent.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto("/customers/")
    shown = page.evaluate(
        "() => [...document.querySelectorAll('tr.customer__row')]"
        ".filter(r => r.getBoundingClientRect().bottom <= innerHeight).length"
    )
    assert shown >= 15
    assert_cells_keep_words(page, ".table--customers td, .table--customers th")


def test_customers_filter_and_sort_apply_on_change(page, admin_agent, contoso):
    # Issue 12: sorting applied only after pressing Search. With JavaScript a
    # change applies at once; the headers sort and say how (aria-sort).
    removed = factories.CustomerFactory(name="Adatum")
    factories.RelationshipFactory(
        partner=contoso,
        customer=removed,
        dap_active=False,
        dap_removed_at=timezone.now(),
    )
    dap = factories.CustomerFactory(name="Bellows")
    factories.RelationshipFactory(partner=contoso, customer=dap, dap_active=True)
    factories.ServiceRequestFactory(
        partner=contoso, customer=dap, status=ServiceRequest.Status.NEW
    )
    page.set_viewport_size(WIDE)
    browser_sign_in(page, admin_agent.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto("/customers/")
    names = page.locator("[data-card-link]")
    expect(names).to_have_text(["Adatum", "Bellows"])
    header = page.get_by_role("columnheader", name="Name")
    expect(header).to_have_attribute("aria-sort", "ascending")

    page.get_by_label("Admin access").select_option(label="Privileges removed")
    expect(page).to_have_url(re.compile(r"access=removed"))
    expect(names).to_have_text(["Adatum"])
    expect(page.locator(".badge--removed")).to_have_text("Privileges removed")

    page.get_by_label("Admin access").select_option(label="All")
    expect(names).to_have_text(["Adatum", "Bellows"])
    page.get_by_role("link", name="Open service requests").click()
    expect(page).to_have_url(re.compile(r"sort=-requests"))
    expect(names).to_have_text(["Bellows", "Adatum"])
    expect(
        page.get_by_role("columnheader", name="Open service requests")
    ).to_have_attribute("aria-sort", "descending")
    expect(page.get_by_role("columnheader", name="Name")).not_to_have_attribute(
        "aria-sort", re.compile(".")
    )


def test_arrowing_through_a_filter_waits_for_enter(page, admin_agent, contoso):
    """WCAG 3.2.2: moving through a closed select's options with the arrow keys
    does not reload the page at each step; Enter applies the choice."""
    factories.RelationshipFactory(
        partner=contoso, customer=factories.CustomerFactory(name="Adatum")
    )
    page.set_viewport_size(WIDE)
    browser_sign_in(page, admin_agent.email)
    page.goto("/customers/")
    select = page.get_by_label("Admin access")
    select.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    expect(page).not_to_have_url(re.compile(r"access="))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"access="))
