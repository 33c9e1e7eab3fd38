"""R11: the Customers page and the customer's own page (the no-JS card)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import (
    Customer,
    DirectoryUser,
    License,
    ResellerRelationship,
    ServiceRequest,
    Subscription,
    SupportContact,
)
from partners.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("customers:list")
# Every card body rendered server-side (what the arrow fetches, or ?expand=all).
EXPANDED_URL = LIST_URL + "?expand=all"
# The Customers page of 5 or 500 customers, every card fully rendered (R11, issue 4).
# 15 today: session, user, notices, membership, roles, partner, count, relationships,
# six prefetches (subscriptions, users, licenses, contacts, events, requests) and the
# admin relationships (R34's roles held and R36's names, one query for the page).
MAX_LIST_QUERIES = 15
# Collapsed cards: session, user, notices, membership, roles, count, relationships.
MAX_COLLAPSED_LIST_QUERIES = 8


def card_html(html, customer):
    """One customer's card, or "" when it is not on the page: its row group of the
    Customers table (issue 12), or the <article> of the customer's page."""
    row = re.search(rf'<tbody[^>]*id="card-{customer.pk}"[^>]*data-card>', html)
    if row:
        # The card's own tables have row groups too: find the one that closes it.
        depth, position = 0, row.start()
        for tag in re.finditer(r"<tbody\b|</tbody>", html[position:]):
            depth += 1 if tag.group(0) == "<tbody" else -1
            if depth == 0:
                return html[position : position + tag.end()]
        return html[position:]
    match = re.search(
        rf'<article[^>]*aria-labelledby="card-{customer.pk}-title".*?</article>',
        html,
        re.S,
    )
    return match.group(0) if match else ""


def card_names(html):
    """The customers listed, in order: each row's name links to its page."""
    return re.findall(
        r'<a href="[^"]*" id="card-\d+-title" data-card-link>([^<]+)<', html
    )


@pytest.fixture
def viewer(client, admin_agent):
    client.force_login(admin_agent)
    return admin_agent


def related(partner, customer, *, dap=True, since=None, **fields):
    return factories.RelationshipFactory(
        partner=partner,
        customer=customer,
        dap_active=dap,
        since=since or timezone.now(),
        **fields,
    )


# --- What is listed -----------------------------------------------------------------


def test_list_shows_only_active_relationships_of_own_partner(
    client, viewer, partner, other_partner
):
    mine = factories.CustomerFactory(name="Adatum")
    ended = factories.CustomerFactory(name="Endeavour")
    theirs = factories.CustomerFactory(name="Theirs Only")
    nobody = factories.CustomerFactory(name="Unrelated")
    related(partner, mine)
    related(
        partner,
        ended,
        status=ResellerRelationship.Status.ENDED,
        ended_at=timezone.now(),
    )
    related(other_partner, theirs)
    related(other_partner, mine)  # multi-partner: still listed once, as ours
    html = client.get(LIST_URL).content.decode()
    assert card_names(html) == ["Adatum"]
    for customer in (ended, theirs, nobody):
        assert customer.name not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("adat", ["Adatum"]),
        ("ADATUM", ["Adatum"]),
        ("litware.example", ["Litware"]),
        (".example", ["Adatum", "Litware"]),
        ("tailspin", []),
    ],
)
def test_list_search_by_name_or_domain_filters_cards(
    client, viewer, partner, query, expected
):
    # R11: search by name or domain, whatever the letter case
    related(partner, factories.CustomerFactory(name="Adatum", domain="adatum.example"))
    related(
        partner, factories.CustomerFactory(name="Litware", domain="litware.example")
    )
    tailspin = factories.CustomerFactory(name="Tailspin", domain="tailspin.example")
    related(factories.PartnerFactory(), tailspin)  # not ours: never found
    response = client.get(LIST_URL, {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert card_names(html) == expected
    if not expected:
        assert "No customer matches" in html


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Adatum", "Bellows", "Contoso Ltd"]),
        ("-name", ["Contoso Ltd", "Bellows", "Adatum"]),
        ("since", ["Bellows", "Contoso Ltd", "Adatum"]),
        ("-since", ["Adatum", "Contoso Ltd", "Bellows"]),
        ("nonsense", ["Adatum", "Bellows", "Contoso Ltd"]),
    ],
)
def test_list_sort_orders_cards(client, viewer, partner, sort, expected):
    # R11: sort by name or relationship date; an unknown sort falls back to name.
    now = timezone.now()
    for name, days_ago in (("Bellows", 300), ("Adatum", 1), ("Contoso Ltd", 40)):
        related(
            partner,
            factories.CustomerFactory(name=name),
            since=now - timedelta(days=days_ago),
        )
    response = client.get(LIST_URL, {"sort": sort})
    assert response.status_code == 200
    assert card_names(response.content.decode()) == expected


