"""R29: sign-in throttling per (account, client address) and per client address,
counted before the password hash, on folded addresses, shared by the portal and
the admin, in a cache every process shares."""

import os
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.cache import cache
from django.db import connection
from django.db.models.functions import Lower
from django.test import Client, override_settings
from django.urls import reverse

from core import throttle
from core.addresses import fold_email
from core.checks import check_shared_cache, check_throttle_settings
from partners import forms as partner_forms
from partners.backends import ACCOUNT_LIMIT, CLIENT_LIMIT, sign_in_buckets
from partners.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

AVA = "ava.admin@contoso.example"
# Dotless ı and long ſ: PostgreSQL's UPPER() makes the first AVA.ADMIN@CONTOSO...
DOTLESS = "ava.adm\u0131n@conto\u017fo.example"
GUESSER = "203.0.113.66"
AVA_AT_HOME = "198.51.100.7"
WRONG = "not-the-password-123"
REDIS_URL = "redis://127.0.0.1:6379/12"

ACCOUNT_LOCKED = (
    "Too many failed sign-in attempts for this account from your network. "
    "Wait 15 minutes, then try again."
)
NETWORK_LOCKED = (
    "Too many failed sign-in attempts from your network. "
    "Wait 15 minutes, then try again."
)
INCORRECT = "The email address or password is incorrect."
INVALID_ADDRESS = "The part before the @ can contain only unaccented letters"


def sign_in(email, password, *, at=GUESSER, client=None):
    client = client or Client(REMOTE_ADDR=at)
    response = client.post(reverse("login"), {"email": email, "password": password})
    return client, response


def admin_sign_in(email, password, *, at=GUESSER):
    client = Client(REMOTE_ADDR=at)
    response = client.post(
        reverse("admin:login"),
        {"username": email, "password": password, "next": "/admin/"},
    )
    return client, response


def text(response) -> str:
    return response.content.decode()


def account_bucket(email, at=GUESSER):
    return throttle.Bucket(
        ACCOUNT_LIMIT, (fold_email(email), at), settings.LOGIN_FAILURE_LIMIT
    )


def client_bucket(at=GUESSER):
    return throttle.Bucket(CLIENT_LIMIT, (at,), settings.LOGIN_IP_FAILURE_LIMIT)


def count(bucket) -> int | None:
    return cache.get(bucket.key)


@pytest.fixture
def ava(db):
    partner = factories.PartnerFactory(name="Contoso Cloud Partners")
    return factories.partner_user(partner=partner, role=Role.GLOBAL_ADMIN, email=AVA)


@pytest.fixture
def root(db):
    return factories.UserFactory(
        email="root@portal.example", is_staff=True, is_superuser=True
    )


@pytest.fixture
def counted_hashes(monkeypatch):
    """Every password check, counted (with a little of a slow hash's delay)."""
    User = get_user_model()
    original = User.check_password
    calls = []
    lock = threading.Lock()

    def check_password(self, raw_password):
        with lock:
            calls.append(self.pk)
        time.sleep(0.02)
        return original(self, raw_password)

    monkeypatch.setattr(User, "check_password", check_password)
    return calls


# --- Victim lock-out ------------------------------------------------------------------


def test_fifty_wrong_passwords_do_not_lock_ava_out_from_elsewhere(ava):
    guesser = Client(REMOTE_ADDR=GUESSER)
    answers = [text(sign_in(AVA, f"{WRONG}-{n}", client=guesser)[1]) for n in range(50)]
    limit = settings.LOGIN_FAILURE_LIMIT
    assert all(INCORRECT in answer for answer in answers[:limit])
    assert all(ACCOUNT_LOCKED in answer for answer in answers[limit:])

    # The guessing network is refused even with the right password...
    _, response = sign_in(AVA, factories.PASSWORD, client=guesser)
    assert response.status_code == 400
    assert ACCOUNT_LOCKED in text(response)
    assert "_auth_user_id" not in guesser.session

    # ...while Ava, at home, passes the password step.
    home, response = sign_in(AVA, factories.PASSWORD, at=AVA_AT_HOME)
    assert response.status_code == 302
    assert home.session["_auth_user_id"] == str(ava.pk)


