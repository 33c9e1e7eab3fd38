"""R19: the French and German catalogues are complete, compiled, and used by the pages.

The .po is parsed here with a small reader (polib is not a dependency). If the
compiled .mo test fails, run `make messages` (or `manage.py compilemessages`).
"""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from partners.models import Role
from tests.factories import InvitationFactory

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = {
    # language: its plural rule as the .po header must declare it
    "fr": "nplurals=2; plural=(n > 1);",
    "de": "nplurals=2; plural=(n != 1);",
}


def po_path(language):
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def mo_path(language):
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.mo"


# DESIGN.md section 5, "Labels (English / French), to be used as written"; plus the
# role names of section 2 and the statuses.
DESIGN_LABELS = {
    "Customers": "Clients",
    "Request a reseller relationship": "Demander une relation de revendeur",
    "Include delegated administration privileges for Azure Active Directory and "
    "Office 365": "Inclure les privilèges d'administration délégués pour Azure "
    "Active Directory et Office 365",
    "You can request a reseller relationship only with customers in your own "
    "country/region.": "Vous pouvez demander une relation de revendeur uniquement "
    "avec des clients de votre pays ou région.",
    "Review the email draft": "Vérifiez le brouillon de l'e-mail",
    "Email text": "Texte de l'e-mail",
    "Open in email": "Ouvrir dans la messagerie",
    "Copy to clipboard": "Copier dans le Presse-papiers",
    "OK": "OK",
    "Relationship requests": "Demandes de relation",
    "Account": "Compte",
    "Services": "Services",
    "Users": "Utilisateurs",
    "Licenses": "Licences",
    "Partner relationships": "Relations avec les partenaires",
    "Remove admin privileges": "Supprimer les privilèges d'administration",
    "End relationship": "Mettre fin à la relation",
    "Open a service request": "Ouvrir une demande de service",
    "Assign support contacts": "Assigner des contacts de support",
    "Accept and authorize": "Accepter et autoriser",
    "Decline": "Refuser",
    "Email address": "Adresse e-mail",
    "Password": "Mot de passe",
    "Sign in": "Se connecter",
    "Sign out": "Se déconnecter",
    "Subject": "Objet",
    "Save": "Enregistrer",
    "Revoke": "Révoquer",
    "Create a new link": "Créer un nouveau lien",
    "Request admin privileges": "Demander les privilèges d'administration",
    "Pending": "En attente",
    "Accepted": "Acceptée",
    "Declined": "Refusée",
    "Expired": "Expirée",
    "Revoked": "Révoquée",
    "Keep the link: it connects the customer to your account.": "Conservez le "
    "lien : il relie le client à votre compte.",
    "Copied": "Copié",
    "Global admin": "Administrateur général",
    "Admin agent": "Agent administrateur",
    "Sales agent": "Agent commercial",
    "Helpdesk agent": "Agent du support technique",
    "Billing admin": "Administrateur de facturation",
}

