"""R19 / DESIGN 8.8: a partner user's preferred language follows them to any
browser at sign-in; a language picked in this browser wins and is remembered."""

import pyotp
import pytest
from django.conf import settings
from django.urls import reverse

from partners.models import PartnerMembership, Role
from partners.two_step_services import DEMO_TOTP_SECRET, demo_devices_enrol
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def german_admin(partner):
    user = factories.partner_user(
        partner, Role.ADMIN_AGENT, email="frida@fabrikam.test"
    )
    PartnerMembership.objects.filter(user=user).update(language="de")
    demo_devices_enrol(user=user)  # R28: an Admin agent has a second factor
    return user


def sign_in(client, user):
    response = client.post(
        reverse("login"), {"email": user.email, "password": factories.PASSWORD}
    )
    # R28: the second step, after the password.
    client.post(reverse("login_verify"), {"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})
    return response


def test_preferred_language_applies_at_sign_in_on_a_new_browser(client, german_admin):
    response = sign_in(client, german_admin)
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    page = client.get(reverse("customers:list")).content.decode()
    assert '<html lang="de">' in page
    assert ">Kunden</a>" in page


def test_a_language_picked_in_the_browser_wins_and_is_remembered(client, german_admin):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = sign_in(client, german_admin)
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert PartnerMembership.objects.get(user=german_admin).language == "fr"
    assert '<html lang="fr">' in client.get(reverse("customers:list")).content.decode()
