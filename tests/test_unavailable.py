"""§7 Operations: with the database down, pages answer a 503 page in the house layout
and /healthz answers 503, never a traceback.

The default connection is swapped for one pointing at a database that does not
answer (a PostgreSQL port nothing listens on, or an SQLite file in a directory
that does not exist), so the real driver fails the way it does in production.
"""

import socket

import pytest
from django.db import connections
from django.urls import reverse

SESSION_COOKIE = "sessionid"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


@pytest.fixture
def database_down(django_db_blocker, monkeypatch):
    real = connections["default"]
    settings_dict = {**real.settings_dict}
    if real.vendor == "postgresql":
        settings_dict.update(HOST="127.0.0.1", PORT=str(_free_port()))
        settings_dict["OPTIONS"] = {
            **settings_dict.get("OPTIONS", {}),
            "connect_timeout": 2,
        }
    else:
        settings_dict["NAME"] = "/nonexistent-directory/portal.sqlite3"
    dead = type(real)(settings_dict, alias="default")
    monkeypatch.setattr(connections._connections, "default", dead, raising=False)
    with django_db_blocker.unblock():
        yield
    dead.close()


def assert_unavailable_page(response):
    assert response.status_code == 503
    html = response.content.decode()
    assert "The portal is unavailable" in html
    assert 'class="site-header"' in html  # the house layout
    assert "/static/css/portal.css" in html
    assert "Traceback" not in html
    assert response["Retry-After"] == "30"


def test_healthz_answers_503(client, database_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}


def test_customers_page_of_a_signed_in_user_answers_503(client, database_down):
    # The session lives in the database: loading it is the first query.
    client.cookies[SESSION_COOKIE] = "a" * 32
    client.raise_request_exception = False
    assert_unavailable_page(client.get(reverse("customers:list")))


def test_sign_in_answers_503(client, database_down):
    client.raise_request_exception = False
    response = client.post(
        reverse("login"), {"email": "ava@contoso.example", "password": "secret-pw"}
    )
    assert_unavailable_page(response)


def test_sign_in_page_of_a_returning_visitor_answers_503(client, database_down):
    client.cookies[SESSION_COOKIE] = "a" * 32
    client.raise_request_exception = False
    assert_unavailable_page(client.get(reverse("login")))


@pytest.mark.parametrize("path", ["/admin/", "/customer/partners/", "/invitations/"])
def test_other_pages_answer_503(client, database_down, path):
    client.cookies[SESSION_COOKIE] = "a" * 32
    client.raise_request_exception = False
    assert_unavailable_page(client.get(path))


def test_an_acceptance_link_answers_503(client, database_down):
    client.raise_request_exception = False
    response = client.get(
        reverse("invitations:accept", kwargs={"token": "1-" + "a" * 40})
    )
    assert_unavailable_page(response)


def test_the_unavailable_page_is_translated(client, database_down):
    client.cookies["django_language"] = "fr"
    client.raise_request_exception = False
    response = client.post(reverse("login"), {"email": "a@b.example", "password": "x"})
    assert response.status_code == 503
    assert 'lang="fr"' in response.content.decode()
