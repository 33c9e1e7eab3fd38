import os
import shutil

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

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


# --- R28: signed-in test clients pass the second step ---------------------------
#
# Hundreds of tests sign in with ``client.force_login(user)``. From issue 14 on, a
# session of someone who has a second factor (or whose role requires one) reaches
# nothing but the second step or its set-up until it is verified. So that those
# tests keep testing what they are about, ``force_login`` is patched (autouse,
# below) to give a *verified* session: the user's confirmed device, or, when the
# role requires one and there is none, a confirmed authenticator with the demo
# secret (``demo_devices_enrol``). People who need no second factor and have none
# get a plain session, as before.
#
# Tests of the gate itself sign in WITHOUT the second step with
# ``force_login_unverified(client, user)``.

_plain_force_login = Client.force_login


def _verifying_device(user):
    from django_otp_webauthn.models import WebAuthnCredential

    from partners.two_step import two_step_required
    from partners.two_step_services import demo_devices_enrol

    fresh = type(user)._default_manager.get(pk=user.pk)
    for model in (TOTPDevice, WebAuthnCredential, StaticDevice):
        device = model.objects.filter(user=fresh, confirmed=True).first()
        if device is not None:
            return device
    if two_step_required(fresh):
        return demo_devices_enrol(user=fresh)
    return None


def _verified_force_login(self, user, backend=None):
    _plain_force_login(self, user, backend)
    device = _verifying_device(user)
    if device is not None:
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def force_login_unverified(client, user, backend=None):
    """Sign ``client`` in as ``user`` with the password step only (R28 gate tests)."""
    _plain_force_login(client, user, backend)
    return client


@pytest.fixture(autouse=True)
def _force_login_verifies(monkeypatch):
    monkeypatch.setattr(Client, "force_login", _verified_force_login)


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
def api_client(db):
    """``api_client(user, scope="read_write")``: a DRF client sending a new token of
    ``user`` as ``Authorization: Bearer``; its ``token`` and ``key`` are attributes."""
    from rest_framework.test import APIClient

    def make(user, scope="read_write", **kwargs):
        token, key = factories.api_token(user, scope=scope, **kwargs)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        client.token, client.key = token, key
        return client

    return make


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


def totp_code_for(user, *, secret=None) -> str:
    """The code a person's authenticator app would show now, for their confirmed
    authenticator (or ``secret``), one step later when the current step was
    already used (django-otp refuses a code twice). Waits when even that was."""
    import time

    import pyotp

    from partners.two_step_services import hex_to_secret

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if secret is None:
        secret = hex_to_secret(device.key)
    totp = pyotp.TOTP(secret)
    now = time.time()
    step = int(now // 30)
    last = device.last_t if device is not None else -1
    if last >= step + 1:
        time.sleep((last + 1) * 30 - now + 0.5)
        return totp_code_for(user, secret=secret)
    return totp.at(max(step, last + 1) * 30)


def browser_sign_in(page, email, password=factories.PASSWORD):
    """Sign in through the form; a person whose role requires two-step
    verification gets the demo authenticator first when they have no second
    factor, and the second step is then answered with its current code (R28)."""
    from django.contrib.auth import get_user_model

    from partners.two_step import has_confirmed_device, two_step_required
    from partners.two_step_services import demo_devices_enrol

    user = get_user_model()._default_manager.filter(email__iexact=email).first()
    has_device = user is not None and has_confirmed_device(user)
    if user is not None and not has_device and two_step_required(user):
        demo_devices_enrol(user=user)
        has_device = True
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if has_device and TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        page.wait_for_url("**/accounts/login/verify/**")
        page.get_by_label("Verification code").fill(totp_code_for(user))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()


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
