"""R31/R33 bad input on the partner's forms: a message next to the field, 400,
nothing written; never a 500. The messages are translatable strings (the lead
compiles French and German)."""

import pytest
from django.urls import reverse

from gdap.models import (
    AccessAssignment,
    AdminRelationship,
    GdapEvent,
    SecurityGroup,
)
from invitations.models import Invitation
from partners.models import Role
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, make_partner_user):
    client.force_login(make_partner_user(Role.ADMIN_AGENT, email="adam@contoso.test"))
    return client


def _valid(**overrides):
    data = {
        "name": "Tailspin helpdesk",
        "customer": "",
        "duration_days": "180",
        "roles": ["helpdesk_administrator"],
        "recipient_email": "",
        "email_language": "en",
    }
    data.update(overrides)
    return data


def _nothing_written():
    return (
        AdminRelationship.objects.count(),
        Invitation.objects.count(),
        GdapEvent.objects.count(),
    )


def _field_error(body, field):
    """The error list rendered next to ``field`` (its id)."""
    marker = f'id="id_{field}_error"'
    assert marker in body, f"no error next to {field}"
    start = body.index(marker)
    return body[start : body.index("</ul>", start)]


CASES = [
    ("name_51_characters", {"name": "x" * 51}, "name", "at most 50 characters"),
    ("name_blank", {"name": "   "}, "name", "Enter a name."),
    ("duration_0", {"duration_days": "0"}, "duration_days", "from 1 to 730 days"),
    ("duration_731", {"duration_days": "731"}, "duration_days", "from 1 to 730 days"),
    (
        "duration_not_a_number",
        {"duration_days": "two years"},
        "duration_days",
        "from 1 to 730 days",
    ),
    ("no_roles", {"roles": []}, "roles", "Choose at least one role."),
    (
        "forged_role",
        {"roles": ["helpdesk_administrator", "root_of_everything"]},
        "roles",
        "Choose roles from the list",
    ),
    (
        "auto_extend_with_global_admin",
        {"roles": ["global_administrator"], "auto_extend": "on"},
        "auto_extend",
        "Remove Global Administrator first",
    ),
    ("unknown_customer", {"customer": "999999"}, "customer", "Choose one of your"),
    ("huge_customer_id", {"customer": "9" * 40}, "customer", "Choose one of your"),
    ("bad_email", {"recipient_email": "not an address"}, "recipient_email", "valid"),
    ("bad_language", {"email_language": "xx"}, "email_language", "Choose a language"),
]


