"""R30 My account: name, language, time zone, links to password and two-step
verification, the active sessions with "Sign out other sessions"; R27 change
password (current one required, rules shown first, other sessions end)."""

import logging
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from core.models import UserSession
from partners.models import PartnerMembership, Role
from tests import factories
from tests.factories import PASSWORD
from tests.helpers import text

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("partners:account")
PASSWORD_URL = reverse("partners:account_password")
SIGN_OUT_OTHERS = reverse("partners:account_sessions_end")
CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
NEW_PASSWORD = "a-much-longer-passw0rd"


@pytest.fixture
def sam(make_partner_user):
    return make_partner_user(
        Role.SALES_AGENT, email="sam@contoso.example", first_name="Sam"
    )


def signed_in(user, agent=CHROME_LINUX, address="198.51.100.4"):
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post(
        reverse("login"), {"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_anonymous_is_sent_to_sign_in(client):
    for url in (ACCOUNT, PASSWORD_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert client.post(SIGN_OUT_OTHERS).status_code == 302


def test_account_page_shows_details_links_and_this_session(sam):
    client = signed_in(sam)
    page = text(client.get(ACCOUNT))
    assert "My account" in page
    assert 'name="first_name"' in page and 'value="Sam"' in page
    assert 'name="language"' in page and 'name="time_zone"' in page
    assert f'href="{PASSWORD_URL}"' in page
    assert 'href="/account/two-step/"' in page
    assert "Chrome on Linux" in page
    assert "198.51.100.4" in page
    assert "This session" in page


def test_partner_user_saves_name_language_and_time_zone(sam):
    client = signed_in(sam)
    response = client.post(
        ACCOUNT,
        {
            "first_name": "Samuel",
            "last_name": "Agent",
            "language": "de",
            "time_zone": "Europe/Berlin",
        },
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "de"
    sam.refresh_from_db()
    assert sam.get_full_name() == "Samuel Agent"
    membership = PartnerMembership.objects.get(user=sam)
    assert (membership.language, membership.time_zone) == ("de", "Europe/Berlin")


@pytest.mark.parametrize(
    "fields",
    [
        {"time_zone": "Mars/Olympus"},
        {"language": "xx"},
        {"first_name": ""},
        {"first_name": "x" * 151},
    ],
)
def test_bad_account_input_is_a_form_error_and_changes_nothing(sam, fields):
    client = signed_in(sam)
    data = {"first_name": "Samuel", "last_name": "", "language": "en", "time_zone": ""}
    response = client.post(ACCOUNT, {**data, **fields})
    assert response.status_code == 400
    sam.refresh_from_db()
    assert sam.first_name == "Sam"


def test_customer_admin_has_name_only(client):
    admin = factories.customer_admin(email="admin@adatum.example", first_name="Ada")
    client.force_login(admin)
    page = text(client.get(ACCOUNT))
    assert 'name="first_name"' in page
    assert 'name="time_zone"' not in page
    response = client.post(ACCOUNT, {"first_name": "Adele", "last_name": "Admin"})
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.first_name == "Adele"


def test_sign_out_other_sessions_keeps_this_one(sam):
    mine = signed_in(sam)
    other = signed_in(sam, agent="Mozilla/5.0 (iPhone) Safari/604.1")
    assert other.get(ACCOUNT).status_code == 200
    page = text(mine.get(ACCOUNT))
    assert "Safari on iOS" in page and "Sign out other sessions" in page
    response = mine.post(SIGN_OUT_OTHERS)
    assert response.status_code == 302
    assert mine.get(ACCOUNT).status_code == 200
    response = other.get(ACCOUNT)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert UserSession.objects.filter(user=sam).count() == 1


def test_sign_out_other_sessions_is_post_only(sam):
    assert signed_in(sam).get(SIGN_OUT_OTHERS).status_code == 405


def test_password_page_shows_the_rules_before_the_fields(sam):
    page = text(signed_in(sam).get(PASSWORD_URL))
    assert "at least 12 characters" in page
    assert page.index("at least 12 characters") < page.index('name="new_password1"')


def test_password_change_needs_the_current_password(sam):
    client = signed_in(sam)
    response = client.post(
        PASSWORD_URL,
        {
            "old_password": "not-it",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    sam.refresh_from_db()
    assert sam.check_password(PASSWORD)


@pytest.mark.parametrize("new", ["short-1", "sam@contoso.example", "123456789012345"])
def test_password_change_applies_the_validators(sam, new):
    client = signed_in(sam)
    response = client.post(
        PASSWORD_URL,
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 400
    sam.refresh_from_db()
    assert sam.check_password(PASSWORD)


def test_password_change_ends_the_other_sessions(sam, caplog):
    mine = signed_in(sam)
    other = signed_in(sam)
    with caplog.at_level(logging.INFO, logger="security"):
        response = mine.post(
            PASSWORD_URL,
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
    assert response.status_code == 302
    assert "password_changed" in [r.message for r in caplog.records]
    assert NEW_PASSWORD not in caplog.text
    # This session stays signed in, the other one is gone.
    assert mine.get(ACCOUNT).status_code == 200
    assert other.get(ACCOUNT).status_code == 302
    records = UserSession.objects.filter(user=sam)
    assert [r.session_key for r in records] == [mine.session.session_key]
    # The new password signs in, the old does not.
    assert (
        Client()
        .post(reverse("login"), {"email": sam.email, "password": NEW_PASSWORD})
        .status_code
        == 302
    )
    assert (
        Client()
        .post(reverse("login"), {"email": sam.email, "password": PASSWORD})
        .status_code
        == 400
    )


# --- Every new page is valid HTML (the Nu checker of tests/test_html_valid.py) --------


@pytest.mark.html
def test_the_new_pages_validate_with_the_nu_html_checker(tmp_path, partner):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from partners.passwords import password_link
    from tests.test_html_valid import _checker, run_vnu

    java = _checker()
    admin = factories.partner_user(
        partner=partner, role=Role.GLOBAL_ADMIN, email="ga@contoso.example"
    )
    other = factories.partner_user(partner=partner, role=Role.SALES_AGENT)
    device = TOTPDevice.objects.create(user=admin, name="Phone", confirmed=True)
    pages = {
        "users": reverse("partners:users"),
        "add": reverse("partners:user_add"),
        "roles": reverse("partners:user_roles", args=[other.pk]),
        "remove": reverse("partners:user_remove", args=[other.pk]),
        "account": ACCOUNT,
        "password": PASSWORD_URL,
    }
    anonymous = {
        "reset": reverse("password_reset"),
        "reset-done": reverse("password_reset_done"),
        "reset-complete": reverse("password_reset_complete"),
        "reset-bad": "/accounts/password-reset/MQ/x-y/",
        "set": urlsplit(password_link(other, kind="set_password")).path,
        "set-complete": reverse("set_password_complete"),
        "login": reverse("login"),
    }
    for language in ("en", "fr", "de"):
        client = Client(HTTP_USER_AGENT=CHROME_LINUX)
        client.cookies["django_language"] = language
        client.force_login(admin)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        for name, path in pages.items():
            response = client.get(path)
            assert response.status_code == 200, (name, response.status_code)
            (tmp_path / f"{language}-{name}.html").write_bytes(response.content)
        # A form with errors, too.
        response = client.post(reverse("partners:user_add"), {"email": "x"})
        (tmp_path / f"{language}-add-errors.html").write_bytes(response.content)
        visitor = Client()
        visitor.cookies["django_language"] = language
        for name, path in anonymous.items():
            response = visitor.get(path, follow=True)
            assert response.status_code == 200, (name, response.status_code)
            (tmp_path / f"{language}-{name}.html").write_bytes(response.content)
    messages = run_vnu(java, sorted(tmp_path.glob("*.html")))
    assert messages == []
