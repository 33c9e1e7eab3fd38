"""Fixtures shared by the invitation tests: a customer, its administrator, a request."""

import pytest

from tests import factories
from tests.helpers import open_link


@pytest.fixture
def customer(db):
    return factories.CustomerFactory(
        name="Tailspin Toys", domain="tailspin.example", country="FR"
    )


@pytest.fixture
def invitation(partner, admin_agent):
    return factories.InvitationFactory(partner=partner, created_by=admin_agent)


@pytest.fixture
def admin_on_page(client, invitation, customer_admin):
    """A signed-in customer administrator on the experience page of the link."""
    client.force_login(customer_admin)
    return open_link(client, invitation)
