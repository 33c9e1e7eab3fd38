"""R32/R35/R36: the customer administrator's side of admin relationships.

"Partner relationships" lists the organisation's admin relationships (partner,
name, roles, status, end date, auto-extend) with Terminate (a confirmation
page, then POST) and auto-extend on/off (refused with Global Administrator).
R1: customer administrators only; R17: another organisation's id is a 404,
GET and POST.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from gdap.models import AdminRelationship, GdapEvent
from partners.models import Role
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db

PARTNERS_URL = reverse("customers:partners")
# The page with the admin relationships: two queries for them (rows, roles).
MAX_PAGE_QUERIES = 12


def terminate_url(relationship):
    return reverse(
        "gdap:customer_terminate", kwargs={"relationship_id": relationship.pk}
    )


def auto_extend_url(relationship):
    return reverse(
        "gdap:customer_auto_extend", kwargs={"relationship_id": relationship.pk}
    )


@pytest.fixture
def customer(db):
    return factories.CustomerFactory(name="Tailspin", domain="tailspin.example")


@pytest.fixture
def admin_client(client, customer_admin):
    client.force_login(customer_admin)
    return client


@pytest.fixture
def helpdesk(partner, customer):
    factories.RelationshipFactory(partner=partner, customer=customer, dap_active=False)
    return factories.admin_relationship(
        partner,
        customer,
        name="Tailspin helpdesk",
        roles=("helpdesk_administrator", "user_administrator"),
        duration_days=180,
    )


@pytest.fixture
def foreign(other_partner):
    """An admin relationship of another organisation (R17)."""
    return factories.admin_relationship(
        other_partner, factories.CustomerFactory(), name="Not yours"
    )


def events(relationship, kind):
    return GdapEvent.objects.filter(relationship=relationship, kind=kind).count()


# --- The list ----------------------------------------------------------------------


def test_partner_relationships_lists_admin_relationships_with_roles_and_end(
    admin_client, helpdesk, partner, foreign
):
    html = text(admin_client.get(PARTNERS_URL))
    assert "Admin relationships" in html
    assert "Tailspin helpdesk" in html
    assert partner.name in html
    assert "Helpdesk Administrator, User Administrator" in html
    assert '<span class="badge badge--active">Active</span>' in html
    assert date_format(timezone.localtime(helpdesk.ends_at)) in html
    assert terminate_url(helpdesk) in html
    assert "Turn auto-extend on" in html
    # R17: another organisation's relationships are not listed.
    assert "Not yours" not in html


def test_partner_relationships_in_french_uses_the_labels(admin_client, helpdesk):
    # The catalogue's French names (DESIGN 8.6, 8.7; needs compiled messages).
    html = text(admin_client.get(PARTNERS_URL, HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Administrateur du support technique" in html
    assert "Relations d'administrateur" in html


def test_partner_relationships_shows_ended_ones_without_actions(
    admin_client, partner, customer
):
    now = timezone.now()
    expired = factories.admin_relationship(
        partner,
        customer,
        name="Old one",
        status="expired",
        approved_at=now - timedelta(days=10),
        ends_at=now - timedelta(days=1),
    )
    past_end = factories.admin_relationship(
        partner,
        customer,
        name="Past its end",
        approved_at=now - timedelta(days=10),
        ends_at=now - timedelta(seconds=1),
    )
    html = text(admin_client.get(PARTNERS_URL))
    assert "Old one" in html and "Past its end" in html
    # Shown as expired before the job ran; nothing to terminate.
    assert html.count('<span class="badge badge--expired">Expired</span>') == 2
    assert terminate_url(expired) not in html
    assert terminate_url(past_end) not in html


def test_partner_relationships_expiring_badge(admin_client, partner, customer):
    factories.admin_relationship(
        partner, customer, ends_at=timezone.now() + timedelta(days=10)
    )
    assert "Expiring</span>" in text(admin_client.get(PARTNERS_URL))


def test_partner_relationships_empty_state(admin_client):
    html = text(admin_client.get(PARTNERS_URL))
    assert "No partner has an admin relationship with your organisation." in html


@pytest.mark.parametrize("count", [5, 500])
def test_partner_relationships_queries_stay_under_a_fixed_bound(
    admin_client, customer, django_assert_max_num_queries, count
):
    partners = [factories.PartnerFactory() for _ in range(3)]
    for i in range(count):
        factories.admin_relationship(partners[i % 3], customer, name=f"AR {i:04d}")
    with django_assert_max_num_queries(MAX_PAGE_QUERIES):
        response = admin_client.get(PARTNERS_URL)
    assert text(response).count("Turn auto-extend on") == count


def test_partner_relationships_queries_same_for_5_and_500(admin_client, customer):
    partner = factories.PartnerFactory()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(PARTNERS_URL)
        assert response.status_code == 200
        return len(captured)

    for i in range(5):
        factories.admin_relationship(partner, customer, name=f"Few {i}")
    few = queries()
    for i in range(495):
        factories.admin_relationship(partner, customer, name=f"Many {i}")
    assert queries() == few


# --- Terminate ---------------------------------------------------------------------


def test_terminate_asks_for_confirmation_then_terminates(admin_client, helpdesk):
    page = admin_client.get(terminate_url(helpdesk))
    assert page.status_code == 200
    assert "Terminate “Tailspin helpdesk”" in text(page)
    helpdesk.refresh_from_db()
    assert helpdesk.status == "active"  # GET changes nothing
    response = admin_client.post(
        terminate_url(helpdesk), {"reason": "No longer needed"}, follow=True
    )
    assert response.redirect_chain[-1][0] == PARTNERS_URL
    assert "was terminated" in text(response)
    helpdesk.refresh_from_db()
    assert helpdesk.status == "terminated"
    event = GdapEvent.objects.get(relationship=helpdesk, kind="terminated")
    assert event.details["side"] == "customer"
    assert event.details["reason"] == "No longer needed"


def test_terminate_twice_is_refused_and_writes_nothing(admin_client, helpdesk):
    admin_client.post(terminate_url(helpdesk))
    response = admin_client.post(terminate_url(helpdesk))
    assert response.status_code == 400
    assert "already ended" in text(response)
    assert events(helpdesk, "terminated") == 1


def test_terminate_reason_too_long_is_refused(admin_client, helpdesk):
    response = admin_client.post(terminate_url(helpdesk), {"reason": "x" * 501})
    assert response.status_code == 400
    helpdesk.refresh_from_db()
    assert helpdesk.status == "active"


def test_terminate_ends_access_on_the_card(client, admin_client, partner, helpdesk):
    hugo = factories.partner_user(partner, role=Role.HELPDESK_AGENT)
    factories.assignment(helpdesk, factories.security_group(partner, hugo))
    admin_client.post(terminate_url(helpdesk))
    client.force_login(hugo)
    html = text(client.get(reverse("customers:card", args=[helpdesk.customer_id])))
    assert ">Users</h3>" not in html


# --- Auto-extend -------------------------------------------------------------------


def test_auto_extend_on_and_off(admin_client, helpdesk):
    response = admin_client.post(auto_extend_url(helpdesk), {"on": "1"})
    assert response.status_code == 302
    helpdesk.refresh_from_db()
    assert helpdesk.auto_extend
    assert "Turn auto-extend off" in text(admin_client.get(PARTNERS_URL))
    admin_client.post(auto_extend_url(helpdesk), {"on": "0"})
    helpdesk.refresh_from_db()
    assert not helpdesk.auto_extend
    assert events(helpdesk, "auto_extend_on") == 1
    assert events(helpdesk, "auto_extend_off") == 1
    assert (
        GdapEvent.objects.filter(relationship=helpdesk, kind="auto_extend_on")
        .get()
        .details["side"]
        == "customer"
    )


def test_auto_extend_with_global_administrator_is_refused(
    admin_client, partner, customer
):
    ga = factories.admin_relationship(
        partner, customer, roles=("global_administrator",), name="Everything"
    )
    html = text(admin_client.get(PARTNERS_URL))
    assert "Auto-extend is not available with Global Administrator." in html
    response = admin_client.post(auto_extend_url(ga), {"on": "1"})
    assert response.status_code == 400
    assert "Global Administrator" in text(response)
    ga.refresh_from_db()
    assert not ga.auto_extend


@pytest.mark.parametrize("value", ["", "yes", "2"])
def test_auto_extend_bad_value_is_refused(admin_client, helpdesk, value):
    response = admin_client.post(auto_extend_url(helpdesk), {"on": value})
    assert response.status_code == 400
    helpdesk.refresh_from_db()
    assert not helpdesk.auto_extend


def test_auto_extend_is_post_only(admin_client, helpdesk):
    assert admin_client.get(auto_extend_url(helpdesk)).status_code == 405


def test_auto_extend_of_an_expired_one_is_refused(admin_client, partner, customer):
    now = timezone.now()
    past = factories.admin_relationship(
        partner,
        customer,
        approved_at=now - timedelta(days=10),
        ends_at=now - timedelta(seconds=1),
    )
    response = admin_client.post(auto_extend_url(past), {"on": "1"})
    assert response.status_code == 400
    assert not AdminRelationship.objects.get(pk=past.pk).auto_extend


# --- R17 and R1 --------------------------------------------------------------------


def test_another_organisations_relationship_is_404(admin_client, foreign):
    assert admin_client.get(terminate_url(foreign)).status_code == 404
    assert admin_client.post(terminate_url(foreign)).status_code == 404
    assert admin_client.post(auto_extend_url(foreign), {"on": "1"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "active" and not foreign.auto_extend


def test_unknown_id_is_404(admin_client):
    url = reverse("gdap:customer_terminate", kwargs={"relationship_id": 999999})
    assert admin_client.get(url).status_code == 404


@pytest.mark.parametrize("role", list(Role))
def test_partner_users_are_refused(client, partner, helpdesk, role):
    # R1: even the partner's own Global admin cannot act as the customer.
    client.force_login(factories.partner_user(partner, role=role))
    assert client.get(terminate_url(helpdesk)).status_code == 403
    assert client.post(terminate_url(helpdesk)).status_code == 403
    assert client.post(auto_extend_url(helpdesk), {"on": "1"}).status_code == 403
    helpdesk.refresh_from_db()
    assert helpdesk.status == "active" and not helpdesk.auto_extend


def test_customer_member_who_is_not_an_administrator_is_refused(
    client, customer, helpdesk
):
    member = factories.UserFactory()
    factories.CustomerMembershipFactory(user=member, customer=customer, is_admin=False)
    client.force_login(member)
    assert client.get(terminate_url(helpdesk)).status_code == 403
    assert client.post(terminate_url(helpdesk)).status_code == 403
    assert client.post(auto_extend_url(helpdesk), {"on": "1"}).status_code == 403


def test_signed_out_visitors_go_to_sign_in(client, helpdesk):
    response = client.post(terminate_url(helpdesk))
    assert response.status_code == 302
    assert "/login" in response["Location"]
    helpdesk.refresh_from_db()
    assert helpdesk.status == "active"


def test_post_without_csrf_token_is_refused(customer_admin, helpdesk):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(customer_admin)
    assert client.post(terminate_url(helpdesk)).status_code == 403
    assert client.post(auto_extend_url(helpdesk), {"on": "1"}).status_code == 403
