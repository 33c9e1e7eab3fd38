"""R34/R35/R36 on the Customers card: Users and Licenses each as
``customers.access`` decides them, the Account section naming the active admin
relationships, what an ended reseller relationship says of them; R42/R43:
the Overview's "Ending in the next 30 days" and the Notifications page."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from core.services import notification_create
from customers.models import Customer, DirectoryUser, License, ResellerRelationship
from partners.models import Role
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db

LIST_URL = reverse("customers:list")
EXPANDED_URL = LIST_URL + "?expand=all"
REQUEST_DAP = "Request admin privileges"
RESELLER_ONLY = "This is a reseller-only relationship"


def card_url(customer):
    return reverse("customers:card", kwargs={"customer_id": customer.pk})


def detail_url(customer):
    return reverse("customers:detail", kwargs={"customer_id": customer.pk})


def sections(html):
    """The card's section headings present (h3 in a card, h2 on the page)."""
    return set(re.findall(r">(Users|Licenses|Services|Account)</h[23]>", html))


def card_in_list(html, customer):
    """One card of the expanded list: its row group, up to the next card's."""
    start = html.find(f'id="card-{customer.pk}"')
    assert start >= 0, "card not on the page"
    end = html.find('<tbody class="customer"', start + 1)
    return html[start : end if end > 0 else len(html)]


@pytest.fixture
def customer(db):
    customer = factories.CustomerFactory(name="Tailspin", domain="tailspin.example")
    factories.DirectoryUserFactory(customer=customer, display_name="Dana Directory")
    factories.LicenseFactory(customer=customer, product="Office 365 E5")
    return customer


@pytest.fixture
def reseller(partner, customer):
    """A reseller relationship without DAP (the anchor's default since 2023)."""
    return factories.RelationshipFactory(
        partner=partner, customer=customer, dap_active=False
    )


@pytest.fixture
def hugo(make_partner_user):
    return make_partner_user(Role.HELPDESK_AGENT, email="hugo@contoso.test")


def grant(partner, customer, user, roles, **fields):
    admin = factories.admin_relationship(partner, customer, roles=roles, **fields)
    factories.assignment(admin, factories.security_group(partner, user))
    return admin


def pages(client, customer):
    """The three places a card shows: its body, the customer's page, the
    expanded list (each as the part about ``customer``)."""
    body = client.get(card_url(customer))
    detail = client.get(detail_url(customer))
    listed = client.get(EXPANDED_URL)
    for response in (body, detail, listed):
        assert response.status_code == 200
    return {
        "body": text(body),
        "detail": text(detail),
        "list": card_in_list(text(listed), customer),
    }


# --- R34: Users and Licenses, each on its own -------------------------------------


@pytest.mark.parametrize(
    ("roles", "shown"),
    [
        (("license_administrator",), {"Licenses"}),
        (("helpdesk_administrator",), {"Users"}),
        (("global_reader",), {"Users", "Licenses"}),
        (("exchange_administrator",), set()),
    ],
)
def test_card_without_dap_shows_what_the_assigned_roles_open(
    client, partner, customer, reseller, hugo, roles, shown
):
    grant(partner, customer, hugo, roles)
    client.force_login(hugo)
    for where, html in pages(client, customer).items():
        found = sections(html) & {"Users", "Licenses"}
        assert found == shown, where
        assert ("Dana Directory" in html) == ("Users" in shown), where
        assert ("Office 365 E5" in html) == ("Licenses" in shown), where


def test_card_with_gdap_access_says_where_it_comes_from_and_offers_no_dap_request(
    client, partner, customer, reseller, admin_agent
):
    grant(partner, customer, admin_agent, ("license_administrator",))
    client.force_login(admin_agent)
    html = text(client.get(card_url(customer)))
    assert "your admin relationships let you see its licenses" in html
    assert RESELLER_ONLY not in html
    assert REQUEST_DAP not in html