def test_list_paginates_25_a_page(client, viewer, partner):
    # R11: pagination, 25 a page
    for i in range(30):
        related(partner, factories.CustomerFactory(name=f"Customer {i:02d}"))
    first = client.get(LIST_URL).content.decode()
    assert card_names(first) == [f"Customer {i:02d}" for i in range(25)]
    assert "Page 1 of 2" in first
    assert 'rel="next"' in first
    second = client.get(LIST_URL, {"page": 2}).content.decode()
    assert card_names(second) == [f"Customer {i:02d}" for i in range(25, 30)]
    assert "Page 2 of 2" in second


def test_list_pagination_keeps_search_and_sort(client, viewer, partner):
    for i in range(30):
        related(partner, factories.CustomerFactory(name=f"Match {i:02d}"))
    html = client.get(LIST_URL, {"q": "match", "sort": "-name"}).content.decode()
    assert "?q=match&amp;sort=-name&amp;page=2" in html


def test_list_bad_page_number_shows_a_page_not_an_error(client, viewer, partner):
    related(partner, factories.CustomerFactory(name="Adatum"))
    for page in ("999", "abc", "-1"):
        response = client.get(LIST_URL, {"page": page})
        assert response.status_code == 200
        assert card_names(response.content.decode()) == ["Adatum"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("x" * 5000, []),
        ("%", []),
        ("_", []),
        ("'; --", []),
    ],
)
def test_list_search_odd_input_is_not_an_error(
    client, viewer, partner, query, expected
):
    # R20: no input gives a 500 (PostgreSQL refuses NUL in a text parameter).
    related(partner, factories.CustomerFactory(name="Adatum"))
    response = client.get(LIST_URL, {"q": query})
    assert response.status_code == 200
    assert card_names(response.content.decode()) == expected


@pytest.mark.parametrize("query", ["a\x00b", "ada\x00tum"])
def test_list_search_with_a_nul_byte_is_a_bad_request(client, viewer, query):
    # R20 / issue 11: a NUL byte is never part of a name; one middleware answers
    # 400 for any request carrying one, before a view (or PostgreSQL) sees it.
    response = client.get(LIST_URL, {"q": query})
    assert response.status_code == 400


def test_list_empty_state_points_to_request(client, viewer):
    # R11 / issue 4: an empty state that points to Request a reseller relationship.
    html = client.get(LIST_URL).content.decode()
    assert "No customers yet" in html
    empty = html[html.index("No customers yet") :]
    assert f'href="{reverse("invitations:new")}"' in empty
    assert "Request a reseller relationship" in empty


def test_list_empty_state_for_helpdesk_has_no_request_link(client, make_partner_user):
    # R1: no control for someone who lacks the role.
    client.force_login(make_partner_user(Role.HELPDESK_AGENT))
    html = client.get(LIST_URL).content.decode()
    assert "No customers yet" in html
    assert reverse("invitations:new") not in html


# --- The card -----------------------------------------------------------------------


