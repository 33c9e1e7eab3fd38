"""Session limits (30 minutes idle, 12 hours at most) and the session records of
My account (R30): written at sign-in, "last seen" at most once a minute, removed
when the session ends; nothing for anonymous requests."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import UserSession
from core.sessions import describe_user_agent
from partners.models import Role
from tests.factories import PASSWORD
from tests.helpers import text

pytestmark = pytest.mark.django_db

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
CUSTOMERS = reverse("customers:list")


@pytest.fixture
def sam(make_partner_user):
    # A Sales agent: no second step after the password (R28).
    return make_partner_user(Role.SALES_AGENT, email="sam@contoso.example")


def sign_in(client, user):
    response = client.post(
        reverse("login"),
        {"email": user.email, "password": PASSWORD},
        HTTP_USER_AGENT=CHROME_LINUX,
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    return client


def test_sign_in_records_the_session(client, sam):
    sign_in(client, sam)
    record = UserSession.objects.get(user=sam)
    assert record.session_key == client.session.session_key
    assert record.user_agent == CHROME_LINUX
    assert record.client_ip == "203.0.113.7"


def test_last_seen_is_written_at_most_once_a_minute(client, sam):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, sam)
        client.get(CUSTOMERS)
        clock.shift(timedelta(seconds=30))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CUSTOMERS).status_code == 200
        writes = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].startswith(("UPDATE", "INSERT", "DELETE"))
        ]
        assert writes == []
        clock.shift(timedelta(seconds=31))
        client.get(CUSTOMERS)
    record = UserSession.objects.get(user=sam)
    assert record.last_seen_at == start + timedelta(seconds=61)


def test_anonymous_requests_touch_no_session_table(client):
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("login"))
    assert not [
        q
        for q in queries.captured_queries
        if "session" in q["sql"].lower() or "usersession" in q["sql"].lower()
    ]


def test_idle_session_ends_with_a_message(client, sam):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, sam)
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS - 60))
        assert client.get(CUSTOMERS).status_code == 200  # still active
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS + 1))
        response = client.get(CUSTOMERS)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={CUSTOMERS}"
        page = client.get(response["Location"])
    assert "_auth_user_id" not in client.session
    assert "after 30 minutes without activity" in text(page)
    assert not UserSession.objects.filter(user=sam).exists()


def test_active_session_still_ends_after_twelve_hours(client, sam):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, sam)
        for _ in range(int(settings.SESSION_COOKIE_AGE / (20 * 60)) + 2):
            clock.shift(timedelta(minutes=20))
            response = client.get(CUSTOMERS)
            if response.status_code != 200:
                break
        assert timezone.now() - start > timedelta(seconds=settings.SESSION_COOKIE_AGE)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        page = client.get(reverse("login"))
    assert "a session lasts at most 12 hours" in text(page)
    assert "_auth_user_id" not in client.session


def test_sign_out_removes_the_record(client, sam):
    sign_in(client, sam)
    assert UserSession.objects.filter(user=sam).count() == 1
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(user=sam).exists()


def test_a_session_from_before_the_records_gets_one(sam):
    # force_login in a process that has not loaded the middleware yet, or a
    # session made before this code: the first request describes it.
    client = Client(HTTP_USER_AGENT=CHROME_LINUX)
    client.force_login(sam)
    session = client.session
    for key in ("_portal_signed_in_at", "_portal_seen_at"):
        session.pop(key, None)
    session.save()
    UserSession.objects.all().delete()
    assert client.get(CUSTOMERS).status_code == 200
    assert UserSession.objects.get(user=sam).user_agent == CHROME_LINUX


@pytest.mark.parametrize(
    ("agent", "words"),
    [
        (CHROME_LINUX, "Chrome on Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
            "like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.1 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
            "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 "
            "Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 "
            "Firefox/133.0",
            "Firefox on Linux",
        ),
        ("", "Unknown browser"),
        ("\x00<script>", "Unknown browser"),
    ],
)
def test_browsers_in_plain_words(agent, words):
    assert describe_user_agent(agent) == words
