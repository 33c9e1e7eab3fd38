"""Issue 15's journey (R31–R35), in English and then in French: Ava requests an
admin relationship, the customer's administrator approves it from the link, Ava
assigns a security group, Hugo (in it) sees the customer's users, Sara (not in it)
does not, and Ava turns auto-extend on."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gdap.models import AdminRelationship, GdapEvent
from partners.models import Role
from tests import factories
from tests.conftest import browser_sign_in

pytestmark = pytest.mark.browser

LABELS = {
    "en": {
        "new": "Request admin relationship",
        "name": "Name",
        "duration": "Duration in days",
        "helpdesk": "Helpdesk Administrator",
        "users_role": "User Administrator",
        "helpdesk_allows": "Reset passwords, open service requests",
        "users_allows": "Manage users and groups",
        "next": "Next: review the email",
        "approve": "Approve",
        "group": "Security group",
        "assign": "Assign",
        "auto_extend_on": "Turn on Auto-extend",
        "users": "Users",
        "signin": "Sign in",
        "email": "Email address",
        "password": "Password",
        "warning": "Nobody at Contoso Cloud Partners can use this relationship until "
        "you assign a security group.",
    },
    "fr": {
        "new": "Demander une relation d'administrateur",
        "name": "Nom",
        "duration": "Durée en jours",
        "helpdesk": "Administrateur du support technique",
        "users_role": "Administrateur d'utilisateurs",
        "helpdesk_allows": (
            "Réinitialiser les mots de passe, ouvrir des demandes de service"
        ),
        "users_allows": "Gérer les utilisateurs et les groupes",
        "next": "Suivant : vérifier l'e-mail",
        "approve": "Approuver",
        "group": "Groupe de sécurité",
        "assign": "Attribuer",
        "auto_extend_on": "Activer la prolongation automatique",
        "users": "Utilisateurs",
        "signin": "Se connecter",
        "email": "Adresse e-mail",
        "password": "Mot de passe",
        "warning": "Personne chez Contoso Cloud Partners ne peut utiliser cette "
        "relation tant que vous n'avez pas attribué de groupe de sécurité.",
    },
}


@pytest.fixture
def journey(transactional_db, portal_base_url):
    partner = factories.PartnerFactory(name="Contoso Cloud Partners")
    people = {
        "ava": factories.partner_user(
            partner, role=Role.GLOBAL_ADMIN, email="ava.admin@contoso.example"
        ),
        "hugo": factories.partner_user(
            partner, role=Role.HELPDESK_AGENT, email="hugo.helpdesk@contoso.example"
        ),
        "sara": factories.partner_user(
            partner, role=Role.SALES_AGENT, email="sara.sales@contoso.example"
        ),
    }
    tailspin = factories.CustomerFactory(
        name="Tailspin",
        domain="tailspin.example",
        country=partner.country,
        cloud=partner.cloud,
    )
    # A reseller relationship without DAP: Tailspin's users are visible only
    # through the admin relationship (R34).
    factories.RelationshipFactory(partner=partner, customer=tailspin, dap_active=False)
    factories.DirectoryUserFactory(customer=tailspin, display_name="Tess Tailspin")
    admin = factories.customer_admin(tailspin, email="admin@tailspin.example")
    factories.security_group(partner, people["hugo"], name="Helpdesk team")
    return partner, people, tailspin, admin


def _as(browser, live_server, language, email):
    """A person signed in (the sign-in helper reads English labels), then
    choosing ``language`` as the selector does (its cookie)."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    browser_sign_in(page, email)
    context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    return context, page