@pytest.fixture
def adatum(partner, admin_agent):
    """A DAP customer with everything a card shows."""
    customer = factories.CustomerFactory(
        name="Adatum", domain="adatum.example", country="FR"
    )
    relationship = related(
        partner,
        customer,
        since=timezone.now().replace(year=2024, month=3, day=5, hour=12),
    )
    factories.SubscriptionFactory(
        customer=customer,
        offer_name="Microsoft 365 E3",
        quantity=50,
        provisioned_by=partner,
    )
    factories.SubscriptionFactory(
        customer=customer,
        offer_name="Exchange Online (Plan 1)",
        quantity=7,
        provisioned_by=None,
        status=Subscription.Status.SUSPENDED,
    )
    factories.DirectoryUserFactory(
        customer=customer, display_name="Megan Bowen", email="megan@adatum.example"
    )
    factories.LicenseFactory(
        customer=customer, product="Visio Plan 2", assigned=42, total=50
    )
    primary = factories.partner_user(
        partner=partner,
        role=Role.ADMIN_AGENT,
        first_name="Paula",
        last_name="Prime",
        email="paula@contoso.test",
    )
    factories.SupportContactFactory(
        relationship=relationship, user=primary, is_primary=True
    )
    return customer


def test_card_shows_account_services_users_and_licenses(client, viewer, adatum):
    # R11: Account, Services, Users, Licenses
    card = card_html(client.get(EXPANDED_URL).content.decode(), adatum)
    for heading in ("Account", "Services", "Users", "Licenses"):
        assert f">{heading}</h3>" in card
    # Account
    assert "adatum.example" in card
    assert "France" in card
    assert "Public cloud" in card
    assert "5 March 2024" in card
    assert "Paula Prime (primary)" in card

    # Services: offer, quantity, status, provisioned by this partner or not
    # Issue 12: cells are labelled (rows stack on narrow screens), statuses badges.
    def cells(*values):
        cell = r"<td[^>]*>(?:<span[^>]*>)?{}(?:</span>)?</td>"
        return "".join(cell.format(v) for v in values)

    assert re.search(cells("Microsoft 365 E3", "50", "Active", "Yes"), card)
    assert re.search(cells(r"Exchange Online \(Plan 1\)", "7", "Suspended", "No"), card)
    # Users and Licenses (assigned / total)
    assert "Megan Bowen" in card
    assert "megan@adatum.example" in card
    assert re.search(cells("Visio Plan 2", "42 / 50"), card)


def test_card_in_french_uses_labels_of_section_5(client, viewer, adatum):
    # R19: Compte / Services / Utilisateurs / Licences
    client.cookies["django_language"] = "fr"
    html = client.get(EXPANDED_URL).content.decode()
    card = card_html(html, adatum)
    for heading in ("Compte", "Services", "Utilisateurs", "Licences"):
        assert f">{heading}</h3>" in card
    assert "<h1>Clients</h1>" in html
    assert "Demander une relation de revendeur" in html


def test_card_expands_with_a_real_button_and_links_without_javascript(
    client, viewer, adatum
):
    # R11: a <button aria-expanded aria-controls>; without JS the name is a link.
    card = card_html(client.get(LIST_URL).content.decode(), adatum)
    button = re.search(r"<button[^>]*data-card-toggle[^>]*>", card).group(0)
    assert 'type="button"' in button
    assert 'aria-expanded="false"' in button
    assert f'aria-controls="card-{adatum.pk}-body"' in button
    assert f'id="card-{adatum.pk}-body"' in card
    assert f'href="{reverse("customers:detail", args=[adatum.pk])}"' in card


def test_card_without_dap_hides_users_and_licenses_and_foreign_services(
    client, viewer, partner, other_partner
):
    # R11: no DAP → no Users/Licenses, says why, only this partner's subscriptions.
    litware = factories.CustomerFactory(name="Litware")
    related(partner, litware, dap=False)
    factories.SubscriptionFactory(
        customer=litware, offer_name="Business Basic", provisioned_by=partner
    )
    factories.SubscriptionFactory(
        customer=litware, offer_name="Dynamics 365 Sales", provisioned_by=None
    )
    factories.SubscriptionFactory(
        customer=litware, offer_name="Other Partner Offer", provisioned_by=other_partner
    )
    factories.DirectoryUserFactory(customer=litware, display_name="Lee Gu")
    factories.LicenseFactory(customer=litware, product="Power BI Pro")
    card = card_html(client.get(EXPANDED_URL).content.decode(), litware)
    assert ">Account</h3>" in card
    assert ">Services</h3>" in card
    assert ">Users</h3>" not in card
    assert ">Licenses</h3>" not in card
    assert "Lee Gu" not in card
    assert "Power BI Pro" not in card
    assert "Business Basic" in card
    assert "Dynamics 365 Sales" not in card
    assert "Other Partner Offer" not in card
    assert "you do not have admin privileges" in card
    assert "Request admin privileges" in card
    assert (
        f'href="{reverse("invitations:new")}?dap=1&amp;customer={litware.pk}"' in card
    )