def test_the_guessing_network_is_refused_for_every_account_at_its_limit(ava):
    bob = factories.UserFactory(email="bob@contoso.example")
    guesser = Client(REMOTE_ADDR=GUESSER)
    for n in range(50):
        sign_in(AVA, f"{WRONG}-{n}", client=guesser)
    # Only the LOGIN_FAILURE_LIMIT tries that were evaluated count for the network;
    # other addresses fill it up to LOGIN_IP_FAILURE_LIMIT.
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT - settings.LOGIN_FAILURE_LIMIT):
        _, response = sign_in(f"someone{n}@contoso.example", WRONG, client=guesser)
        assert INCORRECT in text(response)

    _, response = sign_in(bob.email, factories.PASSWORD, client=guesser)
    assert response.status_code == 400
    assert NETWORK_LOCKED in text(response)
    assert "_auth_user_id" not in guesser.session
    # The admin says the same.
    _, response = admin_sign_in(bob.email, factories.PASSWORD)
    assert NETWORK_LOCKED in text(response)

    # Nobody elsewhere is affected.
    _, response = sign_in(bob.email, factories.PASSWORD, at=AVA_AT_HOME)
    assert response.status_code == 302


def test_forty_addresses_from_one_network_are_slowed(counted_hashes, db):
    users = [factories.UserFactory(email=f"p{n}@contoso.example") for n in range(40)]
    guesser = Client(REMOTE_ADDR=GUESSER)
    answers = [text(sign_in(u.email, WRONG, client=guesser)[1]) for u in users]
    limit = settings.LOGIN_IP_FAILURE_LIMIT
    assert all(INCORRECT in answer for answer in answers[:limit])
    assert all(NETWORK_LOCKED in answer for answer in answers[limit:])
    assert len(counted_hashes) == limit


def test_a_throttled_try_never_evaluates_the_password(ava, counted_hashes):
    for n in range(10):
        sign_in(AVA, f"{WRONG}-{n}")
    assert len(counted_hashes) == settings.LOGIN_FAILURE_LIMIT
    sign_in(AVA, factories.PASSWORD)
    assert len(counted_hashes) == settings.LOGIN_FAILURE_LIMIT


def test_a_success_clears_the_account_and_forgives_the_network(ava):
    guesser = Client(REMOTE_ADDR=GUESSER)
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        sign_in(AVA, WRONG, client=guesser)
    assert count(account_bucket(AVA)) == settings.LOGIN_FAILURE_LIMIT - 1
    _, response = sign_in(AVA, factories.PASSWORD, client=guesser)
    assert response.status_code == 302
    assert count(account_bucket(AVA)) is None
    # The network keeps its failures, not the success.
    assert count(client_bucket()) == settings.LOGIN_FAILURE_LIMIT - 1


def test_unknown_addresses_run_the_hasher_and_are_counted(db, monkeypatch):
    from django.contrib.auth import hashers

    made = []
    original = hashers.make_password
    monkeypatch.setattr(
        "django.contrib.auth.base_user.make_password",
        lambda *args, **kwargs: made.append(1) or original(*args, **kwargs),
    )
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _, response = sign_in("nobody@contoso.example", WRONG)
        assert INCORRECT in text(response)
    assert len(made) == settings.LOGIN_FAILURE_LIMIT
    _, response = sign_in("nobody@contoso.example", WRONG)
    assert ACCOUNT_LOCKED in text(response)
    assert len(made) == settings.LOGIN_FAILURE_LIMIT


# --- Concurrent guesses ---------------------------------------------------------------


def redis_reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


@contextmanager
def redis_cache():
    """Django's RedisCache as the default cache, under a prefix of its own (other
    runs may share the server); its keys are deleted afterwards."""
    if not redis_reachable(REDIS_URL):
        reason = f"Redis is not reachable at {REDIS_URL} (start redis-server)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run this test against a shared cache")
        pytest.skip(f"{reason}; CI fails instead of skipping")
    prefix = f"test-throttle-{uuid.uuid4().hex}"
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    try:
        with override_settings(CACHES=caches):
            yield
    finally:
        server = redis.Redis.from_url(REDIS_URL)
        keys = list(server.scan_iter(f"{prefix}:*"))
        if keys:
            server.delete(*keys)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("shared_cache", ["locmem", "redis"])