def test_card_without_any_access_keeps_the_reseller_notice_and_request(
    client, partner, customer, reseller, admin_agent
):
    # An assignment whose roles open neither section: as before.
    grant(partner, customer, admin_agent, ("exchange_administrator",))
    client.force_login(admin_agent)
    html = text(client.get(card_url(customer)))
    assert RESELLER_ONLY in html
    assert REQUEST_DAP in html


def test_card_gdap_never_opens_the_directory_beyond_r1(
    client, partner, customer, reseller, make_partner_user
):
    # R1: a Sales agent in an assigned group still sees no users or licenses.
    sales = make_partner_user(Role.SALES_AGENT)
    grant(partner, customer, sales, ("global_reader",))
    client.force_login(sales)
    for where, html in pages(client, customer).items():
        assert not sections(html) & {"Users", "Licenses"}, where


def test_card_services_stay_r11_with_gdap(client, partner, customer, reseller, hugo):
    # R11: without DAP, Services lists only what the partner provisioned,
    # whatever the admin relationship grants.
    factories.SubscriptionFactory(customer=customer, offer_name="Theirs")
    factories.SubscriptionFactory(
        customer=customer, offer_name="Ours", provisioned_by=partner
    )
    grant(partner, customer, hugo, ("global_administrator",))
    client.force_login(hugo)
    html = text(client.get(card_url(customer)))
    assert "Ours" in html
    assert "Theirs" not in html
    assert {"Users", "Licenses"} <= sections(html)


def test_card_with_dap_is_as_before(client, partner, customer, hugo):
    factories.RelationshipFactory(partner=partner, customer=customer, dap_active=True)
    client.force_login(hugo)
    for where, html in pages(client, customer).items():
        assert {"Users", "Licenses"} <= sections(html), where


def test_another_partners_admin_relationship_opens_nothing(
    client, partner, other_partner, customer, reseller, hugo
):
    # R17: only the viewer's partner's relationships count.
    theirs = factories.admin_relationship(
        other_partner, customer, roles=("global_reader",)
    )
    factories.assignment(theirs, factories.security_group(other_partner, hugo))
    client.force_login(hugo)
    html = text(client.get(card_url(customer)))
    assert not sections(html) & {"Users", "Licenses"}
    assert theirs.name not in html


# --- R36: the Account section names the active admin relationships ---------------


def test_account_names_active_admin_relationships_with_end_dates(
    client, partner, customer, reseller, admin_agent
):
    now = timezone.now()
    active = factories.admin_relationship(
        partner, customer, name="Tailspin helpdesk", ends_at=now + timedelta(days=40)
    )
    factories.admin_relationship(
        partner,
        customer,
        name="Old one",
        status="expired",
        approved_at=now - timedelta(days=10),
        ends_at=now - timedelta(days=1),
    )
    factories.admin_relationship(
        partner, customer, name="Pending one", status="approval_pending"
    )
    client.force_login(admin_agent)
    link = reverse("gdap:detail", kwargs={"relationship_id": active.pk})
    for where, html in pages(client, customer).items():
        assert "Admin relationships" in html, where
        assert f'<a href="{link}">Tailspin helpdesk</a>' in html, where
        assert "Old one" not in html and "Pending one" not in html, where
        assert f"ends on {date_format(timezone.localtime(active.ends_at))}" in html


def test_account_names_them_without_links_for_who_cannot_manage_them(
    client, partner, customer, reseller, hugo
):
    active = factories.admin_relationship(partner, customer, name="Tailspin helpdesk")
    client.force_login(hugo)
    html = text(client.get(card_url(customer)))
    assert "Tailspin helpdesk" in html
    assert reverse("gdap:detail", kwargs={"relationship_id": active.pk}) not in html


def test_account_says_none_active(client, customer, reseller, admin_agent):
    client.force_login(admin_agent)
    assert "None active" in text(client.get(card_url(customer)))


# --- R35: ending the reseller relationship does not end admin relationships -------


