"""R28: two-step verification: the sign-in's second step, the gate, the set-up
page, recovery codes, passkeys' isolation, demo data and demo_code."""

import re
import time

import pyotp
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from partners.models import Role
from partners.two_step_services import DEMO_TOTP_SECRET, demo_devices_enrol
from tests import factories
from tests.conftest import force_login_unverified

pytestmark = pytest.mark.django_db

VERIFY = "/accounts/login/verify/"
SET_UP = "/account/two-step/"


def code_now(secret=DEMO_TOTP_SECRET):
    return pyotp.TOTP(secret).now()


def sign_in_with_password(client, email, password=factories.PASSWORD, next_url=""):
    data = {"email": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


@pytest.fixture
def ava(partner):
    user = factories.partner_user(
        partner=partner, role=Role.GLOBAL_ADMIN, email="ava@contoso.test"
    )
    demo_devices_enrol(user=user)
    return user


@pytest.fixture
def sara(partner):
    return factories.partner_user(
        partner=partner, role=Role.SALES_AGENT, email="sara@contoso.test"
    )


# --- The sign-in's second step ------------------------------------------------------


def test_password_of_a_person_with_a_device_leads_to_the_second_step_keeping_next(
    client, ava
):
    response = sign_in_with_password(client, ava.email, next_url="/customers/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fcustomers%2F"
    # Not verified yet: every other page leads back to the step.
    assert client.get("/customers/")["Location"].startswith(VERIFY)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Verification code" in page.content.decode()
    done = client.post(VERIFY, {"code": code_now(), "next": "/customers/"})
    assert done.status_code == 302
    assert done["Location"] == "/customers/"
    assert client.get("/customers/").status_code == 200


def test_person_without_a_device_or_requirement_signs_in_with_the_password(
    client, sara
):
    response = sign_in_with_password(client, sara.email)
    assert response.status_code == 302
    assert not response["Location"].startswith(VERIFY)
    assert client.get("/customers/").status_code == 200


def test_wrong_code_is_refused_and_logged_without_the_code(client, ava, caplog):
    force_login_unverified(client, ava)
    with caplog.at_level("INFO", logger="security"):
        response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 400
    assert "This code is not right" in response.content.decode()
    assert client.get("/customers/")["Location"].startswith(VERIFY)
    records = [r for r in caplog.records if r.name == "security"]
    assert [r.event for r in records] == ["second_step_failed"]
    assert "000000" not in repr(records[0].__dict__)


def test_wrong_codes_are_throttled_even_the_right_one_after_the_limit(
    client, ava, settings
):
    force_login_unverified(client, ava)
    for _ in range(settings.CODE_FAILURE_LIMIT):
        assert client.post(VERIFY, {"code": "000000"}).status_code == 400
    response = client.post(VERIFY, {"code": code_now()})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/customers/")["Location"].startswith(VERIFY)


def test_throttle_of_one_address_leaves_another_address_alone(client, ava, settings):
    force_login_unverified(client, ava)
    for _ in range(settings.CODE_FAILURE_LIMIT + 1):
        client.post(VERIFY, {"code": "000000"}, REMOTE_ADDR="198.51.100.7")
    response = client.post(VERIFY, {"code": code_now()}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302


def test_recovery_code_works_once(client, ava):
    force_login_unverified(client, ava)
    StaticDevice.objects.create(user=ava, name="r", confirmed=True).token_set.create(
        token="abcd2345"
    )
    assert client.post(VERIFY, {"code": "ABCD 2345"}).status_code == 302
    other = type(client)()
    force_login_unverified(other, ava)
    assert other.post(VERIFY, {"code": "abcd2345"}).status_code == 400


def test_verify_step_ignores_an_outside_next(client, ava):
    force_login_unverified(client, ava)
    response = client.post(
        VERIFY, {"code": code_now(), "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert "evil" not in response["Location"]


def test_verify_step_signed_out_goes_to_sign_in(client):
    response = client.get(VERIFY)
    assert response["Location"].startswith("/accounts/login/")


# --- The gate -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/overview/", "/customers/", "/admin/", "/account/"])
def test_required_role_without_a_device_reaches_only_the_set_up(client, partner, path):
    adam = factories.partner_user(partner=partner, role=Role.ADMIN_AGENT)
    force_login_unverified(client, adam)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(SET_UP)
    assert client.get(SET_UP).status_code == 200


def test_required_role_without_a_device_cannot_post_elsewhere(client, partner):
    adam = factories.partner_user(partner=partner, role=Role.ADMIN_AGENT)
    force_login_unverified(client, adam)
    response = client.post(
        reverse("invitations:new"), {"include_dap": "on", "recipient_email": "x@y.z"}
    )
    assert response.status_code == 302
    assert response["Location"] == SET_UP
    from invitations.models import Invitation

    assert not Invitation.objects.exists()


def test_unverified_session_cannot_post_elsewhere(client, ava):
    force_login_unverified(client, ava)
    response = client.post(reverse("partners:notifications_read"), {"all": "1"})
    assert response["Location"] == VERIFY


def test_gate_leaves_sign_out_language_and_health_open(client, partner):
    adam = factories.partner_user(partner=partner, role=Role.ADMIN_AGENT)
    force_login_unverified(client, adam)
    assert client.get("/healthz").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "fr"}).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/customers/")["Location"].startswith("/accounts/login/")


def test_partner_requiring_it_for_everyone_gates_a_sales_agent(client, partner, sara):
    force_login_unverified(client, sara)
    assert client.get("/customers/").status_code == 200
    partner.require_two_step = True
    partner.save()
    assert client.get("/customers/")["Location"].startswith(SET_UP)


def test_staff_need_a_verified_second_factor_for_the_admin(client):
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    force_login_unverified(client, staff)
    assert client.get("/admin/")["Location"].startswith(SET_UP)
    demo_devices_enrol(user=staff)
    assert client.get("/admin/")["Location"].startswith(VERIFY)
    client.post(VERIFY, {"code": code_now()})
    assert client.get("/admin/").status_code == 200


def test_admin_site_refuses_an_unverified_staff_session(rf):
    from django.contrib import admin

    staff = factories.UserFactory(is_staff=True, is_active=True)
    request = rf.get("/admin/")
    request.user = staff
    staff.is_verified = lambda: False
    assert admin.site.has_permission(request) is False
    staff.is_verified = lambda: True
    assert admin.site.has_permission(request) is True


def test_anonymous_requests_cost_no_query_in_the_gate(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        client.get("/healthz-not-there/")


def test_verified_session_costs_one_device_query(client, ava, partner):
    client.force_login(ava)  # verified (tests/conftest.py)
    client.get("/customers/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as plain:
        client.get("/healthz")
    device_queries = [q for q in plain.captured_queries if "otp_totp" in q["sql"]]
    assert len(device_queries) == 1


# --- The Two-step verification page ------------------------------------------------


def _secret_on(page_html: str) -> str:
    return re.search(r'data-secret="([A-Z2-7]+)"', page_html).group(1)


def test_set_up_shows_qr_svg_and_secret_then_recovery_codes_once(client, partner):
    adam = factories.partner_user(partner=partner, role=Role.ADMIN_AGENT)
    force_login_unverified(client, adam)
    page = client.get(SET_UP + "?next=/customers/").content.decode()
    assert "<svg" in page and "data:image" not in page
    secret = _secret_on(page)
    wrong = client.post(
        reverse("partners:two_step_confirm"), {"confirm-code": "123456"}
    )
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.filter(user=adam).exists()
    done = client.post(
        reverse("partners:two_step_confirm"),
        {"confirm-code": pyotp.TOTP(secret).now(), "next": "/customers/"},
    )
    assert done.status_code == 302
    assert TOTPDevice.objects.get(user=adam).confirmed
    shown = client.get(done["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown)
    assert len(codes) == 10
    assert 'href="/customers/"' in shown
    assert not re.findall(r"<li><code>", client.get(SET_UP).content.decode())
    # The session is verified now: the portal opens.
    assert client.get("/customers/").status_code == 200


def _enrol_through_page(client):
    secret = _secret_on(client.get(SET_UP).content.decode())
    client.post(
        reverse("partners:two_step_confirm"),
        {"confirm-code": pyotp.TOTP(secret).now()},
    )
    return secret


def test_remove_needs_a_right_code(client, sara):
    client.force_login(sara)
    _enrol_through_page(client)
    wrong = client.post(reverse("partners:two_step_remove"), {"remove-code": "1"})
    assert wrong.status_code == 400
    assert TOTPDevice.objects.filter(user=sara).exists()
    device = StaticDevice.objects.get(user=sara)
    code = device.token_set.first().token
    ok = client.post(reverse("partners:two_step_remove"), {"remove-code": code})
    assert ok.status_code == 302
    assert not TOTPDevice.objects.filter(user=sara).exists()
    assert not StaticDevice.objects.filter(user=sara).exists()


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(client, sara):
    client.force_login(sara)
    secret = _enrol_through_page(client)
    old = set(
        StaticDevice.objects.get(user=sara).token_set.values_list("token", flat=True)
    )
    refused = client.post(
        reverse("partners:two_step_codes"), {"renew-code": next(iter(old))}
    )
    assert refused.status_code == 400
    time.sleep(0)  # the code of the next step is accepted (tolerance of one step)
    ok = client.post(
        reverse("partners:two_step_codes"),
        {"renew-code": pyotp.TOTP(secret).at(time.time() + 30)},
    )
    assert ok.status_code == 302
    new = set(
        StaticDevice.objects.get(user=sara).token_set.values_list("token", flat=True)
    )
    assert len(new) == 10 and not new & old


def test_two_step_page_needs_sign_in(client):
    response = client.get(SET_UP)
    assert response["Location"].startswith("/accounts/login/")
    response = client.post(reverse("partners:two_step_remove"), {"remove-code": "1"})
    assert response["Location"].startswith("/accounts/login/")


def test_page_changes_refuse_get(client, sara):
    client.force_login(sara)
    for name in ("two_step_confirm", "two_step_remove", "two_step_codes"):
        assert client.get(reverse(f"partners:{name}")).status_code == 405


def _passkey(user, name="Laptop"):
    return WebAuthnCredential.objects.create(
        user=user,
        name=name,
        confirmed=True,
        credential_id=f"cred-{user.pk}-{name}".encode(),
        public_key=b"key",
        sign_count=0,
    )


def test_another_persons_passkey_is_404_and_stays(client, sara, partner):
    other = factories.partner_user(partner=partner, role=Role.SALES_AGENT)
    theirs = _passkey(other)
    client.force_login(sara)
    url = reverse("partners:two_step_passkey_remove", args=[theirs.pk])
    assert client.post(url).status_code == 404
    named = client.post(
        reverse("partners:two_step_passkey_name"),
        {"passkey-passkey": theirs.pk, "passkey-name": "mine"},
    )
    assert named.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Laptop"


def test_own_passkey_is_named_listed_and_removed(client, sara):
    mine = _passkey(sara, name="")
    client.force_login(sara)
    client.post(
        reverse("partners:two_step_passkey_name"),
        {"passkey-passkey": mine.pk, "passkey-name": "Work laptop"},
    )
    assert "Work laptop" in client.get(SET_UP).content.decode()
    url = reverse("partners:two_step_passkey_remove", args=[mine.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=mine.pk).exists()


def test_passkey_owner_is_offered_the_passkey_at_the_second_step(client, sara):
    _passkey(sara)
    force_login_unverified(client, sara)
    page = client.get(VERIFY).content.decode()
    assert 'id="passkey-verification-button"' in page
    assert 'id="otp_webauthn_config"' in page
    assert "<script>" not in page  # CSP: no inline script


# --- Demo data ----------------------------------------------------------------------


def test_demo_code_is_refused_with_debug_off(settings, ava):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("demo_code", ava.email)


def test_demo_code_prints_the_current_code(settings, ava, capsys):
    settings.DEBUG = True
    call_command("demo_code", ava.email)
    printed = capsys.readouterr().out.strip()
    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    assert printed in {totp.now(), totp.at(time.time() + 30)}


def test_demo_code_refuses_an_unknown_address(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError):
        call_command("demo_code", "nobody@example.test")


def test_seed_demo_enrols_the_required_people_idempotently(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert DEMO_TOTP_SECRET in out
    assert "demo_code" in out
    enrolled = set(
        TOTPDevice.objects.filter(confirmed=True).values_list("user__email", flat=True)
    )
    assert enrolled == {
        "ava.admin@contoso.example",
        "adam.agent@contoso.example",
        "uma.users@contoso.example",
        "admin@fabrikam.example",
        "admin@northwind.example",
        "support@portal.example",
        "root@portal.example",
    }
    assert TOTPDevice.objects.count() == 7
    key = TOTPDevice.objects.first().key
    assert bytes.fromhex(key) == __import__("base64").b32decode(DEMO_TOTP_SECRET)


# --- Bad input (R20): a clear answer, never a 500 ----------------------------------

HUGE = "9" * 25


@pytest.mark.parametrize(
    "value", ["", " ", "x" * 500, HUGE, "１２３４５６", "12 34 56", "<script>", "-1"]
)
def test_odd_codes_are_form_errors(client, ava, value):
    force_login_unverified(client, ava)
    response = client.post(VERIFY, {"code": value})
    assert response.status_code == 400
    client.force_login(ava)
    for name, field in (
        ("two_step_remove", "remove-code"),
        ("two_step_codes", "renew-code"),
    ):
        assert (
            client.post(reverse(f"partners:{name}"), {field: value}).status_code == 400
        )


@pytest.mark.parametrize("value", ["", HUGE, "abc", "-5", "0"])
def test_odd_passkey_ids_are_refused(client, sara, value):
    client.force_login(sara)
    response = client.post(
        reverse("partners:two_step_passkey_name"),
        {"passkey-passkey": value, "passkey-name": "x"},
    )
    assert response.status_code in (302, 404)
    assert client.post(f"/account/two-step/passkeys/{HUGE}/remove/").status_code == 404
