"""R2, R5, R6: Customers → Request a reseller relationship → the email draft, then
open it in email or copy it, with and without JavaScript."""

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from playwright.sync_api import expect

from invitations import tokens
from invitations.models import Invitation
from tests.conftest import browser_sign_in

pytestmark = pytest.mark.browser

RECIPIENT = "it@tailspin.example"


def parse_mailto(href):
    """Recipient, subject and body of a mailto: link, decoded (RFC 6068)."""
    parts = urlsplit(href)
    assert parts.scheme == "mailto"
    query = parse_qs(parts.query, keep_blank_values=True)
    assert set(query) == {"subject", "body"}
    return (
        unquote(parts.path),
        query["subject"][0],
        # RFC 6068 line breaks are CRLF; a textarea's value uses LF.
        query["body"][0].replace("\r\n", "\n"),
    )


def request_to_draft(page, *, recipient=RECIPIENT):
    """From Customers to the email draft, in two steps."""
    page.goto("/customers/")
    page.get_by_role("link", name="Request a reseller relationship").first.click()
    expect(page).to_have_url(re.compile(r"/invitations/new/$"))
    expect(
        page.get_by_text(
            "You can request a reseller relationship only with customers in your "
            "own country/region."
        )
    ).to_be_visible()
    dap = page.get_by_label(
        "Include delegated administration privileges for Azure Active Directory "
        "and Office 365"
    )
    expect(dap).to_be_checked()
    expect(dap).to_be_enabled()
    page.get_by_label("Customer email address (optional)").fill(recipient)
    page.get_by_role("button", name="Next: review the email").click()

    expect(page).to_have_url(re.compile(r"/invitations/\d+/email/$"))
    expect(
        page.get_by_role("heading", name="Review the email draft", level=1)
    ).to_be_visible()
    return Invitation.objects.get(pk=int(page.url.rstrip("/").split("/")[-2]))


def test_request_reaches_the_draft_with_a_link_of_this_portal(
    page, sales_agent, portal_base_url
):
    browser_sign_in(page, sales_agent.email)
    invitation = request_to_draft(page)

    assert invitation.status == Invitation.Status.PENDING
    assert invitation.include_dap is True
    assert invitation.recipient_email == RECIPIENT
    link = page.locator("[data-invitation-link]").inner_text().strip()
    assert link == tokens.link_for(invitation)
    assert link.startswith(f"{portal_base_url}/invitations/accept/")
    body = page.get_by_label("Email text", exact=True)
    expect(body).to_have_value(re.compile(re.escape(link)))
    expect(body).to_have_value(re.compile("Contoso Cloud Partners"))

    # The link is a working address of this portal: it leads to an acceptance page.
    response = page.request.get(link, max_redirects=0)
    assert response.status == 302
    assert response.headers["location"] == "/portals/store/session/"


def test_copy_to_clipboard_copies_subject_and_body_and_says_copied(
    page, sales_agent, portal_base_url
):
    page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=portal_base_url
    )
    browser_sign_in(page, sales_agent.email)
    invitation = request_to_draft(page)
    link = tokens.link_for(invitation)
    expected = f"{invitation.subject}\n\n{invitation.body_with_link(link)}"
    status = page.locator("[aria-live=polite][data-copy-status]")
    expect(status).to_be_empty()

    page.get_by_role("button", name="Copy to clipboard").click()

    expect(status).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == expected

    # An edit is what gets copied next; the old confirmation goes away.
    page.get_by_label("Subject").fill("Let us work together")
    expect(status).to_be_empty()
    page.get_by_role("button", name="Copy to clipboard").click()
    expect(status).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == (
        f"Let us work together\n\n{invitation.body_with_link(link)}"
    )


def test_open_in_email_follows_edits_of_subject_and_body(
    page, sales_agent, portal_base_url
):
    browser_sign_in(page, sales_agent.email)
    invitation = request_to_draft(page)
    link = tokens.link_for(invitation)
    open_in_email = page.get_by_role("link", name="Open in email")

    recipient, subject, body = parse_mailto(open_in_email.get_attribute("href"))
    assert recipient == RECIPIENT
    assert subject == invitation.subject
    assert body == invitation.body_with_link(link)

    new_subject = "Contoso & you: 100% cloud? #partners"
    new_body = (
        f"Hello Tailspin,\n\nPlease accept here: {link}\n\nThanks & regards,\nSara"
    )
    page.get_by_label("Subject").fill(new_subject)
    page.get_by_label("Email text", exact=True).fill(new_body)

    recipient, subject, body = parse_mailto(open_in_email.get_attribute("href"))
    assert (recipient, subject, body) == (RECIPIENT, new_subject, new_body)


def test_draft_without_javascript_saves_and_offers_the_text_to_copy(
    page_no_js, sales_agent, portal_base_url
):
    page = page_no_js
    browser_sign_in(page, sales_agent.email)
    invitation = request_to_draft(page)
    link = tokens.link_for(invitation)

    # Copying needs JavaScript: the button is not offered; the text is in a
    # read-only field, ready to select.
    expect(page.get_by_role("button", name="Copy to clipboard")).to_be_hidden()
    copy_field = page.get_by_label("Email text, ready to select and copy")
    expect(copy_field).to_have_attribute("readonly", "")
    expect(copy_field).to_have_value(
        f"{invitation.subject}\n\n{invitation.body_with_link(link)}"
    )

    new_subject = "Reseller relationship with Contoso"
    new_body = f"Dear customer,\n\nAccept here: {link}\n\nSara"
    page.get_by_label("Subject").fill(new_subject)
    page.get_by_label("Email text", exact=True).fill(new_body)
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messages")).to_contain_text("The email draft was saved.")
    expect(page.get_by_label("Subject")).to_have_value(new_subject)
    expect(page.get_by_label("Email text", exact=True)).to_have_value(new_body)
    expect(copy_field).to_have_value(f"{new_subject}\n\n{new_body}")
    recipient, subject, body = parse_mailto(
        page.get_by_role("link", name="Open in email").get_attribute("href")
    )
    assert (recipient, subject, body) == (RECIPIENT, new_subject, new_body)

    # R5: a body without the link is refused and the edit is shown back.
    page.get_by_label("Email text", exact=True).fill("No link any more")
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("Keep the link: it connects the customer to your account.")
    ).to_be_visible()
    expect(page.get_by_label("Email text", exact=True)).to_have_value(
        "No link any more"
    )

    # OK returns to Customers with the confirmation.
    page.get_by_label("Email text", exact=True).fill(new_body)
    page.get_by_role("button", name="OK").click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.locator(".messages")).to_contain_text(
        "Your request is ready: send the email to your customer."
    )
