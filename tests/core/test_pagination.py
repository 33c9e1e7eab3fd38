import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.pagination import Paginator
from customers.models import Customer
from customers.selectors import customer_list
from tests import factories

pytestmark = pytest.mark.django_db


def customers(count):
    factories.CustomerFactory.create_batch(count)
    return Customer.objects.order_by("name", "id")


def page_and_queries(queryset, number, per_page=5):
    with CaptureQueriesContext(connection) as queries:
        page = Paginator(queryset, per_page).get_page(number)
        rows = list(page.object_list)
        summary = (page.paginator.count, page.paginator.num_pages, page.has_next())
    return rows, summary, len(queries)


@pytest.mark.parametrize("number", [1, "1", None, "", "abc"])
def test_a_short_first_page_is_read_without_counting(number):
    rows, summary, queries = page_and_queries(customers(3), number)
    assert rows == list(Customer.objects.order_by("name", "id"))
    assert summary == (3, 1, False)
    assert queries == 1


def test_an_empty_list_is_one_empty_page():
    rows, summary, queries = page_and_queries(Customer.objects.all(), 1)
    assert rows == []
    assert summary == (0, 1, False)
    assert queries == 1


def test_a_full_first_page_is_reused_and_counted():
    queryset = customers(12)
    rows, summary, queries = page_and_queries(queryset, 1)
    assert rows == list(queryset[:5])
    assert summary == (12, 3, True)
    assert queries == 2


@pytest.mark.parametrize(
    ("number", "expected_page"), [(2, 2), ("3", 3), ("99", 3), ("0", 3), ("-1", 3)]
)
def test_other_pages_behave_as_djangos_paginator(number, expected_page):
    queryset = customers(12)
    page = Paginator(queryset, 5).get_page(number)
    assert page.number == expected_page
    start = (expected_page - 1) * 5
    assert list(page.object_list) == list(queryset[start : start + 5])


def test_a_later_page_keeps_its_order_and_related_rows():
    # On PostgreSQL the offset's rows are skipped on the ids alone (see
    # partners/pagination.py); either way the page is the same.
    partner = factories.PartnerFactory()
    for i in range(12):
        factories.RelationshipFactory(
            partner=partner, customer__name=f"Customer {i:02d}"
        )
    queryset = customer_list(partner=partner, order="-name")
    with CaptureQueriesContext(connection) as queries:
        page = Paginator(queryset, 5).get_page(2)
        names = [r.customer.name for r in page.object_list]
    assert names == [f"Customer {i:02d}" for i in range(6, 1, -1)]
    page_sql = queries.captured_queries[-1]["sql"].upper()
    deferred = "IN (SELECT" in page_sql and "OFFSET 5)" in page_sql
    assert deferred == (connection.vendor == "postgresql")
