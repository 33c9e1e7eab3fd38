import os
import shutil

import pytest
from django.core.cache import cache

from partners.models import Role
from tests import factories

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(autouse=True)
def _clear_cache():
    # Sign-in throttling lives in the cache; every test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def partner(db):
    return factories.PartnerFactory(name="Contoso Cloud Partners", country="FR")


@pytest.fixture
def other_partner(db):
    return factories.PartnerFactory(name="Other Partner", country="FR")


@pytest.fixture
def make_partner_user(db, partner):
    def make(role=Role.ADMIN_AGENT, of=None, **fields):
        return factories.partner_user(partner=of or partner, role=role, **fields)

    return make


@pytest.fixture
def admin_agent(make_partner_user):
    return make_partner_user(Role.ADMIN_AGENT, email="adam@contoso.test")


@pytest.fixture
def sign_in(client):
    def do(user):
        client.force_login(user)
        return client

    return do


# --- Browser tests -----------------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's chromium; without it they skip, except in CI."""
    has_browser = os.path.exists(CHROMIUM) or shutil.which("chromium")
    if has_browser:
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(
            f"CI=true but chromium is missing at {CHROMIUM}: browser tests must run."
        )
    skip = pytest.mark.skip(
        reason="chromium not found: install it with `apt-get install -y chromium` "
        "(as root) to run the browser tests"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop; Django must allow ORM use around it.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM
            if os.path.exists(CHROMIUM)
            else shutil.which("chromium"),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def page_no_js(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def browser_sign_in(page, email, password=factories.PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def customer_admin(customer):
    """The administrator of the module's ``customer`` (each module names its own
    customer): admin@<its domain>."""
    return factories.customer_admin(customer, email=f"admin@{customer.domain}")


# --- The job queue's real components (tests/queue.py) ---------------------------


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback; its ``mailbox`` holds what arrived."""
    from tests.queue import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(transactional_db, smtp_server, tmp_path):
    """Start real ``manage.py db_worker`` processes against the test database,
    sending to ``smtp_server``; each is stopped (or was killed) at the end."""
    from tests.queue import WorkerProcess

    workers = []

    def start(**env):
        worker = WorkerProcess(
            smtp_url=smtp_server.url, log=tmp_path / f"worker-{len(workers)}.log", **env
        ).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
