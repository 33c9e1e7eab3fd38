"""Issue 12: the Customers list as a dense table — its columns, sortable headers,
the admin-access filter, numbered pagination with a page size, fixed queries."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import ServiceRequest, Subscription
from tests import factories
from tests.customers.test_customer_list import (
    LIST_URL,
    MAX_COLLAPSED_LIST_QUERIES,
    MAX_LIST_QUERIES,
    card_html,
    card_names,
    make_customers,
    related,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client, admin_agent):
    client.force_login(admin_agent)
    return admin_agent


def cell(row, label):
    """The text of the cell labelled ``label`` (its data-label) in one row."""
    match = re.search(rf'<td[^>]*data-label="{label}"[^>]*>(.*?)</td>', row, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else None


@pytest.fixture
def three(partner, other_partner):
    """A DAP customer, a reseller-only one, one whose admin removed privileges."""
    dap = factories.CustomerFactory(
        name="Adatum", domain="adatum.example", country="FR"
    )
    related(partner, dap, dap=True)
    reseller = factories.CustomerFactory(name="Bellows", country="DE")
    related(partner, reseller, dap=False)
    removed = factories.CustomerFactory(name="Contoso Ltd", country="BE")
    related(partner, removed, dap=False, dap_removed_at=timezone.now())
    # Subscriptions: all three of Adatum are seen (DAP), only Bellows' own one.
    for customer, provisioner in (
        (dap, partner),
        (dap, None),
        (dap, other_partner),
        (reseller, partner),
        (reseller, None),
        (reseller, other_partner),
    ):
        factories.SubscriptionFactory(
            customer=customer,
            provisioned_by=provisioner,
            status=Subscription.Status.ACTIVE,
        )
    # Open service requests: ours and not resolved.
    opener = factories.partner_user(partner=partner)
    for customer, owner, status in (
        (dap, partner, ServiceRequest.Status.NEW),
        (dap, partner, ServiceRequest.Status.IN_PROGRESS),
        (dap, partner, ServiceRequest.Status.RESOLVED),
        (dap, other_partner, ServiceRequest.Status.NEW),
        (removed, partner, ServiceRequest.Status.NEW),
    ):
        factories.ServiceRequestFactory(
            partner=owner, customer=customer, status=status, opened_by=opener
        )
    return dap, reseller, removed


def test_row_shows_country_access_counts_and_since(client, viewer, three):
    # Issue 12: name (+domain), country, admin access, subscriptions, since, open SRs.
    dap, reseller, removed = three
    html = client.get(LIST_URL).content.decode()
    rows = {c.name: card_html(html, c) for c in three}
    assert "adatum.example" in rows["Adatum"]
    assert cell(rows["Adatum"], "Country/region") == "France"
    assert cell(rows["Bellows"], "Country/region") == "Germany"
    assert cell(rows["Adatum"], "Admin access") == "Admin privileges"
    assert cell(rows["Bellows"], "Admin access") == "Reseller only"
    assert cell(rows["Contoso Ltd"], "Admin access") == "Privileges removed"
    # R11: without admin privileges only the partner's own subscriptions count.
    assert cell(rows["Adatum"], "Subscriptions") == "3"
    assert cell(rows["Bellows"], "Subscriptions") == "1"
    assert cell(rows["Contoso Ltd"], "Subscriptions") == "0"
    # Open = not resolved, and only this partner's.
    assert cell(rows["Adatum"], "Open service requests") == "2"
    assert cell(rows["Bellows"], "Open service requests") == "0"
    assert cell(rows["Contoso Ltd"], "Open service requests") == "1"
    assert cell(rows["Adatum"], "Since")


@pytest.mark.parametrize(
    ("access", "expected"),
    [
        ("", ["Adatum", "Bellows", "Contoso Ltd"]),
        ("dap", ["Adatum"]),
        ("reseller", ["Bellows"]),
        ("removed", ["Contoso Ltd"]),
        ("nonsense", ["Adatum", "Bellows", "Contoso Ltd"]),
    ],
)
def test_filter_by_admin_access(client, viewer, three, access, expected):
    html = client.get(LIST_URL, {"access": access}).content.decode()
    assert card_names(html) == expected


def test_filter_matching_nothing_says_so(client, viewer, partner):
    related(partner, factories.CustomerFactory(name="Adatum"), dap=True)
    html = client.get(LIST_URL, {"access": "removed"}).content.decode()
    assert card_names(html) == []
    assert "No customer matches this filter." in html
    assert "No customers yet" not in html


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("country", ["Contoso Ltd", "Bellows", "Adatum"]),  # BE, DE, FR
        ("-country", ["Adatum", "Bellows", "Contoso Ltd"]),
        ("-subscriptions", ["Adatum", "Bellows", "Contoso Ltd"]),
        ("subscriptions", ["Contoso Ltd", "Bellows", "Adatum"]),
        ("-requests", ["Adatum", "Contoso Ltd", "Bellows"]),
        ("requests", ["Bellows", "Contoso Ltd", "Adatum"]),
    ],
)
def test_sort_by_the_new_columns(client, viewer, three, sort, expected):
    assert card_names(client.get(LIST_URL, {"sort": sort}).content.decode()) == (
        expected
    )


def headers(html):
    """{label: (aria-sort or None, href)} of the table's sortable headers."""
    found = {}
    for attrs, href, label in re.findall(
        r'<th scope="col"([^>]*)><a class="sort" href="([^"]*)">([^<]+)</a>', html
    ):
        sort = re.search(r'aria-sort="(\w+)"', attrs)
        found[label] = (sort.group(1) if sort else None, href.replace("&amp;", "&"))
    return found


