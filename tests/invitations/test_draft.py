"""The email draft: R5 (edit, keep the link), R6 (open / copy / OK), R7 (the link)."""

import html as htmllib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from customers.models import RelationshipEvent
from invitations import tokens
from invitations.models import LINK_PLACEHOLDER, Invitation
from invitations.services import invitation_create, invitation_revoke
from partners.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

KEEP_THE_LINK = "Keep the link: it connects the customer to your account."
READY = "Your request is ready: send the email to your customer."


def draft_url(invitation):
    return reverse("invitations:email", args=[invitation.pk])


def field_values(html):
    """(subject, body) as the draft form shows them."""
    subject = re.search(r'<input[^>]*name="subject"[^>]*value="([^"]*)"', html)
    body = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', html, re.S)
    return (
        htmllib.unescape(subject.group(1)),
        htmllib.unescape(body.group(1)).removeprefix("\n"),
    )


def mailto_of(html):
    href = re.search(r'<a[^>]*href="(mailto:[^"]*)"[^>]*data-mailto', html).group(1)
    parts = urlsplit(htmllib.unescape(href))
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    return parts.scheme, parts.path, query


def copy_text_of(html):
    match = re.search(
        r"<textarea([^>]*data-copy-source[^>]*)>(.*?)</textarea>", html, re.S
    )
    return match.group(1), htmllib.unescape(match.group(2)).removeprefix("\n")


def stored_text(invitation):
    """Every column of the invitation row and every event detail, as text."""
    row = Invitation.objects.filter(pk=invitation.pk).values().get()
    events = RelationshipEvent.objects.values_list("details", flat=True)
    return " ".join(str(v) for v in row.values()) + " ".join(str(d) for d in events)


@pytest.fixture
def author(client, make_partner_user):
    user = make_partner_user(Role.SALES_AGENT, email="sara@contoso.test")
    client.force_login(user)
    return user


@pytest.fixture
def make_invitation(partner, author):
    def make(**fields):
        fields.setdefault("include_dap", True)
        fields.setdefault("recipient_email", "admin@tailspin.example")
        return invitation_create(partner=partner, created_by=author, **fields)

    return make


@pytest.fixture
def invitation(make_invitation):
    return make_invitation(email_language="en")


# --- The page -------------------------------------------------------------------


def test_draft_page_heading_and_controls(client, invitation):
    # R5 / R6: labels of section 5
    response = client.get(draft_url(invitation))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Review the email draft</h1>" in html
    assert '<label for="id_subject">Subject</label>' in html
    assert '<label for="id_body">Email text</label>' in html
    assert ">Save</button>" in html
    assert ">Open in email</a>" in html
    assert ">Copy to clipboard</button>" in html
    assert ">OK</button>" in html


def test_draft_page_in_french_uses_labels_of_section_5(client, invitation):
    # R19
    client.cookies["django_language"] = "fr"
    html = client.get(draft_url(invitation)).content.decode().replace("&#x27;", "'")
    assert "<h1>Vérifiez le brouillon de l'e-mail</h1>" in html
    assert '<label for="id_subject">Objet</label>' in html
    assert '<label for="id_body">Texte de l\'e-mail</label>' in html
    assert ">Enregistrer</button>" in html
    assert ">Ouvrir dans la messagerie</a>" in html
    assert ">Copier dans le Presse-papiers</button>" in html
    assert 'data-copied="Copié"' in html
    assert ">OK</button>" in html
    assert ">Révoquer</a>" in html
    # R45: a link to the confirmation page, no longer a button that acts at once.
    assert ">Créer un nouveau lien</a>" in html


def test_draft_page_is_never_cached(client, invitation):
    # The page shows a secret link: no cache may keep it.
    response = client.get(draft_url(invitation))
    assert "no-store" in response["Cache-Control"]


