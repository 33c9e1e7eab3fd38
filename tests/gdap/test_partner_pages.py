"""R31, R33, R35, R36: the partner's pages of admin relationships, happy paths."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gdap.models import AccessAssignment, AdminRelationship, GdapEvent
from invitations.models import Invitation
from partners.models import Role
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db
S = AdminRelationship.Status


@pytest.fixture
def adatum(partner):
    customer = factories.CustomerFactory(name="Adatum Corporation")
    factories.RelationshipFactory(partner=partner, customer=customer)
    return customer


@pytest.fixture
def ava(make_partner_user):
    return make_partner_user(Role.GLOBAL_ADMIN, email="ava@contoso.test")


@pytest.fixture
def signed_in(client, ava):
    client.force_login(ava)
    return client


def _request_data(**overrides):
    data = {
        "name": "Tailspin helpdesk",
        "customer": "",
        "duration_days": "180",
        "roles": ["helpdesk_administrator", "user_administrator"],
        "recipient_email": "admin@tailspin.example",
        "email_language": "en",
    }
    data.update(overrides)
    return data


def test_request_form_shows_roles_with_what_they_allow(signed_in, adatum):
    response = signed_in.get(reverse("gdap:new") + f"?customer={adatum.pk}")
    assert response.status_code == 200
    body = text(response)
    assert "Request admin relationship" in body
    assert "Helpdesk Administrator" in body
    assert "reset passwords, open service requests" in body
    assert "Auto-extend" in body
    assert f'<option value="{adatum.pk}" selected>' in body
    assert 'value="730"' in body


def test_request_creates_pending_relationship_and_opens_its_draft(signed_in, partner):
    # R31 → the draft with Open in email / Copy / Send (R22).
    response = signed_in.post(reverse("gdap:new"), _request_data())
    relationship = AdminRelationship.objects.get(partner=partner)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "invitations:email", kwargs={"invitation_id": relationship.invitation_id}
    )
    assert relationship.status == S.APPROVAL_PENDING
    assert relationship.duration_days == 180
    assert sorted(r.role for r in relationship.roles.all()) == [
        "helpdesk_administrator",
        "user_administrator",
    ]
    assert relationship.invitation.kind == Invitation.Kind.ADMIN_RELATIONSHIP
    draft = signed_in.get(response["Location"])
    assert draft.status_code == 200
    body = text(draft)
    assert "Open in email" in body
    assert "Tailspin helpdesk" in body
    assert "Back to the admin relationship" in body
    assert (
        reverse(
            "gdap:for_request", kwargs={"invitation_id": relationship.invitation_id}
        )
        in body
    )
    assert '<p><a href="/invitations/">Relationship requests</a></p>' not in body
    assert '<a href="/admin-relationships/" aria-current="page">' in body


def test_draft_ok_goes_to_the_relationship_page(signed_in, partner, ava):
    relationship = factories.admin_relationship(
        partner, status="approval_pending", created_by=ava
    )
    response = signed_in.get(
        reverse(
            "gdap:for_request", kwargs={"invitation_id": relationship.invitation_id}
        )
    )
    assert response["Location"] == reverse(
        "gdap:detail", kwargs={"relationship_id": relationship.pk}
    )
    page = text(signed_in.get(response["Location"]))
    assert "Approval pending" in page
    assert (
        reverse(
            "invitations:email", kwargs={"invitation_id": relationship.invitation_id}
        )
        in page
    )


def test_reseller_draft_keeps_its_back_link(signed_in, partner, ava):
    invitation = factories.InvitationFactory(partner=partner, created_by=ava)
    body = text(
        signed_in.get(
            reverse("invitations:email", kwargs={"invitation_id": invitation.pk})
        )
    )
    assert '<p><a href="/invitations/">Relationship requests</a></p>' in body
    assert "Back to the admin relationship" not in body


def test_list_shows_status_customer_roles_end_and_assignments(
    signed_in, partner, adatum
):
    active = factories.admin_relationship(
        partner, adatum, name="Adatum helpdesk", roles=("helpdesk_administrator",)
    )
    factories.assignment(active, factories.security_group(partner, name="Helpdesk"))
    factories.admin_relationship(
        partner,
        adatum,
        name="Litware licenses",
        roles=("license_administrator",),
        ends_at=timezone.now() + timedelta(days=10),
    )
    factories.admin_relationship(partner, name="Tailspin", status="approval_pending")
    response = signed_in.get(reverse("gdap:list"))
    assert response.status_code == 200
    body = text(response)
    for expected in (
        "Adatum helpdesk",
        "Litware licenses",
        "Tailspin",
        "Adatum Corporation",
        "Helpdesk Administrator",
        "License Administrator",
        'data-status="active"',
        'data-status="expiring"',
        'data-status="approval_pending"',
        "Expiring in 30 days",
        "Request admin relationship",
    ):
        assert expected in body, expected


def test_list_filters_expiring_and_searches(signed_in, partner, adatum):
    factories.admin_relationship(partner, adatum, name="Adatum helpdesk")
    factories.admin_relationship(
        partner,
        adatum,
        name="Litware licenses",
        ends_at=timezone.now() + timedelta(days=10),
    )
    expiring = text(signed_in.get(reverse("gdap:list") + "?status=expiring"))
    assert "Litware licenses" in expiring
    assert "Adatum helpdesk" not in expiring
    found = text(signed_in.get(reverse("gdap:list") + "?q=helpdesk"))
    assert "Adatum helpdesk" in found
    assert "Litware licenses" not in found
    by_customer = text(signed_in.get(reverse("gdap:list") + "?q=adatum"))
    assert "Adatum helpdesk" in by_customer and "Litware licenses" in by_customer
    sorted_page = signed_in.get(reverse("gdap:list") + "?sort=-name")
    assert sorted_page.status_code == 200
    body = text(sorted_page)
    assert body.index("Litware licenses") < body.index("Adatum helpdesk")


def test_active_relationship_without_assignment_warns(signed_in, partner, adatum):
    # R33: the exact warning.
    relationship = factories.admin_relationship(partner, adatum)
    body = text(
        signed_in.get(
            reverse("gdap:detail", kwargs={"relationship_id": relationship.pk})
        )
    )
    assert (
        "Nobody at Contoso Cloud Partners can use this relationship until you "
        "assign a security group." in body
    )
    assert "Reset passwords, open service requests" in body


def test_assign_change_and_remove(signed_in, partner, adatum, ava):
    relationship = factories.admin_relationship(partner, adatum)
    group = factories.security_group(partner, ava, name="Helpdesk team")
    url = reverse("gdap:assignment_save", kwargs={"relationship_id": relationship.pk})
    detail = reverse("gdap:detail", kwargs={"relationship_id": relationship.pk})
    response = signed_in.post(
        url, {"group": group.pk, "roles": ["helpdesk_administrator"]}
    )
    assert response.status_code == 302
    assignment = AccessAssignment.objects.get(relationship=relationship)
    assert [r.role for r in assignment.roles.all()] == ["helpdesk_administrator"]
    page = text(signed_in.get(detail))
    assert "Helpdesk team" in page
    assert "until you assign a security group" not in page
    # The same group again changes its roles.
    signed_in.post(
        url,
        {"group": group.pk, "roles": ["helpdesk_administrator", "user_administrator"]},
    )
    assignment = AccessAssignment.objects.get(relationship=relationship)
    assert sorted(r.role for r in assignment.roles.all()) == [
        "helpdesk_administrator",
        "user_administrator",
    ]
    response = signed_in.post(
        reverse(
            "gdap:assignment_delete",
            kwargs={"relationship_id": relationship.pk, "assignment_id": assignment.pk},
        )
    )
    assert response.status_code == 302
    assert not AccessAssignment.objects.filter(relationship=relationship).exists()
    kinds = list(
        GdapEvent.objects.filter(relationship=relationship)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["assignment_created", "assignment_changed", "assignment_deleted"]


def test_assign_a_role_outside_the_relationship_is_refused(signed_in, partner, adatum):
    relationship = factories.admin_relationship(
        partner, adatum, roles=("helpdesk_administrator",)
    )
    group = factories.security_group(partner, name="Helpdesk team")
    response = signed_in.post(
        reverse("gdap:assignment_save", kwargs={"relationship_id": relationship.pk}),
        {"group": group.pk, "roles": ["global_administrator"]},
    )
    assert response.status_code == 400
    assert "Choose roles of this admin relationship." in text(response)
    assert not AccessAssignment.objects.exists()


def test_terminate_asks_then_terminates(signed_in, partner, adatum):
    relationship = factories.admin_relationship(partner, adatum)
    url = reverse("gdap:terminate", kwargs={"relationship_id": relationship.pk})
    confirm = signed_in.get(url)
    assert confirm.status_code == 200
    assert "loses the access" in text(confirm)
    relationship.refresh_from_db()
    assert relationship.status == S.ACTIVE
    response = signed_in.post(url, {"reason": "Project over"})
    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == S.TERMINATED
    event = GdapEvent.objects.get(relationship=relationship, kind="terminated")
    assert event.details == {"side": "partner", "reason": "Project over"}
    page = text(signed_in.get(response["Location"]))
    assert "Terminated" in page
    assert (
        reverse("gdap:terminate", kwargs={"relationship_id": relationship.pk})
        not in page
    )


def test_terminate_pending_revokes_its_link(signed_in, partner):
    relationship = factories.admin_relationship(partner, status="approval_pending")
    signed_in.post(
        reverse("gdap:terminate", kwargs={"relationship_id": relationship.pk})
    )
    relationship.refresh_from_db()
    assert relationship.status == S.TERMINATED
    assert relationship.invitation.status == Invitation.Status.REVOKED


def test_auto_extend_refused_with_global_admin_until_removed(
    signed_in, partner, adatum
):
    # R31/R35: refused with Global Administrator; accepted after its removal.
    relationship = factories.admin_relationship(
        partner, adatum, roles=("global_administrator", "user_administrator")
    )
    toggle = reverse("gdap:auto_extend", kwargs={"relationship_id": relationship.pk})
    refused = signed_in.post(toggle, {"auto_extend": "on"})
    assert refused.status_code == 400
    assert "Remove Global Administrator first" in text(refused)
    relationship.refresh_from_db()
    assert relationship.auto_extend is False

    remove = reverse(
        "gdap:remove_global_admin", kwargs={"relationship_id": relationship.pk}
    )
    confirm = signed_in.get(remove)
    assert confirm.status_code == 200
    assert "Remove Global Administrator" in text(confirm)
    assert signed_in.post(remove).status_code == 302
    relationship.refresh_from_db()
    assert [r.role for r in relationship.roles.all()] == ["user_administrator"]

    assert signed_in.post(toggle, {"auto_extend": "on"}).status_code == 302
    relationship.refresh_from_db()
    assert relationship.auto_extend is True
    assert "On: 180 more days" in text(
        signed_in.get(
            reverse("gdap:detail", kwargs={"relationship_id": relationship.pk})
        )
    )
    signed_in.post(toggle, {})
    relationship.refresh_from_db()
    assert relationship.auto_extend is False


def test_event_history_on_the_page(signed_in, partner, adatum, ava):
    relationship = factories.admin_relationship(partner, adatum)
    signed_in.post(
        reverse("gdap:auto_extend", kwargs={"relationship_id": relationship.pk}),
        {"auto_extend": "on"},
    )
    body = text(
        signed_in.get(
            reverse("gdap:detail", kwargs={"relationship_id": relationship.pk})
        )
    )
    assert "Auto-extend turned on" in body


def test_navigation_for_admins_only(client, partner, ava, make_partner_user):
    client.force_login(ava)
    assert reverse("gdap:list") in text(client.get(reverse("customers:list")))
    sales = make_partner_user(Role.SALES_AGENT, email="sara@contoso.test")
    client.force_login(sales)
    body = text(client.get(reverse("customers:list")))
    assert reverse("gdap:list") not in body


def test_reseller_request_page_links_to_admin_relationship(
    client, partner, ava, make_partner_user
):
    # R37: shown to those who may use it.
    client.force_login(ava)
    body = text(client.get(reverse("invitations:new")))
    assert reverse("gdap:new") in body
    assert "least" in body or "only for the roles" in body
    client.force_login(make_partner_user(Role.SALES_AGENT, email="s@contoso.test"))
    assert reverse("gdap:new") not in text(client.get(reverse("invitations:new")))


# R36, header: at 1366 px a Global admin's header (the most entries) is two steady
# rows in every language, the Admin relationships entry included: the brand and
# the tools on the first, every navigation entry on the second.
HEADER_ROWS = """() => {
  const middle = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 ? Math.round(r.top + r.height / 2) : null;
  };
  const header = document.querySelector('.site-header__inner');
  const rows = (selector) => [...new Set(
    [...header.querySelectorAll(selector)].map(middle).filter((m) => m !== null)
  )];
  return {
    top: rows('.brand, .header-tools > *'),
    nav: rows('.nav li'),
  };
}"""


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_header_is_two_steady_rows_at_1366(
    browser, live_server, partner, ava, language
):
    from tests.browser.test_every_page import _context
    from tests.pages import Visitor

    ava.first_name, ava.last_name = "Ava", "Admin"
    ava.save()
    context = _context(browser, live_server, Visitor("ava", ava), language, 1366)
    try:
        page = context.new_page()
        page.goto("/admin-relationships/")
        current = page.locator(".nav a[aria-current='page']")
        assert current.get_attribute("href") == reverse("gdap:list")
        rows = page.evaluate(HEADER_ROWS)
        assert max(rows["top"]) - min(rows["top"]) <= 12, rows
        assert max(rows["nav"]) - min(rows["nav"]) <= 12, rows
        assert min(rows["nav"]) > max(rows["top"]), rows
    finally:
        context.close()
