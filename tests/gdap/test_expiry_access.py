"""R34: access ends the moment the end date passes, whatever the jobs did.

With time-machine, one second after ``ends_at`` the assigned user loses Users
and Licenses on the card body, the customer's page and the expanded list, and
the Account section no longer names the relationship, while the row in the
database still says "active" (no job has run).
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from gdap.models import AdminRelationship
from partners.models import Role
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db

EXPANDED_URL = reverse("customers:list") + "?expand=all"


@pytest.fixture
def customer(db):
    customer = factories.CustomerFactory(name="Tailspin", domain="tailspin.example")
    factories.DirectoryUserFactory(customer=customer, display_name="Dana Directory")
    factories.LicenseFactory(customer=customer, product="Office 365 E5")
    return customer


@pytest.fixture
def setup(partner, customer, make_partner_user):
    factories.RelationshipFactory(partner=partner, customer=customer, dap_active=False)
    hugo = make_partner_user(Role.HELPDESK_AGENT, email="hugo@contoso.test")
    ends_at = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    admin = factories.admin_relationship(
        partner,
        customer,
        name="Tailspin helpdesk",
        roles=("helpdesk_administrator", "license_administrator"),
        ends_at=ends_at,
    )
    factories.assignment(admin, factories.security_group(partner, hugo))
    return hugo, admin


def seen(client, customer):
    """What the three views show of ``customer``'s directory."""
    responses = [
        client.get(reverse("customers:card", args=[customer.pk])),
        client.get(reverse("customers:detail", args=[customer.pk])),
        client.get(EXPANDED_URL),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200]
    body, detail, listed = (text(r) for r in responses)
    start = listed.find(f'id="card-{customer.pk}"')
    listed = listed[start:]
    return {
        where: {
            "users": bool(re.search(r">Users</h[23]>", html))
            and "Dana Directory" in html,
            "licenses": bool(re.search(r">Licenses</h[23]>", html))
            and "Office 365 E5" in html,
            "named": "Tailspin helpdesk" in html,
        }
        for where, html in (("body", body), ("detail", detail), ("list", listed))
    }


@pytest.mark.parametrize(
    ("offset", "has_access"),
    [
        (timedelta(seconds=-1), True),
        (timedelta(0), False),
        (timedelta(seconds=1), False),
    ],
)
def test_access_ends_on_the_second_before_any_job(
    client, customer, setup, offset, has_access
):
    hugo, admin = setup
    with time_machine.travel(admin.ends_at + offset, tick=False):
        client.force_login(hugo)
        for where, found in seen(client, customer).items():
            assert found == {
                "users": has_access,
                "licenses": has_access,
                "named": has_access,
            }, where
    # No job ran: the row still says active; only the clock decided.
    assert AdminRelationship.objects.get(pk=admin.pk).status == "active"


def test_auto_extend_does_not_keep_access_before_the_job_runs(client, customer, setup):
    # R34: the end date decides; an auto-extending relationship is usable again
    # once the job has moved the end (it is not read ahead of time).
    hugo, admin = setup
    AdminRelationship.objects.filter(pk=admin.pk).update(auto_extend=True)
    with time_machine.travel(admin.ends_at + timedelta(seconds=1), tick=False):
        client.force_login(hugo)
        assert not any(f["users"] for f in seen(client, customer).values())