def test_draft_in_english_names_partner_dap_and_link(client, invitation):
    # R5: pre-filled in the chosen language, naming the partner and what DAP allows
    subject, body = field_values(client.get(draft_url(invitation)).content.decode())
    link = tokens.link_for(invitation)
    assert subject == "Contoso Cloud Partners invites you to a reseller relationship"
    assert body.startswith("Hello,")
    assert "Contoso Cloud Partners would like to become your cloud reseller" in body
    assert "also asks for delegated administration privileges" in body
    assert "can manage your directory, users and licenses" in body
    assert f"\n{link}\n" in body
    assert "expires in 90 days" in body
    assert LINK_PLACEHOLDER not in body


def test_draft_without_dap_says_no_privileges_are_asked(client, make_invitation):
    invitation = make_invitation(include_dap=False)
    _, body = field_values(client.get(draft_url(invitation)).content.decode())
    assert "does not ask for administration privileges" in body
    assert "delegated administration privileges" not in body


def test_draft_in_french_whatever_the_ui_language(client, make_invitation):
    # R19: the email in the language chosen for it, with an English UI.
    invitation = make_invitation(email_language="fr")
    subject, body = field_values(client.get(draft_url(invitation)).content.decode())
    assert body.startswith("Bonjour,")
    assert "Cordialement," in body
    assert "Hello," not in body
    assert "would like to become your cloud reseller" not in body
    assert subject != "Contoso Cloud Partners invites you to a reseller relationship"
    assert "Contoso Cloud Partners" in subject
    assert tokens.link_for(invitation) in body


def test_draft_in_english_with_french_ui(client, invitation):
    # R19: French pages, English email.
    client.cookies["django_language"] = "fr"
    html = client.get(draft_url(invitation)).content.decode()
    assert "Vérifiez le brouillon de l" in html
    subject, body = field_values(html)
    assert subject == "Contoso Cloud Partners invites you to a reseller relationship"
    assert body.startswith("Hello,")


def test_draft_request_form_to_draft_keeps_chosen_language(client, author):
    # The real flow: request in French for the email, English UI.
    response = client.post(
        reverse("invitations:new"), {"include_dap": "on", "email_language": "fr"}
    )
    html = client.get(response.url).content.decode()
    _, body = field_values(html)
    assert body.startswith("Bonjour,")


def test_draft_link_is_absolute_from_portal_base_url(client, invitation, settings):
    # Issue 4: the absolute acceptance link, built from PORTAL_BASE_URL.
    settings.PORTAL_BASE_URL = "https://partners.portal.example"
    _, body = field_values(client.get(draft_url(invitation)).content.decode())
    link = re.search(r"https://partners\.portal\.example/\S+", body).group(0)
    parts = urlsplit(link)
    match = resolve(parts.path)
    assert match.view_name == "invitations:accept"
    assert tokens.check_token(invitation, match.kwargs["token"])


def test_draft_link_works_as_a_url_of_this_portal(client, invitation):
    # Issue 4, done when: the link works as a URL of this portal.
    _, body = field_values(client.get(draft_url(invitation)).content.decode())
    link = re.search(r"http://127\.0\.0\.1:8000(/\S+)", body).group(1)
    client.logout()
    response = client.get(link)
    assert response.status_code == 302
    assert response.url.startswith(("/portals/office/", "/portals/store/"))


# --- Save (R5) ----------------------------------------------------------------------


def test_save_keeps_edits_and_same_link(client, invitation):
    url = draft_url(invitation)
    link = tokens.link_for(invitation)
    body = f"Dear Tailspin,\n\nPlease open {link} today.\n\nAva"
    response = client.post(
        url, {"subject": "Our request", "body": body, "action": "save"}
    )
    assert response.status_code == 302
    assert response.url == url
    html = client.get(url).content.decode()
    assert "The email draft was saved." in html
    assert field_values(html) == ("Our request", body)
    invitation.refresh_from_db()
    assert invitation.subject == "Our request"
    assert invitation.body == body.replace(link, LINK_PLACEHOLDER)


