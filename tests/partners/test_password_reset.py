"""R27 "Forgot your password?": the same page for known and unknown addresses, the
email through the queue in the person's language, the link works once and
expires, the new password signs in and the old does not; inactive people get
nothing."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import OutgoingEmail
from partners.models import PartnerMembership, Role
from partners.passwords import password_link, set_password_tokens
from tests.factories import PASSWORD
from tests.helpers import text
from tests.queue import run_tasks

pytestmark = pytest.mark.django_db

RESET = reverse("password_reset")
NEW_PASSWORD = "a-brand-new-passw0rd"


@pytest.fixture
def sam(make_partner_user):
    return make_partner_user(Role.SALES_AGENT, email="sam@contoso.example")


def ask(client, email):
    return client.post(RESET, {"email": email})


def emailed_path() -> str:
    body = mail.outbox[-1].body
    link = re.search(r"https?://\S+/accounts/password-reset/\S+/", body)[0]
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def set_new_password(path, password=NEW_PASSWORD):
    client = Client()
    response = client.get(path)
    assert response.status_code == 302  # the token moves into the session
    form_url = response["Location"]
    assert "set-password" in form_url
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_sign_in_page_links_to_forgot_password(client):
    page = text(client.get(reverse("login")))
    assert f'href="{RESET}"' in page
    assert "Forgot your password?" in page


def test_the_same_answer_for_known_and_unknown_addresses(client, sam):
    known = ask(client, "sam@contoso.example")
    unknown = ask(Client(), "nobody@contoso.example")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert OutgoingEmail.objects.count() == 1
    done = client.get(reverse("password_reset_done"))
    assert "Check your email" in text(done)


def test_reset_email_goes_through_the_queue_and_the_link_works_once(client, sam):
    ask(client, "SAM@Contoso.example")
    queued = OutgoingEmail.objects.get()
    assert queued.to == "sam@contoso.example"
    assert "/accounts/password-reset/" not in queued.body  # no usable link stored
    assert mail.outbox == []
    run_tasks()
    assert len(mail.outbox) == 1
    path = emailed_path()
    response = set_new_password(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")
    # Used: the same link no longer works.
    page = Client().get(path, follow=True)
    assert "This link does not work" in text(page)
    # The new password signs in (the password step), the old one does not.
    new = Client().post(
        reverse("login"), {"email": sam.email, "password": NEW_PASSWORD}
    )
    assert new.status_code == 302
    old = Client().post(reverse("login"), {"email": sam.email, "password": PASSWORD})
    assert old.status_code == 400


def test_reset_ends_every_open_session(client, sam):
    theirs = Client()
    theirs.post(reverse("login"), {"email": sam.email, "password": PASSWORD})
    assert theirs.get(reverse("partners:account")).status_code == 200
    ask(client, sam.email)
    run_tasks()
    set_new_password(emailed_path())
    assert theirs.get(reverse("partners:account")).status_code == 302


def test_the_link_expires(client, sam):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        ask(client, sam.email)
        run_tasks()
        clock.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))
        page = Client().get(emailed_path(), follow=True)
    assert "This link does not work" in text(page)


def test_bad_new_password_is_refused_and_the_link_still_works(client, sam):
    ask(client, sam.email)
    run_tasks()
    path = emailed_path()
    response = set_new_password(path, password="short")
    assert response.status_code == 400
    assert "at least 12 characters" in text(response)
    assert set_new_password(path).status_code == 302


def test_inactive_people_get_no_email(client, sam):
    sam.is_active = False
    sam.save()
    assert ask(client, sam.email).status_code == 302
    assert not OutgoingEmail.objects.exists()


def test_the_email_is_in_the_persons_language(client, sam):
    PartnerMembership.objects.filter(user=sam).update(language="fr")
    ask(client, sam.email)
    assert OutgoingEmail.objects.get().language == "fr"


def test_unknown_person_language_follows_the_page(client, sam):
    client.cookies["django_language"] = "de"
    ask(client, sam.email)
    assert OutgoingEmail.objects.get().language == "de"


@pytest.mark.parametrize(
    "email", ["", "not-an-address", "nïna@contoso.example", "a" * 300 + "@x.example"]
)
def test_bad_addresses_are_a_form_error(client, email):
    response = ask(client, email)
    assert response.status_code == 400
    assert not OutgoingEmail.objects.exists()


def test_a_set_password_link_is_not_a_reset_link(sam):
    """Each link kind has its own salt: one cannot stand for the other."""
    link = password_link(sam, kind="set_password")
    token = link.rstrip("/").rsplit("/", 1)[1]
    uid = link.rstrip("/").rsplit("/", 2)[1]
    assert set_password_tokens.check_token(sam, token)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    page = Client().get(path, follow=True)
    assert "This link does not work" in text(page)


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password-reset/abc/def/",
        "/accounts/password-reset/MQ/zzzzzzzzzzzzzz-0123/",
        "/accounts/password-reset/" + "9" * 40 + "/x-y/",
        "/accounts/set-password/-1/1e9/",
        "/accounts/set-password/MA/set-password/",
    ],
)
def test_odd_links_show_the_link_page_not_an_error(client, path):
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert "This link does not work" in text(response)


def test_one_address_gets_at_most_three_emails_a_window_with_the_same_page(sam):
    for _ in range(5):
        response = ask(Client(), sam.email)
        assert response["Location"] == reverse("password_reset_done")
    assert OutgoingEmail.objects.count() == 3


def test_one_client_address_is_throttled_with_a_clear_message(client):
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        assert ask(client, f"person{n}@contoso.example").status_code == 302
    response = ask(client, "one.more@contoso.example")
    assert response.status_code == 400
    assert "Too many password reset requests from your network" in text(response)
