"""R17 in the API: for every /api/v1/ route with an id, another partner's id
answers 404 (problem+json), for every method the route allows.

The routes are read from the URL resolver (namespace "api"), not listed here:
a new route is tested as soon as it exists, and a route whose id kind this
test does not know (a new kwarg name) fails it until it is added below.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from partners.models import Role
from tests import factories

PROBLEM = "application/problem+json"
METHODS = ("get", "post", "put", "patch", "delete")


def _api_routes():
    """(name, kwarg names, view class) of every named route under /api/v1/."""
    found = []

    def walk(patterns, prefix, namespace, kwargs):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            names = kwargs | set(getattr(entry.pattern, "converters", {}) or {})
            if hasattr(entry.pattern, "regex"):
                names |= set(entry.pattern.regex.groupindex)
            if isinstance(entry, URLResolver):
                walk(
                    entry.url_patterns,
                    route,
                    entry.namespace or namespace,
                    names,
                )
            elif (
                isinstance(entry, URLPattern)
                and namespace == "api"
                and route.startswith("api/v1/")
                and entry.name
            ):
                view = getattr(entry.callback, "cls", None) or getattr(
                    entry.callback, "view_class", None
                )
                found.append((entry.name, frozenset(names), view))

    walk(get_resolver().url_patterns, "", None, set())
    return found


ROUTES = _api_routes()
WITH_IDS = [route for route in ROUTES if route[1]]


def test_the_routes_are_found():
    names = {name for name, _kwargs, _view in WITH_IDS}
    assert "customer-detail" in names


class TheirObjects:
    """Partner B's objects, one per kind of id in a URL."""

    def __init__(self, partner):
        self.partner = partner
        self.owner = factories.partner_user(
            partner=partner, role=Role.GLOBAL_ADMIN, email="owner@other.test"
        )
        self.customer = factories.CustomerFactory(name="Their customer")
        self.relationship = factories.RelationshipFactory(
            partner=partner, customer=self.customer, customer_name="Their customer"
        )
        self.admin_relationship = factories.admin_relationship(partner, self.customer)
        self.group = factories.security_group(partner, self.owner)
        self.assignment = factories.assignment(self.admin_relationship, self.group)
        self.invitation = factories.InvitationFactory(
            partner=partner, created_by=self.owner
        )
        self.service_request = factories.ServiceRequestFactory(
            partner=partner, customer=self.customer, opened_by=self.owner
        )

    def ids(self) -> dict:
        return {
            "customer_id": self.customer.pk,
            "invitation_id": self.invitation.pk,
            "relationship_id": self.relationship.pk,
            "admin_relationship_id": self.admin_relationship.pk,
            "group_id": self.group.pk,
            "assignment_id": self.assignment.pk,
            "service_request_id": self.service_request.pk,
        }


@pytest.mark.parametrize(
    ("name", "kwargs", "view"), WITH_IDS, ids=[route[0] for route in WITH_IDS]
)
def test_another_partners_id_is_404(
    name, kwargs, view, api_client, make_partner_user, other_partner
):
    theirs = TheirObjects(other_partner)
    known = theirs.ids()
    unknown = sorted(set(kwargs) - set(known))
    assert not unknown, (
        f"Route api:{name} takes {unknown}: add how to make another partner's "
        "object of that kind to TheirObjects, so its isolation is tested."
    )
    url = reverse(f"api:{name}", kwargs={k: known[k] for k in kwargs})
    mine = api_client(make_partner_user(Role.GLOBAL_ADMIN, email="gina@mine.test"))
    methods = [m for m in METHODS if hasattr(view, m)]
    assert methods
    for method in methods:
        response = getattr(mine, method)(url, {}, format="json")
        assert response.status_code == 404, (method, url, response.content)
        assert response["Content-Type"].startswith(PROBLEM)
        assert response.json()["code"] == "not_found"
    if "get" in methods:
        # The ids are real: their own partner reads them.
        assert api_client(theirs.owner).get(url).status_code == 200
