"""R36: the Customers list marks the customers with an active admin relationship
(a badge inside the list's one query), and no longer once it has ended."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from partners.models import Role
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db

BADGE = "Admin relationship"


def _row(response, name):
    """The Customers list's row of the customer called ``name``."""
    rows = text(response).split('<tr class="customer__row">')[1:]
    (row,) = [r.split("</tr>", 1)[0] for r in rows if f">{name}</a>" in r]
    return row


def test_the_badge_shows_an_active_admin_relationship_until_its_end(client, partner):
    viewer = factories.partner_user(partner, role=Role.SALES_AGENT)
    with_gdap = factories.RelationshipFactory(
        partner=partner, customer__name="Adatum", dap_active=False
    ).customer
    factories.RelationshipFactory(partner=partner, customer__name="Litware")
    relationship = factories.admin_relationship(partner, with_gdap)
    # Another partner's admin relationship with Litware says nothing here (R17).
    other = factories.PartnerFactory(name="Fabrikam")
    litware = partner.relationships.get(customer__name="Litware").customer
    factories.admin_relationship(other, litware)
    client.force_login(viewer)

    response = client.get(reverse("customers:list"))
    assert BADGE in _row(response, "Adatum")
    assert BADGE not in _row(response, "Litware")

    with time_machine.travel(relationship.ends_at + timedelta(seconds=1)):
        client.force_login(viewer)  # the old session is past its 12 hours
        response = client.get(reverse("customers:list"))
    assert BADGE not in _row(response, "Adatum")


@pytest.mark.parametrize("count", [5, 50])
def test_the_badge_costs_no_query(
    client, partner, django_assert_max_num_queries, count
):
    viewer = factories.partner_user(partner, role=Role.SALES_AGENT)
    for i in range(count):
        customer = factories.RelationshipFactory(
            partner=partner, customer__name=f"Load {i:03d}"
        ).customer
        factories.admin_relationship(partner, customer)
    client.force_login(viewer)
    client.get(reverse("customers:list"))
    with django_assert_max_num_queries(9):
        response = client.get(reverse("customers:list"))
    assert text(response).count(BADGE) >= min(count, 25)
