"""Sign-up on the acceptance page ("Create an account for your organisation"),
step 1: every error at once, only the partner's country/region (R4), the
password rules shown before typing, the focus on the first error (issue 12);
the address at the organisation's domain, folded, and nothing created before
the emailed code (DESIGN 8.2; the code itself: test_sign_up_code.py)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core import mail
from django.urls import reverse

from customers.models import Customer
from invitations.forms import SignUpForm
from invitations.views import SIGN_UP_SESSION_KEY
from tests import factories
from tests.helpers import open_link, text
from tests.queue import run_tasks

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Blue-Harbour-Lantern-47"


def sign_up(client, invitation, **fields):
    data = {
        "action": "signup",
        "organisation": "Blue Yonder",
        "domain": "blue-yonder.example",
        "country": "FR",
        "first_name": "Marie",
        "last_name": "Dupont",
        "email": "admin@blue-yonder.example",
        "password": GOOD_PASSWORD,
        **fields,
    }
    return client.post(open_link(client, invitation), data)


def test_valid_step_one_creates_nothing_and_asks_for_the_code(client, invitation):
    # 8.2: "before the organisation exists".
    users = get_user_model().objects.count()
    response = sign_up(client, invitation)
    assert response.status_code == 302
    pending = client.session[SIGN_UP_SESSION_KEY]
    assert response["Location"] == reverse(
        "invitations:sign_up_code", kwargs={"sign_up_id": pending["id"]}
    )
    assert not Customer.objects.filter(domain="blue-yonder.example").exists()
    assert get_user_model().objects.count() == users
    page = client.get(response["Location"])
    assert "We sent a code to admin@blue-yonder.example" in text(page)


def test_session_holds_neither_the_password_nor_the_code(client, invitation):
    sign_up(client, invitation)
    run_tasks()
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    stored = str(dict(client.session.items()))
    assert GOOD_PASSWORD not in stored
    assert code not in stored
    pending = client.session[SIGN_UP_SESSION_KEY]
    assert pending["password_hash"].startswith(("pbkdf2_", "argon2", "md5$"))


def test_address_outside_the_domain_is_refused(client, invitation):
    # Done when: "an address outside the domain is refused".
    response = sign_up(client, invitation, email="me@gmail.example")
    assert response.status_code == 400
    (error,) = response.context["signup_form"].errors["email"]
    assert "Use an address at blue-yonder.example" in error
    assert SIGN_UP_SESSION_KEY not in client.session
    run_tasks()
    assert mail.outbox == []


def test_address_at_a_subdomain_is_refused_too(client, invitation):
    response = sign_up(client, invitation, email="me@mail.blue-yonder.example")
    assert "email" in response.context["signup_form"].errors


def test_address_is_folded_and_matches_the_domain_in_any_case(client, invitation):
    response = sign_up(
        client,
        invitation,
        email="Admin@Blue-Yonder.EXAMPLE",
        domain="BLUE-yonder.example",
    )
    assert response.status_code == 302
    pending = client.session[SIGN_UP_SESSION_KEY]
    assert pending["email"] == "admin@blue-yonder.example"
    assert pending["domain"] == "blue-yonder.example"


def test_non_ascii_local_part_is_refused(client, invitation):
    # R29: "non-ASCII local parts refused at sign-in and sign-up".
    response = sign_up(client, invitation, email="admın@blue-yonder.example")
    assert response.status_code == 400
    assert "email" in response.context["signup_form"].errors


def test_weak_password_and_taken_domain_only_the_password_is_reported(
    client, invitation, customer
):
    # 8.2: the same answer whether or not the domain exists, until the code.
    response = sign_up(
        client,
        invitation,
        domain=customer.domain,
        email=f"new@{customer.domain}",
        password="123",
    )
    assert response.status_code == 400
    errors = response.context["signup_form"].errors
    assert set(errors) == {"password"}
    assert any("too short" in e for e in errors["password"])
    assert Customer.objects.count() == 1


def test_short_password_of_eight_characters_is_refused(client, invitation):
    # Issue 14: "passwords may be 8 characters" no longer.
    response = sign_up(client, invitation, password="Xq7#pL2w")
    assert any(
        "at least 12" in e for e in response.context["signup_form"].errors["password"]
    )


def test_password_like_the_email_is_refused_in_the_same_pass(client, invitation):
    # UserAttributeSimilarityValidator sees the address given in the form.
    response = sign_up(
        client,
        invitation,
        email="bluelanterns@blue-yonder.example",
        password="bluelanterns",
    )
    errors = response.context["signup_form"].errors
    assert any("too similar" in e for e in errors["password"])


def test_password_like_the_name_is_refused(client, invitation):
    response = sign_up(
        client,
        invitation,
        first_name="Maximiliane",
        last_name="Wolkenstein",
        password="Wolkenstein1",
    )
    errors = response.context["signup_form"].errors
    assert any("too similar" in e for e in errors["password"])


def test_only_the_partners_country_is_offered_with_the_reason(client, invitation):
    # R4: "offers countries it will refuse".
    page = client.get(open_link(client, invitation))
    html = text(page)
    select = re.search(r'<select name="country"[^>]*>(.*?)</select>', html, re.S)
    assert select
    options = re.findall(r'<option value="([^"]*)"', select.group(1))
    assert options == ["FR"]
    assert "only with organisations in France" in html
    field = page.context["signup_form"]["country"]
    assert f'aria-describedby="{field.auto_id}_helptext"' in str(field)


def test_forged_other_country_is_still_refused(client, invitation):
    # R4: a forged POST; nothing is created.
    response = sign_up(client, invitation, country="US")
    assert response.status_code == 400
    (error,) = response.context["signup_form"].errors["country"]
    assert "only with organisations in France, not in United States" in error
    assert not Customer.objects.filter(domain="blue-yonder.example").exists()


def test_password_rules_are_shown_before_typing_and_described(client, invitation):
    # Issue 12: "does not show the password rules".
    page = client.get(open_link(client, invitation))
    html = text(page).replace("&#x27;", "'").replace("’", "'")
    for rule in password_validators_help_texts():
        assert str(rule).replace("’", "'") in html
    field = page.context["signup_form"]["password"]
    help_id = f"{field.auto_id}_helptext"
    assert f'id="{help_id}"' in html
    assert f'aria-describedby="{help_id}"' in str(field)
    # The rules come before the box.
    assert html.index(f'id="{help_id}"') < html.index(f'id="{field.auto_id}"')


def test_first_invalid_field_gets_the_focus_without_javascript(client, invitation):
    # Issue 12: "focus on the first error" (server-side autofocus).
    response = sign_up(client, invitation, organisation="", password="123")
    form = response.context["signup_form"]
    assert form.first_error() == "organisation"
    html = text(response)
    assert html.count("autofocus") == 1
    tag = re.search(r'<input[^>]*id="signup_organisation"[^>]*>', html).group(0)
    assert "autofocus" in tag


def test_error_summary_links_to_every_invalid_field(client, invitation):
    response = sign_up(client, invitation, email="x@elsewhere.example", password="123")
    html = text(response)
    assert 'href="#signup_email"' in html
    assert 'href="#signup_password"' in html
    assert 'href="#signup_organisation"' not in html


def test_every_field_bad_at_once_no_500(client, invitation):
    # R20
    response = sign_up(
        client,
        invitation,
        organisation="",
        domain="not a domain",
        country="XX",
        first_name="",
        last_name="A\x07B",
        email="nope",
        password="123",
    )
    assert response.status_code == 400
    errors = response.context["signup_form"].errors
    assert {
        "organisation",
        "domain",
        "country",
        "first_name",
        "email",
        "password",
    } <= set(errors)
    assert SIGN_UP_SESSION_KEY not in client.session


def test_unknown_country_code_is_not_a_valid_choice(client, invitation):
    response = sign_up(client, invitation, country="XX")
    assert "country" in response.context["signup_form"].errors


def test_form_without_partner_offers_every_country(db):
    # The form outside an invitation (no partner) keeps the whole list.
    form = SignUpForm()
    assert len(form.fields["country"].choices) > 200


def test_form_with_partner_offers_its_country_only(db):
    partner = factories.PartnerFactory(country="DE", name="Fabrikam Deutschland")
    form = SignUpForm(partner=partner)
    assert [code for code, _ in form.fields["country"].choices] == ["DE"]
