"""Security events as JSON lines (issue 14 policy): sign-in success, failure and
throttling, with a hashed address and the client address, never the password."""

import json
import logging

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from config.logging import JsonFormatter
from core.security_log import address_hash, security_event
from tests import factories

pytestmark = pytest.mark.django_db

AVA = "ava.admin@contoso.example"
AT = "203.0.113.66"
WRONG = "not-the-password-123"


@pytest.fixture
def events(caplog):
    """The security events logged, as JsonFormatter writes them."""
    caplog.set_level(logging.INFO, logger="security")
    formatter = JsonFormatter()

    def lines():
        return [
            json.loads(formatter.format(record))
            for record in caplog.records
            if record.name == "security"
        ]

    return lines


def sign_in(email, password, *, path="login", field="email"):
    client = Client(REMOTE_ADDR=AT)
    data = {field: email, "password": password}
    if field == "username":
        data["next"] = "/admin/"
    client.post(reverse(path), data)
    return client


@pytest.fixture
def ava(db):
    return factories.UserFactory(email=AVA)


def assert_no_secret(line: dict, *secrets: str):
    raw = json.dumps(line)
    for secret in secrets:
        assert secret not in raw
    assert "password" not in line
    # The address itself stays out of the log store.
    assert AVA not in raw


def test_a_failed_sign_in_is_logged_without_the_password(ava, events):
    sign_in("AVA.Admin@Contoso.Example", WRONG)
    [line] = events()
    assert line["event"] == "sign_in_failed"
    assert line["logger"] == "security"
    assert line["reason"] == "wrong_password"
    assert line["address_hash"] == address_hash(AVA)
    assert line["client_ip"] == AT
    assert_no_secret(line, WRONG)


def test_a_success_is_logged_with_the_user(ava, events):
    sign_in(AVA, factories.PASSWORD)
    [line] = events()
    assert line["event"] == "sign_in_succeeded"
    assert line["user_id"] == ava.pk
    assert line["site"] == "portal"
    assert line["address_hash"] == address_hash(AVA)
    assert line["client_ip"] == AT
    assert_no_secret(line, factories.PASSWORD)


def test_throttled_tries_are_logged_with_the_limit(ava, events):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(AVA, WRONG)
    sign_in(AVA, factories.PASSWORD)
    line = events()[-1]
    assert line["event"] == "sign_in_throttled"
    assert line["limit"] == "sign-in:account"
    assert line["address_hash"] == address_hash(AVA)
    assert line["client_ip"] == AT
    assert_no_secret(line, factories.PASSWORD, WRONG)


def test_the_network_limit_is_named(events, db):
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        sign_in(f"p{n}@contoso.example", WRONG)
    sign_in(AVA, WRONG)
    line = events()[-1]
    assert line["event"] == "sign_in_throttled"
    assert line["limit"] == "sign-in:client"


def test_the_admin_sign_in_is_logged_too(events, db):
    staff = factories.UserFactory(email="root@portal.example", is_staff=True)
    sign_in("root@portal.example", WRONG, path="admin:login", field="username")
    sign_in(
        "root@portal.example", factories.PASSWORD, path="admin:login", field="username"
    )
    failed, succeeded = events()
    assert failed["event"] == "sign_in_failed"
    assert succeeded["event"] == "sign_in_succeeded"
    assert succeeded["site"] == "admin"
    assert succeeded["user_id"] == staff.pk
    assert_no_secret(failed, WRONG)
    assert_no_secret(succeeded, factories.PASSWORD)


def test_an_unknown_or_unacceptable_address_is_logged_as_such(events, db):
    sign_in("nobody@contoso.example", WRONG)
    sign_in("ava.adm\u0131n@contoso.example", WRONG)
    unknown, unacceptable = events()
    assert unknown["reason"] == "unknown"
    assert unacceptable["reason"] == "invalid_address"


def test_secret_fields_are_never_written(caplog):
    caplog.set_level(logging.INFO, logger="security")
    request = RequestFactory().get("/", REMOTE_ADDR=AT)
    security_event(
        "second_factor_added",
        request=request,
        email=AVA,
        password="p",  # noqa: S106
        code="123456",
        otp_code="654321",
        recovery_codes=["a"],
        api_token="t",  # noqa: S106
        kind="totp",
    )
    [record] = [r for r in caplog.records if r.name == "security"]
    line = json.loads(JsonFormatter().format(record))
    assert line["kind"] == "totp"
    for name in ("password", "code", "otp_code", "recovery_codes", "api_token"):
        assert name not in line
    assert "123456" not in json.dumps(line)


def test_the_address_hash_folds_the_address():
    assert address_hash("AVA.Admin@Conto\u017fo.Example") == address_hash(AVA)
    assert address_hash("ava.adm\u0131n@contoso.example") != address_hash(AVA)
