"""Sign-up on the acceptance page ("Create an account for your organisation"):
every error at once, only the partner's country/region (R4), the password rules
shown before typing, the focus on the first error (issue 12)."""

import re

import pytest
from django.contrib.auth.password_validation import password_validators_help_texts

from customers.models import Customer
from invitations.forms import SignUpForm
from tests import factories
from tests.helpers import open_link, text

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Blue-Harbour-Lantern-47"


def sign_up(client, invitation, **fields):
    data = {
        "action": "signup",
        "organisation": "Blue Yonder",
        "domain": "blue-yonder.example",
        "country": "FR",
        "email": "admin@blue-yonder.example",
        "password": GOOD_PASSWORD,
        **fields,
    }
    return client.post(open_link(client, invitation), data)


def test_weak_password_and_taken_domain_are_reported_together(
    client, invitation, customer
):
    # Issue 12: "the password error first, the duplicate domain on the next try".
    response = sign_up(client, invitation, domain=customer.domain, password="123")
    assert response.status_code == 400
    errors = response.context["signup_form"].errors
    assert set(errors) == {"domain", "password"}
    assert "already exists" in errors["domain"][0]
    assert any("too short" in e for e in errors["password"])
    assert Customer.objects.count() == 1


def test_weak_password_and_taken_email_are_reported_together(
    client, invitation, customer_admin
):
    response = sign_up(
        client, invitation, email=customer_admin.email.upper(), password="password"
    )
    errors = response.context["signup_form"].errors
    assert set(errors) == {"email", "password"}


def test_password_like_the_email_is_refused_in_the_same_pass(client, invitation):
    # UserAttributeSimilarityValidator sees the address given in the form.
    response = sign_up(
        client,
        invitation,
        email="bluelantern@blue-yonder.example",
        password="bluelantern",
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


def test_error_summary_links_to_every_invalid_field(client, invitation, customer):
    response = sign_up(client, invitation, domain=customer.domain, password="123")
    html = text(response)
    assert 'href="#signup_domain"' in html
    assert 'href="#signup_password"' in html
    assert 'href="#signup_organisation"' not in html


def test_valid_sign_up_still_creates_the_organisation(client, invitation):
    response = sign_up(client, invitation)
    assert response.status_code == 302
    customer = Customer.objects.get(domain="blue-yonder.example")
    assert customer.country == "FR"


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