def test_headers_sort_keep_the_query_and_say_how(client, viewer, three):
    # Issue 12: header links keep the search and filter, and carry aria-sort.
    html = client.get(LIST_URL, {"q": "a", "access": "dap"}).content.decode()
    found = headers(html)
    assert set(found) == {
        "Name",
        "Country/region",
        "Subscriptions",
        "Since",
        "Open service requests",
    }
    assert found["Name"] == ("ascending", "?q=a&access=dap&sort=-name")
    assert found["Country/region"] == (None, "?q=a&access=dap&sort=country")
    assert found["Subscriptions"] == (None, "?q=a&access=dap&sort=-subscriptions")
    html = client.get(LIST_URL, {"sort": "-requests", "page": "1"}).content.decode()
    found = headers(html)
    assert found["Open service requests"] == ("descending", "?sort=requests")
    assert found["Name"][0] is None


def test_filter_and_sort_selects_apply_on_change_or_with_the_button(
    client, viewer, three
):
    html = client.get(LIST_URL).content.decode()
    form = re.search(r'<form method="get" class="toolbar".*?</form>', html, re.S)[0]
    assert re.search(
        r'<select id="customer-access" name="access" data-autosubmit>', form
    )
    assert re.search(r'<select id="customer-sort" name="sort" data-autosubmit>', form)
    assert '<button type="submit"' in form  # without JavaScript


def test_numbered_pagination_with_page_size(client, viewer, partner):
    make_customers(partner, 260, prefix="Many")
    html = client.get(LIST_URL, {"page": 6, "sort": "-name"}).content.decode()
    nav = re.search(r'<nav class="pagination".*?</nav>', html, re.S)[0]
    numbers = re.findall(r"</span>(\d+)</a>", nav)
    # 1 … 4 5 6 7 8 … 11 (260 / 25 = 11 pages).
    assert numbers == ["1", "4", "5", "6", "7", "8", "11"]
    assert nav.count("…") == 2
    assert re.search(r'href="\?page=6&amp;sort=-name" aria-current="page"', nav) or (
        re.search(r'href="\?sort=-name&amp;page=6" aria-current="page"', nav)
    )
    assert 'rel="prev"' in nav and 'rel="next"' in nav
    assert "Page 6 of 11" in nav
    # The page-size choice keeps the sort, and 50 makes 6 pages.
    assert '<input type="hidden" name="sort" value="-name">' in nav
    assert re.search(r'<option value="25" selected>', nav)
    html = client.get(LIST_URL, {"per_page": 50}).content.decode()
    assert len(card_names(html)) == 50
    assert "Page 1 of 6" in html
    assert '<option value="50" selected>' in html
    # The toolbar keeps the chosen size too.
    assert '<input type="hidden" name="per_page" value="50">' in html
    # Sizes other than 25, 50, 100 are not offered, nor taken.
    assert len(card_names(client.get(LIST_URL, {"per_page": 7}).content.decode())) == 25
    html = client.get(LIST_URL, {"per_page": 100}).content.decode()
    assert len(card_names(html)) == 100


def test_pagination_of_the_requests_list_still_works(client, viewer, partner):
    # The include serves the Relationship requests list too.
    for _ in range(30):
        factories.InvitationFactory(partner=partner, created_by=viewer)
    html = client.get(reverse("invitations:list")).content.decode()
    assert "Page 1 of 2" in html
    assert re.search(r'href="\?page=2"[^>]*><span class="visually-hidden">', html)
    assert '<option value="25" selected>' in html
    html = client.get(reverse("invitations:list"), {"per_page": 50}).content.decode()
    assert html.count("View email") == 30


@pytest.mark.parametrize("count", [5, 500])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "-subscriptions"},
        {"sort": "country", "access": "dap"},
        {"sort": "-requests", "access": "removed", "q": "Load"},
        {"per_page": 100, "page": 2},
    ],
)
def test_queries_stay_fixed_with_counts_sorts_and_filters(
    client, viewer, partner, django_assert_max_num_queries, count, params
):
    # Issue 12: the counts come with the rows (subqueries), not a query a row.
    make_customers(partner, count, prefix="Load")
    with django_assert_max_num_queries(MAX_COLLAPSED_LIST_QUERIES):
        response = client.get(LIST_URL, params)
    assert response.status_code == 200
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        response = client.get(LIST_URL, {**params, "expand": "all"})
    assert response.status_code == 200
