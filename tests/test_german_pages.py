"""R19 with German (R45): every label of DESIGN.md 5 and 8.7 that exists so far
appears in German on its page, for a person who picked German."""

import html
import re

import pytest
from django.conf import settings
from django.urls import reverse

from partners.models import Role
from tests import factories
from tests.helpers import open_link

pytestmark = pytest.mark.django_db


def german_text(client, url, status=200):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    response = client.get(url, follow=False)
    assert response.status_code == status, (url, response.status_code)
    page = response.content.decode()
    assert '<html lang="de">' in page, url
    # The words a person reads (markup removed, entities decoded, spaces joined),
    # plus the attribute values JavaScript shows (data-copied).
    words = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(words).split()) + " " + html.unescape(page)


def assert_all_on(page_text, labels, url):
    missing = [label for label in labels if label not in page_text]
    assert missing == [], (url, missing)


@pytest.fixture
def adatum(partner):
    customer = factories.CustomerFactory(
        name="Adatum", domain="adatum.example", country="FR"
    )
    factories.RelationshipFactory(partner=partner, customer=customer, dap_active=True)
    factories.DirectoryUserFactory(customer=customer)
    factories.LicenseFactory(customer=customer)
    factories.SubscriptionFactory(customer=customer, provisioned_by=partner)
    return customer


@pytest.fixture
def global_admin(make_partner_user):
    return make_partner_user(Role.GLOBAL_ADMIN, email="ava@contoso.test")


@pytest.fixture
def pending(partner, global_admin):
    return factories.InvitationFactory(partner=partner, created_by=global_admin)


def test_partner_pages_show_their_labels_in_german(
    client, global_admin, adatum, pending, partner
):
    relationship = adatum.relationships.get()
    for status in ("declined", "expired", "revoked"):
        factories.InvitationFactory(
            partner=partner, created_by=global_admin, status=status
        )
    factories.InvitationFactory(
        partner=partner,
        created_by=global_admin,
        status="accepted",
        customer=adatum,
        relationship=relationship,
    )
    client.force_login(global_admin)
    pages = {
        reverse("partners:overview"): ["Übersicht", "Kunden", "Abmelden"],
        reverse("customers:list"): [
            "Kunden",
            "Beziehungsanfragen",
            "Serviceanfragen",
            "Benachrichtigungen",
            "Wiederverkäuferbeziehung anfordern",
        ],
        reverse("customers:detail", args=[adatum.pk]): [
            "Konto",
            "Dienste",
            "Benutzer",
            "Lizenzen",
            "Serviceanfrage öffnen",
            "Supportkontakte zuweisen",
            "Beziehung beenden",
        ],
        reverse("invitations:new"): [
            "Wiederverkäuferbeziehung anfordern",
            "Delegierte Administratorberechtigungen für Azure Active Directory und "
            "Office 365 einschließen",
            "Sie können eine Wiederverkäuferbeziehung nur mit Kunden in Ihrem "
            "eigenen Land bzw. Ihrer eigenen Region anfordern.",
        ],
        reverse("invitations:email", args=[pending.pk]): [
            "E-Mail-Entwurf überprüfen",
            "Betreff",
            "E-Mail-Text",
            "In E-Mail öffnen",
            "In die Zwischenablage kopieren",
            "Kopiert",
            "OK",
            "Speichern",
        ],
        reverse("invitations:list"): [
            "Beziehungsanfragen",
            "Widerrufen",
            "Neuen Link erstellen",
            "Ausstehend",
            "Angenommen",
            "Abgelehnt",
            "Abgelaufen",
        ],
        reverse("partners:notifications"): ["Benachrichtigungen"],
        reverse("customers:service_requests"): ["Serviceanfragen"],
    }
    for url, labels in pages.items():
        assert_all_on(german_text(client, url), labels, url)


def test_reseller_only_card_offers_admin_privileges_in_german(
    client, global_admin, partner
):
    litware = factories.CustomerFactory(name="Litware", country="FR")
    factories.RelationshipFactory(partner=partner, customer=litware, dap_active=False)
    client.force_login(global_admin)
    url = reverse("customers:detail", args=[litware.pk])
    assert_all_on(
        german_text(client, url), ["Administratorberechtigungen anfordern"], url
    )


def test_draft_refusal_keeps_the_link_message_in_german(client, global_admin, pending):
    client.force_login(global_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    response = client.post(
        reverse("invitations:email", args=[pending.pk]),
        {"subject": "Hallo", "body": "Kein Link mehr"},
    )
    assert (
        "Behalten Sie den Link: Er verbindet den Kunden mit Ihrem Konto."
        in html.unescape(response.content.decode())
    )


def test_sign_in_page_in_german(client):
    url = reverse("login")
    assert_all_on(german_text(client, url), ["E-Mail-Adresse", "Passwort"], url)
    assert "Anmelden" in german_text(client, url)


def test_customer_pages_show_their_labels_in_german(client, adatum):
    admin = factories.customer_admin(adatum)
    client.force_login(admin)
    url = reverse("customers:partners")
    assert_all_on(
        german_text(client, url),
        [
            "Partnerbeziehungen",
            "Administratorberechtigungen entfernen",
            "Beziehung beenden",
            "Serviceanfragen",
        ],
        url,
    )


def test_acceptance_page_in_german(client, pending):
    customer = factories.CustomerFactory(country="FR")
    admin = factories.customer_admin(customer)
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    page = open_link(client, pending)
    assert_all_on(
        german_text(client, page), ["Akzeptieren und autorisieren", "Ablehnen"], page
    )
