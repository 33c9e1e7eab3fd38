"""R28 passkeys in Chromium, with its virtual authenticator (CDP WebAuthn): a
passkey is registered on the Two-step verification page and then used as the
sign-in's second step.

WebAuthn needs a secure context and a relying party id that is a domain: the
live server is opened at http://localhost:<port>, which browsers treat as
secure, and the relying party is "localhost".
"""

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from tests.browser.conftest import password_step

pytestmark = pytest.mark.browser


@pytest.fixture
def localhost_page(browser, live_server, settings):
    origin = live_server.url.replace("127.0.0.1", "localhost")
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [origin]
    context = browser.new_context(base_url=origin, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if message.type == "error" else None
        ),
    )
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    yield page
    context.close()
    assert errors == [], f"browser console errors: {errors}"


def test_passkey_registered_then_used_at_sign_in(localhost_page, sales_agent):
    page = localhost_page
    password_step(page, sales_agent.email)
    page.goto("/account/two-step/")
    page.get_by_label("Name of the passkey").fill("Test key")
    page.get_by_role("button", name="Add a passkey").click()
    page.get_by_text("Passkey added.").wait_for()
    assert page.get_by_role("cell", name="Test key", exact=True).is_visible()
    passkey = WebAuthnCredential.objects.get(user=sales_agent)
    assert passkey.name == "Test key"

    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url("**/accounts/login/**")
    password_step(page, sales_agent.email)
    assert "/accounts/login/verify/" in page.url
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert page.get_by_role("heading", name="Overview").is_visible()
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
