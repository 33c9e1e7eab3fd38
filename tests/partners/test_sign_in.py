import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def post_login(client, email, password, language="en"):
    client.cookies["django_language"] = language
    return client.post(reverse("login"), {"email": email, "password": password})


def test_sign_in_by_email_is_case_insensitive(client):
    UserFactory(email="ava.admin@contoso.example")
    response = post_login(client, "Ava.ADMIN@Contoso.example", PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize(
    ("email", "password", "language", "message"),
    [
        (
            "ava@contoso.example",
            "wrong",
            "en",
            "The email address or password is incorrect.",
        ),
        (
            "nobody@contoso.example",
            PASSWORD,
            "en",
            "The email address or password is incorrect.",
        ),
        ("", "", "en", "Enter your email address."),
        (
            "ava@contoso.example",
            "wrong",
            "fr",
            "L’adresse e-mail ou le mot de passe est incorrect.",
        ),
        ("", "", "fr", "Saisissez votre adresse e-mail."),
    ],
)
def test_failed_sign_in_shows_clear_message_and_no_500(
    client, email, password, language, message
):
    UserFactory(email="ava@contoso.example")
    response = post_login(client, email, password, language)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_lock_the_account_out_from_that_address_only(client, settings):
    # R29: the limit is per (account, client address): the guesser's network is
    # refused, even with the right password; the person elsewhere is not.
    user = UserFactory(email="ava@contoso.example")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = post_login(client, "ava@contoso.example", "wrong")
        assert "password is incorrect." in response.content.decode()
    response = post_login(client, "ava@contoso.example", PASSWORD)
    assert response.status_code == 400
    assert (
        "Too many failed sign-in attempts for this account from your network. "
        "Wait 15 minutes, then try again."
    ) in response.content.decode()
    assert "_auth_user_id" not in client.session

    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    response = elsewhere.post(
        reverse("login"), {"email": "ava@contoso.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert elsewhere.session["_auth_user_id"] == str(user.pk)


def test_a_non_ascii_local_part_is_refused_with_a_clear_message(client):
    UserFactory(email="ava.admin@contoso.example")
    response = post_login(client, "ava.adm\u0131n@contoso.example", PASSWORD)
    assert response.status_code == 400
    assert "The part before the @ can contain only unaccented letters" in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_sign_out_is_post_only(client):
    # A GET shows the Sign out button and changes nothing; the POST signs out.
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("logout"))
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode()
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"), follow=True)
    assert "_auth_user_id" not in client.session
    assert "You are signed out." in response.content.decode()


def test_sign_in_page_has_labelled_fields(client):
    html = client.get(reverse("login")).content.decode()
    assert '<label for="id_email">Email address</label>' in html
    assert '<label for="id_password">Password</label>' in html


def test_sign_in_post_without_any_field_shows_errors(client):
    # R20: an empty POST is a failed sign-in with messages, not a fresh form.
    response = client.post(reverse("login"), {})
    assert response.status_code == 400
    assert "Enter your email address." in response.content.decode()


def test_sign_in_remembers_the_partner_users_language(client, partner):
    # R19: the language in use at sign-in is kept for the emails the portal sends.
    from tests.factories import partner_user

    user = partner_user(partner=partner, email="ava@contoso.example")
    post_login(client, "ava@contoso.example", PASSWORD, language="fr")
    user.partner_membership.refresh_from_db()
    assert user.partner_membership.language == "fr"