def test_card_request_admin_privileges_starts_request_with_dap_ticked(
    client, viewer, partner
):
    # R11 → R2: the link opens the request form with the DAP box ticked.
    litware = factories.CustomerFactory(name="Litware")
    related(partner, litware, dap=False)
    factories.customer_admin(litware, email="admin@litware.example")
    card = card_html(client.get(EXPANDED_URL).content.decode(), litware)
    href = re.search(r'href="([^"]+)"[^>]*>Request admin privileges', card).group(1)
    form = client.get(href.replace("&amp;", "&")).content.decode()
    checkbox = re.search(r'<input[^>]*name="include_dap"[^>]*>', form).group(0)
    assert "checked" in checkbox
    # It says for whom, and fills in an administrator's address.
    assert "Asking Litware for admin privileges" in form
    assert 'value="admin@litware.example"' in form


def test_request_form_ignores_a_customer_of_another_partner(
    client, viewer, other_partner
):
    # R17: the customer parameter never reveals another partner's customer.
    stranger = factories.CustomerFactory(name="Stranger Inc")
    related(other_partner, stranger)
    factories.customer_admin(stranger, email="admin@stranger.example")
    form = client.get(reverse("invitations:new"), {"customer": stranger.pk})
    assert form.status_code == 200
    assert "Stranger Inc" not in form.content.decode()
    assert "admin@stranger.example" not in form.content.decode()


def test_card_without_dap_hides_request_admin_privileges_for_helpdesk(
    client, make_partner_user, partner
):
    # R1: helpdesk agents cannot request, so the control is not shown.
    litware = factories.CustomerFactory(name="Litware")
    related(partner, litware, dap=False)
    client.force_login(make_partner_user(Role.HELPDESK_AGENT))
    card = card_html(client.get(EXPANDED_URL).content.decode(), litware)
    assert card
    assert "Request admin privileges" not in card


def test_card_after_dap_removal_shows_notice_and_service_request(
    client, viewer, partner
):
    # R12: the partner's card after the customer removed DAP.
    customer = factories.CustomerFactory(name="Fourth Coffee")
    related(partner, customer, dap=False, dap_removed_at=timezone.now())
    card = card_html(client.get(EXPANDED_URL).content.decode(), customer)
    assert (
        "This customer removed your admin privileges. You remain responsible for "
        "supporting them under the Cloud Reseller Agreement. You can open a service "
        "request on their behalf."
    ) in card
    assert reverse("customers:service_request_new", args=[customer.pk]) in card


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.GLOBAL_ADMIN, True),
        (Role.ADMIN_AGENT, True),
        (Role.SALES_AGENT, False),
        (Role.HELPDESK_AGENT, True),
        (Role.BILLING_ADMIN, False),
    ],
)
def test_card_users_and_licenses_only_for_roles_of_r1(
    client, make_partner_user, adatum, role, shown
):
    # R1 row 2 / R11
    client.force_login(make_partner_user(role))
    for url in (EXPANDED_URL, reverse("customers:detail", args=[adatum.pk])):
        card = card_html(client.get(url).content.decode(), adatum)
        assert card
        # h3 in the list's card, h2 on the customer's page (issue 12).
        assert bool(re.search(r">Users</h[23]>", card)) is shown
        assert bool(re.search(r">Licenses</h[23]>", card)) is shown
        assert ("Megan Bowen" in card) is shown
        assert ("Visio Plan 2" in card) is shown
        # Services are for everyone who sees the page.
        assert "Microsoft 365 E3" in card


# --- The customer's page (no-JS card) ----------------------------------------------


def test_detail_shows_the_expanded_card(client, viewer, adatum):
    response = client.get(reverse("customers:detail", args=[adatum.pk]))
    assert response.status_code == 200
    card = card_html(response.content.decode(), adatum)
    # Issue 12: the page's h1 is the customer's name, its sections h2.
    for heading in ("Account", "Services", "Users", "Licenses"):
        assert f">{heading}</h2>" in card
    assert "data-card-toggle" not in card


