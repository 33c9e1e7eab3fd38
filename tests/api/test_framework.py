"""R38/R39: what every /api/v1/ call shares: token authentication, scopes,
partner roles, rate limits and problem+json errors with a stable code."""

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from invitations.models import Invitation
from partners import api_tokens, services
from partners.models import Role
from tests.helpers import assert_problem

PROBLEM = "application/problem+json"


_problem = assert_problem


@pytest.fixture
def customers_url():
    return reverse("api:customer-list")


@pytest.mark.django_db
def test_no_token_is_401_with_a_bearer_challenge(customers_url):
    response = APIClient().get(customers_url)
    _problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header", ["Bearer rp_0000_unknown", "Bearer ", "Token abc", "Basic Zm9vOmJhcg=="]
)
def test_a_bad_token_is_401(customers_url, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(customers_url)
    _problem(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_is_refused_on_the_next_call(
    api_client, admin_agent, customers_url
):
    client = api_client(admin_agent)
    assert client.get(customers_url).status_code == 200
    api_tokens.token_revoke(token=client.token, actor=admin_agent)
    _problem(client.get(customers_url), 401, "authentication_failed")


def test_a_removed_users_token_is_refused_on_the_next_call(
    api_client, make_partner_user, partner, customers_url
):
    admin = make_partner_user(Role.GLOBAL_ADMIN, email="gina@contoso.test")
    agent = make_partner_user(Role.ADMIN_AGENT, email="arno@contoso.test")
    client = api_client(agent)
    assert client.get(customers_url).status_code == 200
    services.partner_user_remove(partner=partner, actor=admin, user_id=agent.pk)
    _problem(client.get(customers_url), 401, "authentication_failed")


def test_a_deactivated_users_token_is_refused_even_if_not_revoked(
    api_client, admin_agent, customers_url
):
    client = api_client(admin_agent)
    admin_agent.is_active = False
    admin_agent.save(update_fields=["is_active"])
    _problem(client.get(customers_url), 401, "authentication_failed")


def test_a_read_only_token_reads_but_cannot_write(
    api_client, admin_agent, customers_url
):
    client = api_client(admin_agent, scope="read")
    assert client.get(customers_url).status_code == 200
    response = client.post(
        reverse("api:relationship-request-list"), {"include_dap": True}, format="json"
    )
    _problem(response, 403, "read_only_token")
    assert not Invitation.objects.exists()


def test_partner_roles_are_the_pages(api_client, make_partner_user):
    """R1: a Sales agent cannot manage admin relationships, in the API either."""
    sales = make_partner_user(Role.SALES_AGENT, email="sam@contoso.test")
    response = api_client(sales).get(reverse("api:admin-relationship-list"))
    body = _problem(response, 403, "role_required")
    assert "Admin agent" in body["detail"]


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_over_the_rate_limit_is_429_with_retry_after(
    api_client, admin_agent, make_partner_user, customers_url
):
    client = api_client(admin_agent)
    for _ in range(3):
        assert client.get(customers_url).status_code == 200
    response = client.get(customers_url)
    _problem(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    # Per token: another token (even the same person's) has its own count.
    assert api_client(admin_agent).get(customers_url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here/", "/api/v1/customers/abc/", "/api/v1/x/y/z"]
)
def test_unknown_api_paths_are_problem_404s(path):
    _problem(APIClient().get(path), 404, "not_found")


def test_an_unknown_id_is_a_problem_404(api_client, admin_agent):
    url = reverse("api:customer-detail", kwargs={"customer_id": 999999})
    _problem(api_client(admin_agent).get(url), 404, "not_found")


def test_invalid_query_is_400_with_field_errors(api_client, admin_agent):
    response = api_client(admin_agent).get(
        reverse("api:activity-list"), {"from": "yesterday"}
    )
    body = _problem(response, 400, "invalid")
    assert body["errors"][0]["field"] == "from"


def test_a_method_not_allowed_is_a_problem(api_client, admin_agent, customers_url):
    _problem(api_client(admin_agent).delete(customers_url), 405, "method_not_allowed")