def test_thirty_concurrent_guesses_evaluate_at_most_the_limit(
    shared_cache, counted_hashes, monkeypatch
):
    partner = factories.PartnerFactory()
    factories.partner_user(partner=partner, role=Role.GLOBAL_ADMIN, email=AVA)
    guesses = 30
    start = threading.Barrier(guesses)
    # The worst case, every time: all 30 guesses pass the form's first look at
    # the throttle (nothing counted yet) before any of them goes on.
    looked = threading.Barrier(guesses)
    first_look = partner_forms.sign_in_throttled

    def sign_in_throttled(request, email):
        answer = first_look(request, email)
        looked.wait(timeout=30)
        return answer

    monkeypatch.setattr(partner_forms, "sign_in_throttled", sign_in_throttled)
    statuses = []

    def guess(n):
        try:
            client = Client(REMOTE_ADDR=GUESSER)
            start.wait(timeout=30)
            _, response = sign_in(AVA, f"{WRONG}-{n}", client=client)
            statuses.append(response.status_code)
        finally:
            connection.close()

    with redis_cache() if shared_cache == "redis" else nullcontext():
        from django.core.cache import caches

        assert caches["default"].__class__.__name__ == (
            "RedisCache" if shared_cache == "redis" else "LocMemCache"
        )
        threads = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        tries_counted = count(account_bucket(AVA))

    assert statuses == [400] * guesses
    # Every guess reached the backend and was counted; only the limit's worth
    # reached the password hash.
    assert tries_counted == guesses
    # At most the limit's worth reached the password hash. Not exactly: each try
    # counts in the account's bucket and in the address's (limit 20), and under
    # load two tries may take their numbers in the two buckets in different
    # orders, so some of the account's first five can be the address's 21st or
    # later (then refused before the hash, which is what the limit is for).
    assert len(counted_hashes) <= settings.LOGIN_FAILURE_LIMIT


# --- Folded addresses (run on SQLite and PostgreSQL) ----------------------------------


def test_a_dotless_i_neither_signs_in_nor_gets_a_counter_of_its_own(ava):
    client, response = sign_in(DOTLESS, factories.PASSWORD)
    assert response.status_code == 400
    assert INVALID_ADDRESS in text(response)
    assert "_auth_user_id" not in client.session
    for _ in range(10):
        sign_in(DOTLESS, WRONG)
    # No (account, address) counter for the variant, and Ava's own is untouched...
    assert count(account_bucket(DOTLESS)) is None
    assert count(account_bucket(AVA)) is None
    # ...it counts for the network only.
    assert count(client_bucket()) == 11
    # And the database's lower() does not make it Ava either.
    User = get_user_model()
    assert not User.objects.alias(folded=Lower("email")).filter(
        folded=fold_email(DOTLESS)
    )


def test_the_admin_refuses_a_dotless_i_too(ava):
    client, response = admin_sign_in(DOTLESS, factories.PASSWORD)
    assert INVALID_ADDRESS in text(response)
    assert "_auth_user_id" not in client.session
    assert count(account_bucket(DOTLESS)) is None


def test_a_stored_dotted_capital_i_does_not_answer_for_ava(db):
    # PostgreSQL's lower() turns "İ" into "i"; the match is confirmed in Python.
    impostor = factories.UserFactory(email="ava.adm\u0130n@contoso.example")
    client, response = sign_in(AVA, factories.PASSWORD)
    assert response.status_code == 400
    assert INCORRECT in text(response)
    assert "_auth_user_id" not in client.session
    ava = factories.UserFactory(email=AVA)
    client, response = sign_in(AVA, factories.PASSWORD, at=AVA_AT_HOME)
    assert client.session["_auth_user_id"] == str(ava.pk) != str(impostor.pk)