# DESIGN.md sections 5 and 8.7 in German (8.7 as written; section 5 as the German
# glossary of the catalogue has them), with the role names and statuses.
DESIGN_LABELS_DE = {
    "Customers": "Kunden",
    "Request a reseller relationship": "Wiederverkäuferbeziehung anfordern",
    "Include delegated administration privileges for Azure Active Directory and "
    "Office 365": "Delegierte Administratorberechtigungen für Azure Active "
    "Directory und Office 365 einschließen",
    "You can request a reseller relationship only with customers in your own "
    "country/region.": "Sie können eine Wiederverkäuferbeziehung nur mit Kunden in "
    "Ihrem eigenen Land bzw. Ihrer eigenen Region anfordern.",
    "Review the email draft": "E-Mail-Entwurf überprüfen",
    "Email text": "E-Mail-Text",
    "Open in email": "In E-Mail öffnen",
    "Copy to clipboard": "In die Zwischenablage kopieren",
    "OK": "OK",
    "Relationship requests": "Beziehungsanfragen",
    "Account": "Konto",
    "Services": "Dienste",
    "Users": "Benutzer",
    "Licenses": "Lizenzen",
    "Partner relationships": "Partnerbeziehungen",
    "Remove admin privileges": "Administratorberechtigungen entfernen",
    "End relationship": "Beziehung beenden",
    "Open a service request": "Serviceanfrage öffnen",
    "Assign support contacts": "Supportkontakte zuweisen",
    "Accept and authorize": "Akzeptieren und autorisieren",
    "Decline": "Ablehnen",
    "Email address": "E-Mail-Adresse",
    "Password": "Passwort",
    "Sign in": "Anmelden",
    "Sign out": "Abmelden",
    "Subject": "Betreff",
    "Save": "Speichern",
    "Revoke": "Widerrufen",
    "Create a new link": "Neuen Link erstellen",
    "Request admin privileges": "Administratorberechtigungen anfordern",
    "Pending": "Ausstehend",
    "Accepted": "Angenommen",
    "Declined": "Abgelehnt",
    "Expired": "Abgelaufen",
    "Revoked": "Widerrufen",
    "Keep the link: it connects the customer to your account.": "Behalten Sie den "
    "Link: Er verbindet den Kunden mit Ihrem Konto.",
    "Copied": "Kopiert",
    "Global admin": "Globaler Administrator",
    "Admin agent": "Administrator-Agent",
    "Sales agent": "Vertriebsagent",
    "Helpdesk agent": "Helpdesk-Agent",
    "Billing admin": "Abrechnungsadministrator",
    # 8.7, the labels of what exists so far
    "Overview": "Übersicht",
    "Notifications": "Benachrichtigungen",
    "Sent": "Gesendet",
    "Failed": "Fehlgeschlagen",
    "Active": "Aktiv",
    "Service requests": "Serviceanfragen",
}

LABELS = {"fr": DESIGN_LABELS, "de": DESIGN_LABELS_DE}

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def _unquote(quoted: str) -> str:
    body = quoted.strip()[1:-1]
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), body)