@pytest.mark.parametrize(
    "data, field, message",
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_request_refused_next_to_the_field(signed_in, data, field, message):
    before = _nothing_written()
    response = signed_in.post(reverse("gdap:new"), _valid(**data))
    assert response.status_code == 400
    assert message.lower() in _field_error(text(response), field).lower()
    assert _nothing_written() == before


def test_another_partners_customer_is_refused(signed_in, other_partner):
    theirs = factories.CustomerFactory(name="Their customer")
    factories.RelationshipFactory(partner=other_partner, customer=theirs)
    before = _nothing_written()
    response = signed_in.post(reverse("gdap:new"), _valid(customer=str(theirs.pk)))
    assert response.status_code == 400
    assert "Their customer" not in text(response)
    assert _nothing_written() == before


def test_duplicate_name_in_another_letter_case_is_refused(signed_in, partner):
    factories.admin_relationship(
        partner, status="approval_pending", name="Tailspin Helpdesk"
    )
    before = _nothing_written()
    response = signed_in.post(reverse("gdap:new"), _valid(name="TAILSPIN helpdesk"))
    assert response.status_code == 400
    assert "already have an admin relationship with this name" in _field_error(
        text(response), "name"
    )
    assert _nothing_written() == before


def test_same_name_at_another_partner_is_fine(signed_in, other_partner):
    factories.admin_relationship(
        other_partner, status="approval_pending", name="Tailspin helpdesk"
    )
    assert signed_in.post(reverse("gdap:new"), _valid()).status_code == 302


def test_empty_post_is_refused(signed_in):
    before = _nothing_written()
    response = signed_in.post(reverse("gdap:new"), {})
    assert response.status_code == 400
    assert _nothing_written() == before


def test_assignment_bad_input(signed_in, partner):
    customer = factories.CustomerFactory()
    relationship = factories.admin_relationship(
        partner, customer, roles=("user_administrator",)
    )
    group = factories.security_group(partner, name="Helpdesk team")
    url = reverse("gdap:assignment_save", args=[relationship.pk])
    for data in (
        {},
        {"group": group.pk},
        {"group": group.pk, "roles": ["license_administrator"]},
        {"group": group.pk, "roles": ["forged"]},
        {"group": "9" * 40, "roles": ["user_administrator"]},
        {"group": "abc", "roles": ["user_administrator"]},
    ):
        response = signed_in.post(url, data)
        assert response.status_code == 400, data
    assert not AccessAssignment.objects.exists()
    assert not GdapEvent.objects.exists()


def test_assignment_on_an_ended_relationship_is_refused(signed_in, partner):
    customer = factories.CustomerFactory()
    relationship = factories.admin_relationship(partner, customer, status="terminated")
    group = factories.security_group(partner)
    response = signed_in.post(
        reverse("gdap:assignment_save", args=[relationship.pk]),
        {"group": group.pk, "roles": ["helpdesk_administrator"]},
    )
    assert response.status_code == 400
    assert not AccessAssignment.objects.exists()


def test_group_bad_names(signed_in, partner):
    factories.security_group(partner, name="Helpdesk team")
    for name, message in (
        ("", "Enter a name."),
        ("y" * 51, "at most 50 characters"),
        ("helpdesk TEAM", "already have a security group"),
    ):
        response = signed_in.post(reverse("gdap:groups"), {"name": name})
        assert response.status_code == 400
        assert message in _field_error(text(response), "name")
    assert SecurityGroup.objects.count() == 1


def test_group_forged_member_ids(signed_in, partner):
    for members in (["abc"], ["9" * 40], ["999999"]):
        response = signed_in.post(
            reverse("gdap:groups"), {"name": "Team", "members": members}
        )
        assert response.status_code == 400, members
    assert not SecurityGroup.objects.exists()


def test_terminate_reason_too_long(signed_in, partner):
    customer = factories.CustomerFactory()
    relationship = factories.admin_relationship(partner, customer)
    response = signed_in.post(
        reverse("gdap:terminate", args=[relationship.pk]), {"reason": "r" * 501}
    )
    assert response.status_code == 400
    relationship.refresh_from_db()
    assert relationship.status == AdminRelationship.Status.ACTIVE


@pytest.fixture
def marked_translations(monkeypatch):
    """Every gettext lookup marks what it returns: a message that reaches the
    page through gettext (in the user's language, once the lead compiles the
    catalogues) shows the marks; a plain string would not."""
    from django.utils import translation

    monkeypatch.setattr(translation._trans, "gettext", lambda message: f"⟦{message}⟧")


@pytest.mark.parametrize(
    "data, field",
    [case[1:3] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_messages_are_translatable(signed_in, marked_translations, data, field):
    response = signed_in.post(reverse("gdap:new"), _valid(**data))
    assert response.status_code == 400
    assert "⟦" in _field_error(text(response), field)


def test_duplicate_name_message_is_translatable(
    signed_in, partner, marked_translations
):
    factories.admin_relationship(partner, status="approval_pending", name="Twice")
    response = signed_in.post(reverse("gdap:new"), _valid(name="twice"))
    assert "⟦You already have an admin relationship" in _field_error(
        text(response), "name"
    )


# The cases, refused in French and German too (R19, R20).
TRANSLATED = {
    "fr": {
        "name_51": "Utilisez au plus 50 caractères",
        "duplicate": "Vous avez déjà une relation d'administrateur portant ce nom.",
        "duration": "Choisissez une durée de 1 à 730 jours.",
        "no_roles": "Choisissez au moins un rôle.",
        "unknown_role": "Choisissez des rôles dans la liste",
    },
    "de": {
        "name_51": "Verwenden Sie höchstens 50 Zeichen",
        "duplicate": "Sie haben bereits eine Administratorbeziehung mit diesem Namen.",
        "duration": "Wählen Sie eine Dauer von 1 bis 730 Tagen.",
        "no_roles": "Wählen Sie mindestens eine Rolle.",
        "unknown_role": "Wählen Sie Rollen aus der Liste",
    },
}
TRANSLATED_CASES = [
    ("name_51", {"name": "x" * 51}, "name"),
    ("duplicate", {"name": "TAILSPIN HELPDESK"}, "name"),
    ("duration", {"duration_days": "0"}, "duration_days"),
    ("duration", {"duration_days": "731"}, "duration_days"),
    ("no_roles", {"roles": []}, "roles"),
    ("unknown_role", {"roles": ["root_of_everything"]}, "roles"),
]


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize("key, data, field", TRANSLATED_CASES)
def test_request_refusals_in_french_and_german(
    signed_in, partner, settings, language, key, data, field
):
    factories.admin_relationship(
        partner, status="approval_pending", name="Tailspin Helpdesk"
    )
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    before = _nothing_written()
    response = signed_in.post(reverse("gdap:new"), _valid(**data))
    assert response.status_code == 400
    assert response.headers["Content-Language"] == language
    error = _field_error(text(response), field).replace("&#x27;", "'")
    assert TRANSLATED[language][key] in error
    assert _nothing_written() == before
