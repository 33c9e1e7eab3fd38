"""R19: the language selector on every page, remembered from page to page."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import browser_sign_in

pytestmark = pytest.mark.browser


def expect_french_navigation(page):
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Clients", exact=True)).to_be_visible()
    expect(
        nav.get_by_role("link", name="Demandes de relation", exact=True)
    ).to_be_visible()


def test_language_selector_switches_to_french_and_is_remembered(page, admin_agent):
    browser_sign_in(page, admin_agent.email)
    expect(page).to_have_url(re.compile(r"/overview/$"))
    page.goto("/customers/")
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Customers", exact=True)).to_be_visible()
    # Picking a language changes nothing by itself (WCAG 3.2.2): arrowing through
    # the options with the keyboard must not reload the page.
    select = page.get_by_label("Language")
    select.focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    select.select_option("fr")
    page.keyboard.press("Tab")
    change = page.get_by_role("button", name="Change")
    expect(change).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect_french_navigation(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Clients")
    expect(page.get_by_label("Langue")).to_have_value("fr")

    # Remembered on the next page.
    page.get_by_role("link", name="Demandes de relation").click()
    expect(page).to_have_url(re.compile(r"/invitations/$"))
    expect_french_navigation(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Demandes de relation")

    # And back to English the same way.
    page.get_by_label("Langue").select_option("en")
    with page.expect_navigation():
        page.get_by_role("button", name="Changer").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav.get_by_role("link", name="Relationship requests")).to_be_visible()


def test_language_selector_works_without_javascript(page_no_js, admin_agent):
    page = page_no_js
    browser_sign_in(page, admin_agent.email)
    expect(page).to_have_url(re.compile(r"/overview/$"))
    page.goto("/customers/")

    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()

    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect_french_navigation(page)
    page.goto("/invitations/")
    expect_french_navigation(page)
