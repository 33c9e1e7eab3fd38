"""R28 in Chromium: set up an authenticator app from the page's secret, sign in
with password + code, recovery codes work once, and a required role without a
second factor reaches only the set-up page."""

import re

import pyotp
import pytest

from invitations.models import Invitation
from tests.browser.conftest import password_step, second_step, totp_code_for

pytestmark = pytest.mark.browser

SET_UP = "/account/two-step/"


def sign_out(page):
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url("**/accounts/login/**")


def enrol_from_the_page(page):
    """Read the secret shown, confirm with pyotp's code; the recovery codes."""
    secret = page.get_by_test_id("totp-secret").get_attribute("data-secret")
    shown = page.get_by_test_id("totp-secret").inner_text()
    assert shown.replace(" ", "") == secret
    assert page.locator("figure.qr-code svg").count() == 1
    page.get_by_label("Verification code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step verification").click()
    page.wait_for_load_state()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    return secret, codes


def test_enrol_then_sign_in_with_password_and_code(page, admin_agent):
    # An Admin agent must use two-step verification: the sign-in leads to set-up.
    password_step(page, admin_agent.email)
    assert SET_UP in page.url
    secret, _codes = enrol_from_the_page(page)
    page.get_by_role("link", name="Continue").click()
    page.wait_for_load_state()
    assert SET_UP not in page.url
    sign_out(page)

    password_step(page, admin_agent.email)
    assert "/accounts/login/verify/" in page.url
    second_step(page, "000000")
    assert page.get_by_text("This code is not right").is_visible()
    second_step(page, totp_code_for(admin_agent, secret=secret))
    assert "/accounts/login/" not in page.url
    assert page.get_by_role("heading", name="Overview").is_visible()


def test_recovery_code_signs_in_once(page, admin_agent):
    password_step(page, admin_agent.email)
    _secret, codes = enrol_from_the_page(page)
    sign_out(page)

    password_step(page, admin_agent.email)
    second_step(page, codes[0])
    assert page.get_by_role("heading", name="Overview").is_visible()
    sign_out(page)

    password_step(page, admin_agent.email)
    second_step(page, codes[0])
    assert "/accounts/login/verify/" in page.url
    assert page.get_by_text("This code is not right").is_visible()
    second_step(page, codes[1])
    assert page.get_by_role("heading", name="Overview").is_visible()


def test_required_role_without_second_factor_is_taken_to_set_up_from_every_url(
    page, admin_agent
):
    password_step(page, admin_agent.email)
    assert SET_UP in page.url
    for path in ("/overview/", "/customers/", "/invitations/", "/account/", "/admin/"):
        page.goto(path)
        assert SET_UP in page.url, path
        assert page.get_by_role("heading", name="Two-step verification").is_visible()
    # A POST elsewhere is redirected too and changes nothing.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        "/invitations/new/",
        form={"include_dap": "on", "recipient_email": "admin@tailspin.example"},
        headers={"X-CSRFToken": token},
    )
    assert re.search(r"/account/two-step/$", response.url)
    assert not Invitation.objects.exists()