def test_save_without_link_is_refused_and_edited_text_shown_back(client, invitation):
    # R5: refused, the partner's edited text shown back, nothing saved.
    url = draft_url(invitation)
    before = Invitation.objects.filter(pk=invitation.pk).values().get()
    edited_body = "Dear Tailspin,\n\nI removed the link by mistake.\n\nAva"
    response = client.post(
        url, {"subject": "Edited subject", "body": edited_body, "action": "save"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(
        r'<ul class="errorlist" id="id_body_error">(.*?)</ul>', html, re.S
    )
    assert KEEP_THE_LINK in errors.group(1)
    assert field_values(html) == ("Edited subject", edited_body)
    assert Invitation.objects.filter(pk=invitation.pk).values().get() == before


def test_save_with_link_altered_is_refused(client, invitation):
    link = tokens.link_for(invitation)
    broken = link[:-3] + "xx/"
    response = client.post(
        draft_url(invitation),
        {"subject": "S", "body": f"Open {broken}", "action": "save"},
    )
    assert response.status_code == 400
    assert KEEP_THE_LINK in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.subject != "S"


def test_save_without_link_in_french_shows_french_message(client, invitation):
    # R5 + R19
    client.cookies["django_language"] = "fr"
    response = client.post(
        draft_url(invitation), {"subject": "S", "body": "B", "action": "save"}
    )
    assert response.status_code == 400
    assert "Conservez le lien : il relie le client à votre compte." in (
        response.content.decode()
    )


def test_save_empty_fields_refused_next_to_fields(client, invitation):
    # R20
    response = client.post(
        draft_url(invitation), {"subject": "", "body": "", "action": "save"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_subject_error"' in html
    assert 'id="id_body_error"' in html


def test_save_empty_post_is_refused_next_to_fields(client, invitation):
    # R20: a POST without any field is refused with its errors, not shown as a GET.
    before = Invitation.objects.filter(pk=invitation.pk).values().get()
    response = client.post(draft_url(invitation), {})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_subject_error"' in html
    assert 'id="id_body_error"' in html
    assert Invitation.objects.filter(pk=invitation.pk).values().get() == before


def test_ok_without_link_is_refused_too(client, invitation):
    response = client.post(
        draft_url(invitation), {"subject": "S", "body": "no link", "action": "ok"}
    )
    assert response.status_code == 400
    assert KEEP_THE_LINK in response.content.decode()


# --- Open in email, copy, OK (R6) -----------------------------------------------------


def test_mailto_carries_recipient_subject_and_body(client, invitation):
    # R6
    html = client.get(draft_url(invitation)).content.decode()
    subject, body = field_values(html)
    scheme, recipient, query = mailto_of(html)
    assert scheme == "mailto"
    assert recipient == "admin@tailspin.example"
    assert query["subject"] == [subject]
    assert query["body"] == [body]
    assert tokens.link_for(invitation) in query["body"][0]


def test_mailto_follows_saved_edits(client, invitation):
    # R6: without JavaScript, the mailto: follows the draft after Save.
    link = tokens.link_for(invitation)
    body = f"Hi & welcome?\n\n{link}\n\n100% yours, #1 partner"
    client.post(
        draft_url(invitation),
        {"subject": "A&B = C?", "body": body, "action": "save"},
    )
    _, _, query = mailto_of(client.get(draft_url(invitation)).content.decode())
    assert query["subject"] == ["A&B = C?"]
    assert query["body"] == [body]


def test_mailto_without_recipient_has_empty_to(client, make_invitation):
    invitation = make_invitation(recipient_email="")
    scheme, recipient, query = mailto_of(
        client.get(draft_url(invitation)).content.decode()
    )
    assert scheme == "mailto"
    assert recipient == ""
    assert tokens.link_for(invitation) in query["body"][0]


def test_copy_text_is_in_a_readonly_field_with_subject_and_body(client, invitation):
    # R6: without JavaScript the text is in a read-only field ready to select.
    html = client.get(draft_url(invitation)).content.decode()
    subject, body = field_values(html)
    attributes, text = copy_text_of(html)
    assert "readonly" in attributes
    assert text == f"{subject}\n\n{body}"
    label = re.search(r'<textarea id="([^"]+)"[^>]*data-copy-source', html).group(1)
    assert f'<label for="{label}">' in html


def test_copy_confirmation_has_a_live_region(client, invitation):
    # R6: "Copied" is announced in an accessible live region.
    html = client.get(draft_url(invitation)).content.decode()
    assert re.search(r'<[^>]*aria-live="polite"[^>]*data-copy-status', html)
    assert 'data-copied="Copied"' in html


def test_ok_returns_to_customers_with_confirmation(client, invitation):
    # R6
    link = tokens.link_for(invitation)
    _, body = field_values(client.get(draft_url(invitation)).content.decode())
    response = client.post(
        draft_url(invitation),
        {"subject": "Final subject", "body": body, "action": "ok"},
    )
    assert response.status_code == 302
    assert response.url == reverse("customers:list")
    page = client.get(response.url).content.decode()
    assert READY in page
    invitation.refresh_from_db()
    assert invitation.subject == "Final subject"
    assert link not in invitation.body


def test_ok_in_french_shows_french_confirmation(client, invitation):
    client.cookies["django_language"] = "fr"
    _, body = field_values(client.get(draft_url(invitation)).content.decode())
    response = client.post(
        draft_url(invitation),
        {"subject": "S", "body": body, "action": "ok"},
        follow=True,
    )
    assert "Votre demande est prête : envoyez l" in response.content.decode()


# --- The link (R7) ----------------------------------------------------------------


def test_reopening_draft_shows_the_same_link(client, invitation):
    # R7: the same link while the invitation is pending.
    first = field_values(client.get(draft_url(invitation)).content.decode())[1]
    second = field_values(client.get(draft_url(invitation)).content.decode())[1]
    link = tokens.link_for(invitation)
    assert link in first
    assert first == second


def test_new_link_replaces_link_in_draft_and_old_one_stops_working(client, invitation):
    # R7: "Create a new link" invalidates the old one.
    old_link = tokens.link_for(invitation)
    old_token = tokens.make_token(invitation)
    response = client.post(reverse("invitations:new_link", args=[invitation.pk]))
    assert response.status_code == 302
    assert response.url == draft_url(invitation)
    _, body = field_values(client.get(draft_url(invitation)).content.decode())
    invitation.refresh_from_db()
    assert old_link not in body
    assert tokens.link_for(invitation) in body
    assert not tokens.check_token(invitation, old_token)
    client.logout()
    assert (
        client.get(reverse("invitations:accept", args=[old_token])).status_code == 404
    )


def test_database_never_stores_the_link_or_token(client, invitation):
    # R7: a database dump alone does not let anyone accept.
    url = draft_url(invitation)
    token = tokens.make_token(invitation)
    digest = token.split("-")[1]
    link = tokens.link_for(invitation)
    client.get(url)
    client.post(
        url,
        {"subject": "Request", "body": f"Open {link}\nor {link}", "action": "save"},
    )
    client.post(url, {"subject": "Request", "body": f"{link}", "action": "ok"})
    text = stored_text(invitation)
    assert digest not in text
    assert link not in text


def test_database_never_stores_link_pasted_in_subject(client, invitation):
    # R7: even when the partner pastes the link into the subject too.
    link = tokens.link_for(invitation)
    digest = tokens.make_token(invitation).split("-")[1]
    response = client.post(
        draft_url(invitation),
        {"subject": f"Accept: {link}", "body": f"Open {link}", "action": "save"},
    )
    assert response.status_code == 302
    assert digest not in stored_text(invitation)
    # ...and the partner still sees their subject, with the working link.
    subject, _ = field_values(client.get(draft_url(invitation)).content.decode())
    assert subject == f"Accept: {link}"


def test_link_not_shown_once_request_is_revoked(client, invitation, author):
    link = tokens.link_for(invitation)
    invitation_revoke(invitation_id=invitation.pk, actor=author)
    response = client.get(draft_url(invitation))
    assert response.status_code == 200
    html = response.content.decode()
    assert link not in html
    assert tokens.make_token(invitation) not in html
    assert "no longer pending" in html


def test_save_refused_once_request_is_no_longer_pending(client, invitation, author):
    link = tokens.link_for(invitation)
    invitation_revoke(invitation_id=invitation.pk, actor=author)
    response = client.post(
        draft_url(invitation), {"subject": "Late", "body": link, "action": "save"}
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.subject != "Late"


def test_link_not_shown_once_request_has_expired(client, invitation):
    link = tokens.link_for(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now() - timezone.timedelta(days=100),
        expires_at=timezone.now() - timezone.timedelta(days=10),
    )
    assert link not in client.get(draft_url(invitation)).content.decode()


# --- Who may open it (R1) ---------------------------------------------------------


def test_sales_agent_cannot_open_or_change_colleagues_draft(
    client, partner, invitation, make_partner_user
):
    # R1: sales agents manage only their own requests.
    client.force_login(make_partner_user(Role.SALES_AGENT, email="sam@contoso.test"))
    before = Invitation.objects.filter(pk=invitation.pk).values().get()
    url = draft_url(invitation)
    get = client.get(url)
    assert get.status_code == 403
    assert tokens.make_token(invitation) not in get.content.decode()
    link = tokens.link_for(invitation)
    post = client.post(url, {"subject": "Hijack", "body": link, "action": "save"})
    assert post.status_code == 403
    assert Invitation.objects.filter(pk=invitation.pk).values().get() == before


@pytest.mark.parametrize("role", [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT])
def test_admins_can_open_colleagues_draft(client, invitation, make_partner_user, role):
    client.force_login(make_partner_user(role))
    response = client.get(draft_url(invitation))
    assert response.status_code == 200
    assert tokens.link_for(invitation) in response.content.decode()


@pytest.mark.parametrize("role", [Role.HELPDESK_AGENT, Role.BILLING_ADMIN])
def test_draft_forbidden_for_roles_that_cannot_request(
    client, invitation, make_partner_user, role
):
    client.force_login(make_partner_user(role))
    response = client.get(draft_url(invitation))
    assert response.status_code == 403
    assert tokens.make_token(invitation) not in response.content.decode()


def test_draft_of_other_partner_is_404(client, invitation):
    # R17
    stranger = factories.partner_user(role=Role.GLOBAL_ADMIN)
    client.force_login(stranger)
    assert client.get(draft_url(invitation)).status_code == 404


def test_save_draft_with_link_as_start_of_longer_url_is_refused(db):
    # R5: "the exact link" — a link with extra characters glued on would not work.
    from invitations.services import contains_exact_link

    link = "http://127.0.0.1:8000/invitations/accept/1-abc/"
    assert contains_exact_link(f"Open {link} now", link)
    assert contains_exact_link(f"Open {link}.", link)
    assert contains_exact_link(link, link)
    assert not contains_exact_link(f"Open {link}extra now", link)
    assert not contains_exact_link("Open http://127.0.0.1:8000/ now", link)


@pytest.mark.parametrize(
    "copy", ["https://elsewhere.example/accept/{token}/", "{token}"]
)
def test_save_draft_with_changed_copy_of_link_is_refused(client, invitation, copy):
    # R7: the token may stand in the database only as the placeholder of the link.
    link = tokens.link_for(invitation)
    token = tokens.make_token(invitation)
    body = f"Open {link}\nor {copy.format(token=token)}\n"
    response = client.post(
        draft_url(invitation), {"subject": "Hello", "body": body, "action": "save"}
    )
    assert response.status_code == 400
    assert "Keep the link exactly as it is" in response.content.decode()
    assert token not in stored_text(invitation)
