"""Browser-test helpers: pages that fail on console errors (CSP violations and the
like), and invitation links that point at the live server."""

import pytest

from partners.models import Role
from tests import factories

# R28: ``browser_sign_in`` (tests/conftest.py) answers the second step with the
# person's current authenticator code (pyotp); these two do one step each, for
# the tests of two-step verification itself.
from tests.conftest import browser_sign_in, totp_code_for  # noqa: F401


def password_step(page, email, password=factories.PASSWORD):
    """The sign-in form alone: the person may then face the second step."""
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def second_step(page, code):
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()


def _watch_console(page):
    """Collect the page's console errors and uncaught exceptions.

    A page answered with an error status on purpose (a form error is a 400) is
    not a fault of the page; a missing script, style or icon is.
    """
    errors = []
    error_pages = set()

    def on_response(response):
        if response.request.resource_type == "document" and response.status >= 400:
            error_pages.add(response.url)

    def on_console(message):
        if message.type != "error":
            return
        if (
            message.text.startswith("Failed to load resource")
            and message.location.get("url") in error_pages
        ):
            return
        errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def page(page):
    """The shared ``page``, failing the test if the browser logs an error.

    The pages run under a strict Content Security Policy without inline script:
    a violation shows up here as a console error.
    """
    errors = _watch_console(page)
    yield page
    assert errors == [], f"browser console errors: {errors}"


@pytest.fixture
def page_no_js(page_no_js):
    errors = _watch_console(page_no_js)
    yield page_no_js
    assert errors == [], f"browser console errors: {errors}"


@pytest.fixture
def new_page(browser, live_server):
    """Pages in fresh browser contexts (another person on another machine)."""
    contexts = []
    pages = []

    def make(**options):
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", **options
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        pages.append((page, _watch_console(page)))
        return page

    yield make
    for context in contexts:
        context.close()
    for _page, errors in pages:
        assert errors == [], f"browser console errors: {errors}"


@pytest.fixture
def portal_base_url(settings, live_server):
    """Links in email drafts point at this live server (R7)."""
    settings.PORTAL_BASE_URL = live_server.url
    return live_server.url


@pytest.fixture
def contoso(transactional_db):
    return factories.PartnerFactory(name="Contoso Cloud Partners", country="FR")


@pytest.fixture
def sales_agent(contoso):
    return factories.partner_user(
        partner=contoso, role=Role.SALES_AGENT, email="sara.sales@contoso.example"
    )


@pytest.fixture
def admin_agent(contoso):
    return factories.partner_user(
        partner=contoso, role=Role.ADMIN_AGENT, email="adam.agent@contoso.example"
    )