def test_ended_reseller_relationship_page_says_which_admin_relationships_remain(
    client, partner, customer, reseller, admin_agent
):
    factories.admin_relationship(partner, customer, name="Tailspin helpdesk")
    ResellerRelationship.objects.filter(pk=reseller.pk).update(
        status="ended", ended_at=timezone.now()
    )
    client.force_login(admin_agent)
    html = text(client.get(detail_url(customer)))
    assert "This relationship ended on" in html
    assert "Tailspin helpdesk" in html
    assert "this admin relationship remains active" in html
    # R17: still nothing current of the tenant.
    assert not sections(html) & {"Users", "Licenses"}


def test_end_confirmation_pages_say_which_admin_relationships_remain(
    client, partner, customer, reseller, admin_agent
):
    factories.admin_relationship(partner, customer, name="Tailspin helpdesk")
    client.force_login(admin_agent)
    html = text(client.get(reverse("customers:end", args=[customer.pk])))
    assert "does not end this admin relationship" in html
    assert "Tailspin helpdesk" in html
    admin = factories.customer_admin(customer, email="admin@tailspin.example")
    client.force_login(admin)
    html = text(
        client.get(
            reverse("customers:customer_end", kwargs={"relationship_id": reseller.pk})
        )
    )
    assert "does not end this admin relationship" in html
    assert "Tailspin helpdesk" in html
    # The customer has no page of the partner's relationship to go to.
    assert "/admin-relationships/" not in html


def test_ending_the_reseller_relationship_leaves_admin_relationships_active(
    client, partner, customer, reseller, admin_agent
):
    admin = factories.admin_relationship(partner, customer, name="Tailspin helpdesk")
    client.force_login(admin_agent)
    response = client.post(reverse("customers:end", args=[customer.pk]), follow=True)
    assert response.status_code == 200
    assert "remain active until they end or are terminated: Tailspin helpdesk" in text(
        response
    )
    admin.refresh_from_db()
    assert admin.status == "active"


# --- Constant queries --------------------------------------------------------------


def make_page(partner, user, count, prefix="load"):
    """``count`` customers without DAP, each with an admin relationship assigned
    to ``user``'s group (licenses on even ones, users on odd ones)."""
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"{prefix} {i:04d}",
            domain=f"{prefix}-{i:04d}.example",
            country="FR",
            cloud="public",
        )
        for i in range(count)
    )
    ResellerRelationship.objects.bulk_create(
        ResellerRelationship(
            partner=partner, customer=c, dap_active=False, since=timezone.now()
        )
        for c in customers
    )
    DirectoryUser.objects.bulk_create(
        DirectoryUser(customer=c, display_name="Someone", email=f"s@{c.domain}")
        for c in customers
    )
    License.objects.bulk_create(
        License(customer=c, product="Product", assigned=1, total=2) for c in customers
    )
    group = factories.security_group(partner, user)
    for i, c in enumerate(customers):
        roles = ("license_administrator",) if i % 2 == 0 else ("user_administrator",)
        factories.assignment(
            factories.admin_relationship(partner, c, roles=roles), group
        )
    return customers


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), text(response)


def test_expanded_list_queries_do_not_grow_with_admin_relationships(
    client, partner, hugo
):
    client.force_login(hugo)
    make_page(partner, hugo, 5)
    few, few_html = count_queries(client, EXPANDED_URL)
    assert few_html.count(">Licenses</h3>") == 3
    assert few_html.count(">Users</h3>") == 2
    make_page(partner, hugo, 495, prefix="more")
    many, many_html = count_queries(client, EXPANDED_URL)
    assert many_html.count(">Licenses</h3>") + many_html.count(">Users</h3>") == 25
    # The page count (COUNT) comes in once there is more than one page.
    assert many <= few + 1