@pytest.mark.parametrize("language", ["en", "fr"])
def test_request_approve_assign_and_use(browser, live_server, journey, language):
    t = LABELS[language]
    partner, people, tailspin, admin = journey
    ava_context, ava = _as(browser, live_server, language, people["ava"].email)

    # Ava requests "Tailspin helpdesk" (R31).
    ava.goto("/admin-relationships/")
    ava.get_by_role("link", name=t["new"]).first.click()
    expect(ava).to_have_url(re.compile(r"/admin-relationships/new/$"))
    ava.get_by_label(t["name"], exact=True).fill("Tailspin helpdesk")
    ava.get_by_label(t["duration"]).fill("180")
    ava.get_by_label(t["helpdesk"]).check()
    ava.get_by_label(t["users_role"]).check()
    ava.get_by_role("button", name=t["next"]).click()
    expect(ava).to_have_url(re.compile(r"/invitations/\d+/email/$"))
    link = ava.locator("[data-invitation-link]").inner_text().strip()
    assert "/admin-relationships/approve/" in link
    relationship = AdminRelationship.objects.get(name="Tailspin helpdesk")
    assert relationship.status == AdminRelationship.Status.APPROVAL_PENDING

    # The customer's administrator opens the link, reads, signs in, approves (R32).
    customer_context = browser.new_context(base_url=live_server.url, locale=language)
    customer_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    customer = customer_context.new_page()
    customer.goto(link)
    expect(customer.get_by_text(t["helpdesk"]).first).to_be_visible()
    expect(customer.get_by_text(t["users_role"]).first).to_be_visible()
    expect(customer.get_by_text(t["helpdesk_allows"])).to_be_visible()
    expect(customer.get_by_text(t["users_allows"])).to_be_visible()
    ends = customer.locator("[data-ends] time")
    expected_end = (timezone.now() + timedelta(days=180)).date().isoformat()
    assert ends.get_attribute("datetime").startswith(expected_end)
    signin = customer.locator("form:has(input[name=action][value=signin])")
    signin.get_by_label(t["email"], exact=True).fill(admin.email)
    signin.get_by_label(t["password"], exact=True).fill(factories.PASSWORD)
    signin.get_by_role("button", name=t["signin"], exact=True).click()
    customer.get_by_role("button", name=t["approve"]).click()
    customer.wait_for_load_state()
    relationship.refresh_from_db()
    assert relationship.status == AdminRelationship.Status.ACTIVE
    assert relationship.customer_id == tailspin.pk
    assert relationship.ends_at.date().isoformat() == expected_end
    customer_context.close()

    # Ava sees the warning, then assigns "Helpdesk team" (R33).
    ava.goto(f"/admin-relationships/{relationship.pk}/")
    expect(ava.get_by_text(t["warning"])).to_be_visible()
    ava.get_by_label(t["group"], exact=True).select_option(label="Helpdesk team")
    assign = ava.locator("form[action$='/assignments/']")
    assign.get_by_label(t["helpdesk"]).check()
    assign.get_by_label(t["users_role"]).check()
    ava.get_by_role("button", name=t["assign"]).click()
    ava.wait_for_load_state()
    expect(ava.get_by_text(t["warning"])).to_have_count(0)
    assert relationship.assignments.count() == 1

    # Hugo (in the group) sees Tailspin's users; Sara (not in it) does not (R34).
    for who, sees in (("hugo", True), ("sara", False)):
        context, page = _as(browser, live_server, language, people[who].email)
        page.goto(f"/customers/{tailspin.pk}/")
        users = page.get_by_text("Tess Tailspin")
        if sees:
            expect(users).to_be_visible()
        else:
            expect(users).to_have_count(0)
        context.close()

    # Ava turns auto-extend on (R35).
    ava.goto(f"/admin-relationships/{relationship.pk}/")
    ava.get_by_role("button", name=t["auto_extend_on"]).click()
    ava.wait_for_load_state()
    relationship.refresh_from_db()
    assert relationship.auto_extend is True
    assert (
        GdapEvent.objects.filter(
            relationship=relationship, kind=GdapEvent.Kind.AUTO_EXTEND_ON
        ).count()
        == 1
    )
    ava_context.close()