def parse_po(text: str) -> list[dict]:
    """Entries of a .po file: {"flags": set, "obsolete": bool, msgid/msgstr…: str}."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry = {"flags": set(), "obsolete": False}
        keyword = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#"):
                continue
            elif match := _KEYWORD.match(line):
                keyword = match.group(1)
                entry[keyword] = _unquote(match.group(2))
            elif line.startswith('"') and keyword:
                entry[keyword] += _unquote(line)
        if "msgid" in entry or entry["obsolete"]:
            entries.append(entry)
    return entries


@pytest.fixture(scope="module", params=sorted(LANGUAGES))
def language(request):
    return request.param


@pytest.fixture(scope="module")
def po_entries(language):
    entries = parse_po(po_path(language).read_text(encoding="utf-8"))
    header = entries[0]
    assert header["msgid"] == "", "the .po file must start with its header"
    return entries


@pytest.fixture(scope="module")
def messages(po_entries):
    return [e for e in po_entries[1:] if not e["obsolete"]]


def _msgstrs(entry):
    return {k: v for k, v in entry.items() if k.startswith("msgstr")}


def test_po_header_declares_the_language_and_its_plural_rule(po_entries, language):
    header = po_entries[0]
    assert "fuzzy" not in header["flags"]
    assert f"Language: {language}\n" in header["msgstr"]
    assert f"Plural-Forms: {LANGUAGES[language]}" in header["msgstr"]
    assert "charset=UTF-8" in header["msgstr"]


def test_every_message_is_translated_and_none_is_fuzzy(messages):
    assert len(messages) > 100, "the catalogue looks truncated"
    untranslated = [
        e["msgid"] for e in messages if not all(v.strip() for v in _msgstrs(e).values())
    ]
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_no_obsolete_entries_linger(po_entries):
    assert [e for e in po_entries if e["obsolete"]] == []


def test_plural_entries_have_both_forms(messages):
    plurals = [e for e in messages if "msgid_plural" in e]
    assert plurals, "expected at least one plural message (the customer count)"
    for entry in plurals:
        assert set(_msgstrs(entry)) == {"msgstr[0]", "msgstr[1]"}, entry["msgid"]


def test_placeholders_are_kept_exactly(messages):
    for entry in messages:
        expected = set(
            _PLACEHOLDER.findall(entry["msgid"] + entry.get("msgid_plural", ""))
        )
        for key, value in _msgstrs(entry).items():
            assert set(_PLACEHOLDER.findall(value)) == expected, (entry["msgid"], key)


def test_compiled_catalogue_matches_the_po(messages, language):
    """The .mo holds exactly what the .po says: it was compiled after the last edit."""
    mo = mo_path(language)
    assert mo.exists(), "run `manage.py compilemessages --ignore=.venv`"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in messages:
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            got = [
                compiled.npgettext(context, entry["msgid"], entry["msgid_plural"], n)
                if context is not None
                else compiled.ngettext(entry["msgid"], entry["msgid_plural"], n)
                for n in (1, 2)
            ]
            want = [entry["msgstr[0]"], entry["msgstr[1]"]]
        else:
            got = (
                compiled.pgettext(context, entry["msgid"])
                if context is not None
                else compiled.gettext(entry["msgid"])
            )
            want = entry["msgstr"]
        if got != want:
            stale.append(entry["msgid"])
    assert stale == [], (
        "the .mo is stale: run `manage.py compilemessages --ignore=.venv`"
    )


@pytest.mark.parametrize(
    ("language", "english", "translated"),
    [(lang, en, tr) for lang, labels in LABELS.items() for en, tr in labels.items()],
)
def test_design_labels_are_translated_as_written(language, english, translated):
    with translation.override(language):
        assert translation.gettext(english) == translated


def test_german_customer_count_uses_the_german_plural_rule():
    with translation.override("de"):
        for n, word in [(0, "Kunden"), (1, "Kunde"), (2, "Kunden")]:
            text = translation.ngettext(
                "%(counter)s customer", "%(counter)s customers", n
            ) % {"counter": n}
            assert text == f"{n} {word}"


def test_sign_in_errors_use_the_tested_wording():
    with translation.override("fr"):
        assert (
            translation.gettext("The email address or password is incorrect.")
            == "L’adresse e-mail ou le mot de passe est incorrect."
        )
        assert (
            translation.gettext("Enter your email address.")
            == "Saisissez votre adresse e-mail."
        )


def test_customer_count_uses_french_plural_rule():
    with translation.override("fr"):
        for n, word in [(0, "client"), (1, "client"), (2, "clients")]:
            text = translation.ngettext(
                "%(counter)s customer", "%(counter)s customers", n
            ) % {"counter": n}
            assert text == f"{n} {word}"


# --- Pages in French -----------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_page_in_french(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="fr">' in html
    assert "Se connecter" in html
    assert '<label for="id_email">Adresse e-mail</label>' in html
    assert '<label for="id_password">Mot de passe</label>' in html
    assert "Sign in" not in html


@pytest.mark.django_db
def test_partner_navigation_in_french(client, admin_agent):
    client.force_login(admin_agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get(reverse("customers:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert ">Clients</a>" in html
    assert ">Demandes de relation</a>" in html
    assert "Se déconnecter" in html
    assert "Demander une relation de revendeur" in html


@pytest.mark.django_db
def test_email_draft_page_gives_javascript_its_french_texts(
    client, partner, admin_agent
):
    """portal.js reads its texts from data attributes: no JS catalogue needed."""
    invitation = InvitationFactory(partner=partner, created_by=admin_agent)
    client.force_login(admin_agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    html = client.get(
        reverse("invitations:email", args=[invitation.pk])
    ).content.decode()
    assert 'data-copied="Copié"' in html
    assert "Copier dans le Presse-papiers" in html
    assert "Ouvrir dans la messagerie" in html


@pytest.mark.django_db
def test_roles_needed_page_names_french_roles(client, make_partner_user):
    billing = make_partner_user(Role.BILLING_ADMIN, email="bill@contoso.test")
    client.force_login(billing)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get(reverse("invitations:new"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Administrateur général" in html
    assert "Agent commercial" in html