@pytest.mark.parametrize("count", [5, 500])
def test_card_pages_stay_under_a_fixed_bound(
    client, partner, hugo, django_assert_max_num_queries, count
):
    customers = make_page(partner, hugo, count)
    client.force_login(hugo)
    # One query for every admin relationship fact of the page (R34, R36).
    with django_assert_max_num_queries(15):
        client.get(EXPANDED_URL)
    with django_assert_max_num_queries(14):
        client.get(detail_url(customers[0]))
    with django_assert_max_num_queries(14):
        client.get(card_url(customers[0]))


# --- R42: the Overview; R43: Notifications ----------------------------------------


def test_overview_lists_admin_relationships_ending_in_30_days(
    client, partner, customer, reseller, admin_agent
):
    now = timezone.now()
    soon = factories.admin_relationship(
        partner, customer, name="Litware licenses", ends_at=now + timedelta(days=10)
    )
    factories.admin_relationship(
        partner, customer, name="Far away", ends_at=now + timedelta(days=31)
    )
    factories.admin_relationship(
        factories.PartnerFactory(),
        customer,
        name="Not ours",
        ends_at=now + timedelta(days=3),
    )
    client.force_login(admin_agent)
    html = text(client.get(reverse("partners:overview")))
    assert "Litware licenses — Tailspin" in html
    assert reverse("gdap:detail", kwargs={"relationship_id": soon.pk}) in html
    assert "Admin relationship ends" in html
    assert "Far away" not in html and "Not ours" not in html
    assert reverse("gdap:list") + "?status=expiring" in html


def test_overview_ending_admin_relationships_only_for_those_who_manage_them(
    client, partner, customer, reseller, hugo
):
    factories.admin_relationship(
        partner,
        customer,
        name="Litware licenses",
        ends_at=timezone.now() + timedelta(days=10),
    )
    client.force_login(hugo)
    response = client.get(reverse("partners:overview"))
    assert response.status_code == 200
    assert "Litware licenses" not in text(response)


def soon_relationships(partner, count, *, prefix):
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"{prefix} {i:04d}",
            domain=f"{prefix}-{i}.example",
            country="FR",
            cloud="public",
        )
        for i in range(count)
    )
    for i, c in enumerate(customers):
        factories.admin_relationship(
            partner, c, ends_at=now + timedelta(days=1 + i % 29)
        )


def test_overview_queries_same_for_5_and_500_ending(client, partner, admin_agent):
    client.force_login(admin_agent)
    soon_relationships(partner, 5, prefix="few")
    few, few_html = count_queries(client, reverse("partners:overview"))
    assert few_html.count("Admin relationship ends") == 5
    soon_relationships(partner, 495, prefix="many")
    many, many_html = count_queries(client, reverse("partners:overview"))
    # The panel shows the ten soonest and says how many there are.
    assert many_html.count("Admin relationship ends") == 10
    assert "500 in all." in many_html
    assert many == few


@pytest.mark.parametrize(
    ("kind", "params", "expected"),
    [
        ("approved", {}, "Tailspin approved the admin relationship “Helpdesk”."),
        ("declined", {}, "Tailspin declined the admin relationship “Helpdesk”."),
        (
            "expiring",
            {"days": 7},
            "The admin relationship “Helpdesk” with Tailspin ends in 7 days.",
        ),
        ("expired", {}, "The admin relationship “Helpdesk” with Tailspin has expired."),
        (
            "terminated",
            {},
            "The admin relationship “Helpdesk” with Tailspin was terminated.",
        ),
        (
            "auto_extended",
            {},
            "The admin relationship “Helpdesk” with Tailspin was extended by 180 days.",
        ),
    ],
)
def test_notifications_page_renders_admin_relationship_notices(
    client, admin_agent, kind, params, expected
):
    notification_create(
        recipient=admin_agent,
        kind=f"admin_relationship_{kind}",
        params={"name": "Helpdesk", "customer": "Tailspin", **params},
        link="/admin-relationships/1/",
    )
    client.force_login(admin_agent)
    html = text(client.get(reverse("partners:notifications")))
    assert expected in html
    assert "admin_relationship_" not in html