def test_detail_of_other_partners_customer_is_404(client, viewer, other_partner):
    # R17
    customer = factories.CustomerFactory(name="Theirs")
    related(other_partner, customer)
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 404
    assert "Theirs" not in response.content.decode()


def test_detail_of_unknown_customer_is_404(client, viewer):
    assert client.get(reverse("customers:detail", args=[999999])).status_code == 404


def test_detail_of_ended_relationship_says_it_ended(client, viewer, partner):
    # R14: the customer's page shows the relationship as ended.
    customer = factories.CustomerFactory(name="Endeavour")
    related(
        partner,
        customer,
        status=ResellerRelationship.Status.ENDED,
        ended_at=timezone.now(),
    )
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    assert "This relationship ended on" in response.content.decode()


# --- Constant number of queries ------------------------------------------------------


def make_customers(partner, count, *, prefix):
    """``count`` customers of ``partner`` with every kind of row a card shows."""
    now = timezone.now()
    staff = factories.partner_user(partner=partner, role=Role.HELPDESK_AGENT)
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"{prefix} {i:04d}",
            domain=f"{prefix.lower()}-{i:04d}.example",
            country="FR",
            cloud="public",
        )
        for i in range(count)
    )
    relationships = ResellerRelationship.objects.bulk_create(
        ResellerRelationship(
            partner=partner,
            customer=c,
            dap_active=i % 3 != 0,
            since=now,
        )
        for i, c in enumerate(customers)
    )
    Subscription.objects.bulk_create(
        Subscription(
            customer=c,
            offer_name=f"Offer {k}",
            provisioned_by=partner if k == 0 else None,
        )
        for c in customers
        for k in range(2)
    )
    DirectoryUser.objects.bulk_create(
        DirectoryUser(customer=c, display_name=f"User {k}", email=f"u{k}@{c.domain}")
        for c in customers
        for k in range(2)
    )
    License.objects.bulk_create(
        License(customer=c, product=f"Product {k}", assigned=1, total=2)
        for c in customers
        for k in range(2)
    )
    SupportContact.objects.bulk_create(
        SupportContact(relationship=r, user=staff, is_primary=True)
        for r in relationships
    )
    ServiceRequest.objects.bulk_create(
        ServiceRequest(
            partner=partner, customer=c, title="Help", description="…", opened_by=staff
        )
        for c in customers
    )
    return customers


def list_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL, params)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_list_queries_same_for_30_and_500_customers(client, viewer, partner):
    # Issue 4: the same number of SQL queries for few customers as for 500.
    make_customers(partner, 30, prefix="Few")
    few_count, few_html = list_queries(client)
    assert len(card_names(few_html)) == 25
    make_customers(partner, 470, prefix="Many")
    many_count, many_html = list_queries(client)
    assert len(card_names(many_html)) == 25
    assert "Page 1 of 20" in many_html
    assert many_count == few_count
    # A later page and a search cost the same too.
    assert list_queries(client, page=20)[0] == few_count
    assert list_queries(client, q="Many", sort="-since")[0] == few_count


def test_list_shorter_than_a_page_is_not_counted_again(client, viewer, partner):
    # The first page, when not full, holds every match: no COUNT query.
    make_customers(partner, 30, prefix="Few")
    full_count, _html = list_queries(client)
    short_count, short_html = list_queries(client, q="Few 001")
    assert short_count == full_count - 1
    # Few 0010 to Few 0019.
    assert len(card_names(short_html)) == 10
    assert "10 customers" in short_html
    assert "Page 1 of" not in short_html


def test_list_queries_same_for_30_and_500_customers_when_expanded_server_side(
    client, viewer, partner
):
    # Issue 4: "also when cards are expanded server-side".
    make_customers(partner, 30, prefix="Few")
    few_count, few_html = list_queries(client, expand="all")
    assert few_html.count(">Services</h3>") == 25
    make_customers(partner, 470, prefix="Many")
    many_count, many_html = list_queries(client, expand="all")
    assert many_html.count(">Services</h3>") == 25
    assert many_count == few_count
    assert list_queries(client, expand="all", page=20)[0] == few_count
    assert list_queries(client, expand="all", sort="-since")[0] == few_count


