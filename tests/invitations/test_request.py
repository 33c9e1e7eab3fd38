"""Request a reseller relationship: R2, R3, R19 (email language), R20."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from customers.models import RelationshipEvent
from invitations.models import Invitation
from partners.models import Cloud, Role
from tests import factories

pytestmark = pytest.mark.django_db

NEW_URL = reverse("invitations:new")
DAP_LABEL = (
    "Include delegated administration privileges for Azure Active Directory and "
    "Office 365"
)
COUNTRY_NOTE = (
    "You can request a reseller relationship only with customers in your own "
    "country/region."
)


def checkbox(html):
    return re.search(r'<input[^>]*name="include_dap"[^>]*>', html).group(0)


@pytest.fixture
def sales(client, make_partner_user):
    user = make_partner_user(Role.SALES_AGENT, email="sara@contoso.test")
    client.force_login(user)
    return user


@pytest.fixture(params=[Cloud.GERMANY, Cloud.USGOV])
def sovereign_user(request, client):
    partner = factories.PartnerFactory(name="Sovereign Partner", cloud=request.param)
    user = factories.partner_user(partner=partner, role=Role.ADMIN_AGENT)
    client.force_login(user)
    return user


# --- The form ----------------------------------------------------------------------


def test_form_dap_checkbox_ticked_by_default_with_exact_label(client, sales):
    # R2
    html = client.get(NEW_URL).content.decode()
    box = checkbox(html)
    assert 'type="checkbox"' in box
    assert "checked" in box
    assert "disabled" not in box
    assert f'<label for="id_include_dap">{DAP_LABEL}</label>' in html


def test_form_shows_country_note_with_partner_country_and_cloud(client, sales):
    # R4: the request page says so.
    html = client.get(NEW_URL).content.decode()
    assert COUNTRY_NOTE in html
    assert "Yours is France, in Public cloud." in html


def test_form_email_language_defaults_to_user_language(client, sales):
    # R19: the email language defaults to the user's, and is chosen separately.
    english = client.get(NEW_URL).content.decode()
    assert re.search(r'<option value="en" selected>', english)
    client.cookies["django_language"] = "fr"
    french = client.get(NEW_URL).content.decode()
    assert re.search(r'<option value="fr" selected>', french)


def test_form_in_french_uses_label_of_section_5(client, sales):
    # R19; needs locale/fr.
    client.cookies["django_language"] = "fr"
    html = client.get(NEW_URL).content.decode()
    assert (
        "Inclure les privilèges d'administration délégués pour Azure Active "
        "Directory et Office 365"
    ) in html.replace("&#x27;", "'")
    assert (
        "Vous pouvez demander une relation de revendeur uniquement avec des clients "
        "de votre pays ou région."
    ) in html


def test_form_sovereign_cloud_checkbox_ticked_disabled_with_reason(
    client, sovereign_user
):
    # R3
    partner = sovereign_user.partner_membership.partner
    html = client.get(NEW_URL).content.decode()
    box = checkbox(re.sub(r'<input type="hidden" name="include_dap"[^>]*>', "", html))
    assert "checked" in box
    assert "disabled" in box
    assert 'aria-describedby="dap-required-reason"' in box
    reason = re.search(r'<p[^>]*id="dap-required-reason"[^>]*>(.*?)</p>', html, re.S)
    assert reason
    assert f"Partners in {Cloud(partner.cloud).label}" in reason.group(1)
    assert "reseller-only relationships are not available" in reason.group(1)


def test_form_public_cloud_checkbox_has_no_sovereign_reason(client, sales):
    html = client.get(NEW_URL).content.decode()
    assert 'id="dap-required-reason"' not in html


# --- Submitting ---------------------------------------------------------------------


def test_submit_creates_pending_invitation_and_redirects_to_draft(
    client, sales, settings
):
    # Issue 4: status pending, sent_at now, expires_at from INVITATION_TTL_DAYS.
    settings.INVITATION_TTL_DAYS = 30
    now = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        response = client.post(
            NEW_URL,
            {
                "include_dap": "on",
                "recipient_email": "Admin@Tailspin.example",
                "email_language": "en",
            },
        )
    invitation = Invitation.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("invitations:email", args=[invitation.pk])
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.sent_at == now
    assert invitation.expires_at == now + timedelta(days=30)
    assert invitation.include_dap is True
    assert invitation.recipient_email == "admin@tailspin.example"
    assert invitation.created_by == sales
    assert invitation.partner == sales.partner_membership.partner
    # Section 3: the request is on the timeline.
    event = RelationshipEvent.objects.get(invitation_id=invitation.pk)
    assert event.kind == RelationshipEvent.Kind.REQUESTED
    assert event.actor == sales


def test_submit_default_ttl_is_90_days(client, sales):
    client.post(NEW_URL, {"include_dap": "on", "email_language": "en"})
    invitation = Invitation.objects.get()
    assert invitation.expires_at - invitation.sent_at == timedelta(days=90)


def test_submit_unticked_on_public_cloud_creates_reseller_only_request(client, sales):
    # R2: unticked = reseller-only
    response = client.post(NEW_URL, {"email_language": "en"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.include_dap is False
    assert "does not ask for administration privileges" in invitation.body


@pytest.mark.parametrize("language", ["en", "fr"])
def test_submit_stores_chosen_email_language_whatever_ui_language(
    client, sales, language
):
    # R19: the email's language is chosen in the form, not taken from the UI.
    client.cookies["django_language"] = "fr" if language == "en" else "en"
    client.post(NEW_URL, {"include_dap": "on", "email_language": language})
    assert Invitation.objects.get().email_language == language


def test_submit_sovereign_cloud_with_dap_succeeds(client, sovereign_user):
    # R3: the hidden input carries the value the disabled box cannot send.
    response = client.post(NEW_URL, {"include_dap": "on", "email_language": "en"})
    assert response.status_code == 302
    assert Invitation.objects.get().include_dap is True


def test_submit_sovereign_cloud_forged_without_dap_is_refused_and_creates_nothing(
    client, sovereign_user
):
    # R3: a forged POST that leaves DAP out is refused with a clear message.
    partner = sovereign_user.partner_membership.partner
    response = client.post(
        NEW_URL, {"recipient_email": "it@example.test", "email_language": "en"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        f"Partners in {Cloud(partner.cloud).label} must include delegated "
        "administration privileges. Nothing was created."
    ) in html
    # Next to its field (R20).
    assert 'id="id_include_dap_error"' in html
    assert Invitation.objects.count() == 0
    assert RelationshipEvent.objects.count() == 0


def test_submit_sovereign_cloud_empty_post_is_refused_with_message(
    client, sovereign_user
):
    # R3: a POST with no field at all is a forged POST too, not a GET.
    response = client.post(NEW_URL, {})
    assert response.status_code == 400
    assert "must include delegated administration privileges" in (
        response.content.decode()
    )
    assert Invitation.objects.count() == 0


def test_submit_empty_post_shows_errors_and_creates_nothing(client, sales):
    # R20: an empty POST is a failed request with its errors, never a blank form.
    response = client.post(NEW_URL, {})
    assert response.status_code == 400
    assert 'id="id_email_language_error"' in response.content.decode()
    assert Invitation.objects.count() == 0


# "" and "false" are how a checkbox says "not ticked"; leaving it out is above.
@pytest.mark.parametrize("forged", ["", "false"])
def test_submit_sovereign_cloud_forged_false_values_are_refused(
    client, sovereign_user, forged
):
    response = client.post(NEW_URL, {"include_dap": forged, "email_language": "en"})
    assert response.status_code == 400
    assert Invitation.objects.count() == 0


def test_service_sovereign_cloud_without_dap_raises_and_creates_nothing(db):
    # R3 in the domain layer, not only in the form.
    from core.exceptions import DomainError
    from invitations.services import invitation_create

    partner = factories.PartnerFactory(cloud=Cloud.GERMANY, country="DE")
    user = factories.partner_user(partner=partner)
    with pytest.raises(DomainError) as excinfo:
        invitation_create(partner=partner, created_by=user, include_dap=False)
    assert excinfo.value.code == "dap_required"
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"recipient_email": "not-an-email", "email_language": "en"},
            "recipient_email",
            "Enter a valid email address.",
        ),
        # German became an email language (issue 12): Spanish is not one.
        ({"email_language": "es"}, "email_language", "Select a valid choice."),
        ({}, "email_language", "This field is required."),
    ],
)
def test_submit_bad_input_shows_error_next_to_field_and_creates_nothing(
    client, sales, data, field, message
):
    # R20
    response = client.post(NEW_URL, {"include_dap": "on", **data})
    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(
        rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S
    )
    assert errors
    assert message in errors.group(1)
    assert Invitation.objects.count() == 0


def test_submit_get_and_post_only(client, sales):
    assert client.put(NEW_URL).status_code == 405
    assert Invitation.objects.count() == 0
