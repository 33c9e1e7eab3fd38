"""R38: API tokens under My account: shown once, stored hashed, revoked at once,
stopped with their person; support staff see and revoke them."""

import html
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from partners import api_tokens
from partners.models import ApiToken, PartnerUserEvent, Role
from partners.services import partner_user_remove
from tests import factories
from tests.helpers import admin_url, text

pytestmark = pytest.mark.django_db

TOKENS = "/account/tokens/"
API_ROOT = "/api/v1/"


def _create(client, **fields):
    data = {"name": "Provisioning", "expires_in_days": 90, "scope": "read", **fields}
    return client.post(TOKENS, data)


def _key_of(response) -> str:
    return response.context["new_key"]


def _api(client, key):
    return client.get(API_ROOT, HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def adam(admin_agent, client):
    client.force_login(admin_agent)
    return admin_agent


def test_the_key_is_shown_once_and_only_its_hash_is_stored(client, adam):
    response = _create(client)

    assert response.status_code == 200
    key = _key_of(response)
    assert key.startswith("rp_") and key in text(response)
    assert "will not be shown again" in text(response)
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=adam)
    assert token.key_hash == api_tokens.hash_key(key) and token.scope == "read"
    # A database dump holds no usable token: neither the key nor its secret part.
    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    secret = key.rsplit("_", 1)[1]
    assert key not in dump.getvalue() and secret not in dump.getvalue()
    assert _api(client, key).status_code == 200
    # The list never shows it again.
    again = client.get(TOKENS)
    assert key not in text(again) and "Provisioning" in text(again)
    assert token.prefix in text(again)


def test_the_list_shows_scope_created_last_used_and_expiry(client, adam):
    token, key = factories.api_token(adam, scope="read_write", name="Billing sync")
    assert "Never" in text(client.get(TOKENS))
    _api(client, key)
    page = text(client.get(TOKENS))
    assert "Read and write" in page and "Billing sync" in page and "Never" not in page
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Give the token a name."),
        ({"expires_in_days": 0}, "Enter a number of days from 1 to 365."),
        ({"expires_in_days": 400}, "A token expires after 1 to 365 days at most."),
        ({"expires_in_days": "soon"}, "Enter a number of days from 1 to 365."),
        ({"scope": "admin"}, "Choose read only or read and write."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_creates_nothing(
    client, adam, fields, message
):
    response = _create(client, **fields)
    assert response.status_code == 400
    assert message in text(response)
    assert not ApiToken.objects.exists()


def test_the_service_refuses_more_than_a_year(admin_agent):
    with pytest.raises(Exception, match="365"):
        api_tokens.token_create(
            user=admin_agent, name="x", scope="read", expires_in_days=366
        )


def test_a_revoked_token_is_refused_on_the_next_call(client, adam):
    token, key = factories.api_token(adam)
    assert _api(client, key).status_code == 200
    confirm = client.get(reverse("partners:token_revoke", args=[token.pk]))
    assert "Programs using it are refused" in text(confirm)

    response = client.post(reverse("partners:token_revoke", args=[token.pk]))

    assert response.status_code == 302
    assert _api(client, key).status_code == 401
    token.refresh_from_db()
    assert token.revoked_at and token.revoked_by == adam
    assert "Revoked" in text(client.get(TOKENS))
    kinds = list(PartnerUserEvent.objects.values_list("kind", flat=True))
    assert sorted(kinds) == ["token_created", "token_revoked"]


def test_another_persons_token_cannot_be_revoked(client, adam, make_partner_user):
    ava = make_partner_user(Role.GLOBAL_ADMIN, email="ava@contoso.test")
    token, key = factories.api_token(ava)

    path = reverse("partners:token_revoke", args=[token.pk])
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None and _api(client, key).status_code == 200


def test_a_removed_users_token_is_refused(client, make_partner_user, partner):
    ava = make_partner_user(Role.GLOBAL_ADMIN, email="ava@contoso.test")
    hugo = make_partner_user(Role.HELPDESK_AGENT, email="hugo@contoso.test")
    token, key = factories.api_token(hugo)
    assert _api(client, key).status_code == 200

    partner_user_remove(partner=partner, actor=ava, user_id=hugo.pk)

    assert _api(client, key).status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_an_expired_token_is_refused(client, admin_agent):
    _token, key = factories.api_token(admin_agent, days=1)
    assert _api(client, key).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        assert _api(client, key).status_code == 401
        assert "Expired" in text(_signed_in(client, admin_agent).get(TOKENS))


def _signed_in(client, user):
    client.force_login(user)
    return client


def test_customer_administrators_have_no_tokens_page(client):
    customer_admin = factories.CustomerMembershipFactory().user
    client.force_login(customer_admin)
    assert client.get(TOKENS).status_code == 403


def test_my_account_links_the_page_and_it_reads_in_french(client, adam):
    assert TOKENS in text(client.get("/account/"))
    factories.api_token(adam)
    page = html.unescape(text(client.get(TOKENS, HTTP_ACCEPT_LANGUAGE="fr")))
    assert "Jetons d'API" in page
    assert "Révoquer" in page


def test_the_list_costs_the_same_queries_for_1_or_20_tokens(
    client, adam, django_assert_max_num_queries
):
    factories.api_token(adam)
    with django_assert_max_num_queries(30) as one:
        client.get(TOKENS)
    for index in range(19):
        factories.api_token(adam, name=f"Tool {index}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert text(client.get(TOKENS)).count('<th scope="row"') == 20


def test_the_activity_log_names_the_token_never_its_key(
    client, partner, make_partner_user
):
    ava = make_partner_user(Role.GLOBAL_ADMIN, email="ava@contoso.test")
    client.force_login(ava)
    key = _key_of(_create(client, name="Nightly export"))
    page = text(client.get("/activity/"))
    assert "API token created" in page and "Nightly export" in page
    assert key not in page


def test_support_staff_see_tokens_without_keys_and_revoke_them(client, admin_agent):
    token, key = factories.api_token(admin_agent)
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    listing = text(client.get(admin_url(ApiToken)))
    assert token.prefix in listing and key not in listing
    assert token.key_hash not in text(
        client.get(admin_url(ApiToken, "change", token.pk))
    )

    data = {"action": "revoke_selected", ACTION_CHECKBOX_NAME: [token.pk]}
    confirm = client.post(admin_url(ApiToken), data)
    assert confirm.status_code == 200 and token.revoked_at is None
    client.post(admin_url(ApiToken), {**data, "confirm": "1", "reason": "Leaked"})

    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == staff
    assert _api(client, key).status_code == 401