@pytest.mark.parametrize("count", [5, 500])
def test_list_queries_stay_under_fixed_bound(
    client, viewer, partner, django_assert_max_num_queries, count
):
    make_customers(partner, count, prefix="Load")
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        response = client.get(EXPANDED_URL)
    assert response.status_code == 200
    assert len(card_names(response.content.decode())) == min(count, 25)
    # Collapsed cards (the default) read only what their heads show.
    with django_assert_max_num_queries(MAX_COLLAPSED_LIST_QUERIES):
        response = client.get(LIST_URL)
    assert len(card_names(response.content.decode())) == min(count, 25)


def test_detail_queries_do_not_grow_with_card_rows(
    client, viewer, partner, django_assert_max_num_queries
):
    customer = factories.CustomerFactory()
    related(partner, customer)
    factories.SubscriptionFactory.create_batch(40, customer=customer)
    factories.DirectoryUserFactory.create_batch(40, customer=customer)
    factories.LicenseFactory.create_batch(40, customer=customer)
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200


def test_card_shows_recent_history_with_link_to_full_timeline(
    client, viewer, partner, admin_agent
):
    # Issue 5: the customer card shows the timeline (latest events, then the page).
    from customers.services import dap_remove

    customer = factories.CustomerFactory(name="Fourth Coffee")
    relationship = related(partner, customer)
    factories.RelationshipEventFactory(
        partner=partner,
        customer=customer,
        relationship=relationship,
        kind="accepted",
        actor=admin_agent,
    )
    dap_remove(relationship_id=relationship.pk, actor=admin_agent)
    card = card_html(client.get(EXPANDED_URL).content.decode(), customer)
    assert ">Recent history</h3>" in card
    assert "Admin privileges removed" in card
    assert "Accepted" in card
    assert reverse("customers:detail", args=[customer.pk]) in card


def test_collapsed_card_body_comes_from_its_own_url(client, viewer, adatum):
    # R11: a collapsed card carries where its body comes from, not the body.
    card = card_html(client.get(LIST_URL).content.decode(), adatum)
    card_url = reverse("customers:card", args=[adatum.pk])
    assert f'data-card-src="{card_url}"' in card
    assert ">Licenses</h3>" not in card
    fragment = client.get(card_url)
    assert fragment.status_code == 200
    body = fragment.content.decode()
    for heading in ("Account", "Services", "Users", "Licenses"):
        assert f">{heading}</h3>" in body
    assert "<html" not in body
    assert "no-store" in fragment["Cache-Control"]


def test_card_body_of_other_partners_customer_is_404(client, viewer, other_partner):
    # R17
    customer = factories.CustomerFactory()
    related(other_partner, customer)
    response = client.get(reverse("customers:card", args=[customer.pk]))
    assert response.status_code == 404


def test_expanded_list_has_open_toggles_and_a_way_back(client, viewer, adatum):
    html = client.get(EXPANDED_URL).content.decode()
    card = card_html(html, adatum)
    assert 'aria-expanded="true"' in card
    assert "Collapse all cards" in html
    assert "expand=all" in client.get(LIST_URL).content.decode()


def test_renaming_a_customer_keeps_the_list_in_name_order(client, viewer, partner):
    # The relationship's copy of the name (for the index) follows a rename.
    a = factories.CustomerFactory(name="Alpha")
    b = factories.CustomerFactory(name="Bravo")
    related(partner, a)
    related(partner, b)
    a.name = "Zulu"
    a.save()
    html = client.get(LIST_URL).content.decode()
    assert card_names(html) == ["Bravo", "Zulu"]


def test_a_rename_by_queryset_update_reorders_the_list_too(client, viewer, partner):
    # The database keeps the copy (a trigger): update() skips save() and signals.
    a = factories.CustomerFactory(name="Alpha")
    b = factories.CustomerFactory(name="Bravo")
    related(partner, a)
    related(partner, b)
    Customer.objects.filter(pk=a.pk).update(name="Zulu")
    html = client.get(LIST_URL).content.decode()
    assert card_names(html) == ["Bravo", "Zulu"]
    assert ResellerRelationship.objects.get(customer=a).customer_name == "Zulu"