@pytest.mark.parametrize(
    "variant", ["AVA.Admin@Contoso.Example", "ava.admin@conto\u017fo.example"]
)
def test_case_and_compatibility_variants_count_as_ava(ava, variant):
    for n in range(settings.LOGIN_FAILURE_LIMIT - 1):
        sign_in(variant, f"{WRONG}-{n}")
    sign_in(AVA, WRONG)
    # One counter for every spelling: the next try from here is refused...
    assert count(account_bucket(AVA)) == settings.LOGIN_FAILURE_LIMIT
    assert account_bucket(variant).key == account_bucket(AVA).key
    _, response = sign_in(variant, factories.PASSWORD)
    assert ACCOUNT_LOCKED in text(response)
    # ...and from elsewhere the variant signs in as Ava.
    home, response = sign_in(variant, factories.PASSWORD, at=AVA_AT_HOME)
    assert response.status_code == 302
    assert home.session["_auth_user_id"] == str(ava.pk)


def test_sign_in_buckets_follow_the_folded_address_and_the_network():
    first = sign_in_buckets("AVA.Admin@Contoso.Example", _request(GUESSER))
    second = sign_in_buckets("ava.admin@conto\u017fo.example", _request(GUESSER))
    assert [b.key for b in first] == [b.key for b in second]
    elsewhere = sign_in_buckets(AVA, _request(AVA_AT_HOME))
    assert {b.key for b in first}.isdisjoint(b.key for b in elsewhere)
    # An IPv6 client counts per /64: it cannot hop to a fresh counter.
    a = sign_in_buckets(AVA, _request("2001:db8:1:2::1"))
    b = sign_in_buckets(AVA, _request("2001:db8:1:2:ffff::9"))
    assert [x.key for x in a] == [x.key for x in b]
    assert [x.name for x in sign_in_buckets(DOTLESS, _request(GUESSER))] == [
        CLIENT_LIMIT
    ]


def _request(address):
    from django.test import RequestFactory

    return RequestFactory().get("/", REMOTE_ADDR=address)


# --- The admin sign-in shares the counters --------------------------------------------


def test_admin_failures_lock_the_portal_for_that_account_and_network(root):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _, response = admin_sign_in(root.email, WRONG)
    _, response = admin_sign_in(root.email, factories.PASSWORD)
    assert ACCOUNT_LOCKED in text(response)
    client, response = sign_in(root.email, factories.PASSWORD)
    assert response.status_code == 400
    assert ACCOUNT_LOCKED in text(response)
    # Root, elsewhere, signs in to the admin.
    client, response = admin_sign_in(root.email, factories.PASSWORD, at=AVA_AT_HOME)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(root.pk)


def test_portal_failures_lock_the_admin_for_that_account_and_network(root):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in("ROOT@portal.example", WRONG)
    client, response = admin_sign_in(root.email, factories.PASSWORD)
    assert ACCOUNT_LOCKED in text(response)
    assert "_auth_user_id" not in client.session


def test_a_partner_user_cannot_enter_the_admin_with_the_right_password(ava):
    client, response = admin_sign_in(AVA, factories.PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# --- The cache must be shared in production -------------------------------------------


def _production_check(**env_vars):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CACHE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="x" * 20 + "-Production-like-secret-key-0123456789abcdef",
        DJANGO_ALLOWED_HOSTS="portal.example",
        PORTAL_BASE_URL="https://portal.example",
        **env_vars,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "cache_url", [None, "locmemcache://portal", "dummycache://", "filecache:///tmp/x"]
)
def test_production_refuses_to_start_with_a_per_process_cache(cache_url):
    result = _production_check(**({"CACHE_URL": cache_url} if cache_url else {}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CACHE_URL=redis://" in result.stderr


def test_production_starts_with_redis():
    result = _production_check(CACHE_URL=REDIS_URL)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_names_a_per_process_cache():
    # The test settings use the per-process cache.
    [error] = check_shared_cache(None)
    assert error.id == "core.E001"
    assert "CACHE_URL=redis://" in error.hint
    redis_caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    with override_settings(CACHES=redis_caches):
        assert check_shared_cache(None) == []


def test_throttle_settings_are_checked(settings):
    assert check_throttle_settings(None) == []
    settings.LOGIN_FAILURE_LIMIT = 0
    settings.TRUSTED_PROXY_COUNT = -1
    errors = check_throttle_settings(None)
    assert {error.id for error in errors} == {"core.E002", "core.E003"}
    assert all(isinstance(error, checks.Error) for error in errors)
