"""R39: relationship requests through the API: the pages' services and refusals."""

import json

import pytest
from django.core import mail  # noqa: F401  (the outbox is a table: core.models)
from django.urls import reverse
from django.utils import timezone

from core.models import OutgoingEmail
from customers.models import RelationshipEvent
from invitations import tokens
from invitations.models import LINK_PLACEHOLDER, Invitation
from partners.models import Cloud, Role
from tests import factories
from tests.helpers import assert_problem

LIST = reverse("api:relationship-request-list")


def url(name, invitation):
    return reverse(f"api:relationship-request-{name}", args=[invitation.pk])


@pytest.fixture
def agent(make_partner_user):
    return make_partner_user(Role.ADMIN_AGENT, email="ada@contoso.test")


@pytest.fixture
def api(api_client, agent):
    return api_client(agent)


def test_create_makes_the_pages_request_with_its_event_and_returns_the_link_once(
    api, partner, agent
):
    response = api.post(
        LIST,
        {
            "include_dap": False,
            "recipient_email": "Boss@Fabrikam.test",
            "email_language": "fr",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    invitation = Invitation.objects.get(pk=data["id"])
    assert invitation.partner == partner and invitation.created_by == agent
    assert invitation.include_dap is False
    assert invitation.recipient_email == "boss@fabrikam.test"
    assert invitation.email_language == "fr"
    assert data["status"] == "pending"
    assert data["link"] == tokens.link_for(invitation)
    # The draft keeps the placeholder (R7): the link is in no stored text.
    assert LINK_PLACEHOLDER in data["body"]
    assert RelationshipEvent.objects.filter(
        kind="requested", invitation_id=invitation.pk, actor=agent
    ).exists()
    # Never again: neither the list nor the get carries it.
    detail = api.get(url("detail", invitation)).content.decode()
    listed = api.get(LIST).content.decode()
    token = tokens.make_token(invitation)
    assert token not in detail and token not in listed
    assert "link" not in json.loads(detail)


def test_create_refuses_a_sovereign_partner_without_dap_with_r3s_code(
    api_client, make_partner_user
):
    sovereign = factories.PartnerFactory(cloud=Cloud.GERMANY, country="DE")
    user = make_partner_user(Role.ADMIN_AGENT, of=sovereign)

    response = api_client(user).post(LIST, {"include_dap": False}, format="json")

    body = assert_problem(response, 422, "dap_required")
    assert "Nothing was created" in body["detail"]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"include_dap": "maybe"},
        {"include_dap": [True]},
        {"recipient_email": "not an address"},
        {"recipient_email": "a" * 5000 + "@x.test"},
        {"recipient_email": "a\x00b@x.test"},
        {"email_language": "xx"},
        {"email_language": None},
        ["a list"],
        "a string",
    ],
)
def test_bad_json_is_a_problem_and_creates_nothing(api, payload):
    response = api.post(LIST, payload, format="json")

    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid"
    assert not Invitation.objects.exists()


def test_malformed_json_is_a_problem(api):
    response = api.post(LIST, b'{"include_dap": tru', content_type="application/json")

    assert_problem(response, 400, "malformed_request")
    assert not Invitation.objects.exists()


def test_a_read_only_token_cannot_create(api_client, agent):
    response = api_client(agent, scope="read").post(LIST, {}, format="json")

    assert_problem(response, 403, "read_only_token")
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role", [Role.HELPDESK_AGENT, Role.BILLING_ADMIN])
def test_roles_the_page_refuses_are_refused(api_client, make_partner_user, role):
    client = api_client(make_partner_user(role))

    assert_problem(client.get(LIST), 403, "role_required")
    assert_problem(client.post(LIST, {}, format="json"), 403, "role_required")
    assert not Invitation.objects.exists()


def test_a_sales_agent_creates_but_cannot_touch_a_colleagues_request(
    api_client, make_partner_user, partner, agent
):
    sales = make_partner_user(Role.SALES_AGENT, email="sam@contoso.test")
    theirs = factories.InvitationFactory(partner=partner, created_by=agent)
    client = api_client(sales)

    assert client.post(LIST, {}, format="json").status_code == 201
    assert_problem(client.get(url("detail", theirs)), 403, "not_request_owner")
    for action in ("revoke", "new-link", "extend", "send"):
        assert_problem(client.post(url(action, theirs)), 403, "not_request_owner")
    theirs.refresh_from_db()
    assert theirs.status == Invitation.Status.PENDING
    # The list shows the colleague's request, marked as not theirs to manage.
    rows = {row["id"]: row for row in client.get(LIST).json()["results"]}
    assert rows[theirs.pk]["can_manage"] is False


def test_another_partners_request_is_404_for_every_operation(api, other_partner):
    theirs = factories.InvitationFactory(partner=other_partner)

    assert_problem(api.get(url("detail", theirs)), 404, "not_found")
    for action in ("revoke", "new-link", "extend", "send"):
        assert_problem(api.post(url(action, theirs)), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.status == Invitation.Status.PENDING
    assert theirs.pk not in [r["id"] for r in api.get(LIST).json()["results"]]


def test_revoke_then_revoke_again_is_refused_like_the_page(api, partner, agent):
    invitation = factories.InvitationFactory(partner=partner, created_by=agent)

    response = api.post(url("revoke", invitation))

    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert RelationshipEvent.objects.filter(
        kind="revoked", invitation_id=invitation.pk
    ).exists()
    # The page's refusal for what is no longer pending: extend a revoked one.
    assert_problem(api.post(url("extend", invitation)), 422, "not_pending_revoked")


def test_new_link_replaces_the_link_and_returns_it_once(api, partner, agent):
    invitation = factories.InvitationFactory(partner=partner, created_by=agent)
    old = tokens.link_for(invitation)

    response = api.post(url("new-link", invitation))

    assert response.status_code == 200
    invitation.refresh_from_db()
    assert response.json()["link"] == tokens.link_for(invitation) != old
    assert "link" not in api.get(url("detail", invitation)).json()


def test_extend_moves_the_expiry_with_its_event(api, partner, agent):
    invitation = factories.InvitationFactory(
        partner=partner,
        created_by=agent,
        sent_at=timezone.now() - timezone.timedelta(days=80),
    )
    before = invitation.expires_at

    response = api.post(url("extend", invitation))

    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.expires_at > before
    assert RelationshipEvent.objects.filter(
        kind="extended", invitation_id=invitation.pk
    ).exists()


def test_send_queues_the_email_to_the_given_address(api, partner, agent):
    invitation = factories.InvitationFactory(partner=partner, created_by=agent)

    response = api.post(
        url("send", invitation), {"to": "it@fabrikam.test"}, format="json"
    )

    assert response.status_code == 202, response.content
    invitation.refresh_from_db()
    email = OutgoingEmail.objects.get(pk=invitation.last_email_id)
    assert email.to == "it@fabrikam.test"
    assert response.json()["delivery"]["code"] == "queued"
    # The outbox holds the placeholder, not the link (R7).
    assert tokens.make_token(invitation) not in email.body


def test_send_without_an_address_is_the_pages_refusal(api, partner, agent):
    invitation = factories.InvitationFactory(
        partner=partner, created_by=agent, recipient_email=""
    )

    assert_problem(api.post(url("send", invitation)), 422, "bad_recipient")
    assert not OutgoingEmail.objects.exists()


@pytest.mark.parametrize("payload", [{"to": 5}, {"to": "x" * 2000}, {"to": "a\x00"}])
def test_send_with_bad_json_is_a_problem(api, partner, agent, payload):
    invitation = factories.InvitationFactory(partner=partner, created_by=agent)

    response = api.post(url("send", invitation), payload, format="json")

    assert response.status_code in (400, 422), response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert not OutgoingEmail.objects.exists()


def test_list_filters_by_status_and_paginates_with_a_cursor(api, partner, agent):
    for _ in range(3):
        factories.InvitationFactory(partner=partner, created_by=agent)
    revoked = factories.InvitationFactory(
        partner=partner, created_by=agent, status=Invitation.Status.REVOKED
    )

    first = api.get(LIST, {"page_size": 2}).json()
    second = api.get(first["next"]).json()

    ids = [r["id"] for r in first["results"] + second["results"]]
    assert len(ids) == 4 == len(set(ids))
    assert second["next"] is None
    only = api.get(LIST, {"status": "revoked"}).json()["results"]
    assert [r["id"] for r in only] == [revoked.pk]


def test_list_costs_the_same_for_1_or_20_rows(
    api, partner, agent, django_assert_max_num_queries
):
    def rows(n):
        for _ in range(n):
            email = factories.OutgoingEmailFactory()
            factories.InvitationFactory(
                partner=partner, created_by=agent, last_email=email
            )

    rows(1)
    api.get(LIST)  # warm the token's first use
    with django_assert_max_num_queries(8) as one:
        assert len(api.get(LIST).json()["results"]) == 1
    rows(19)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(api.get(LIST).json()["results"]) == 20


def test_a_create_with_an_idempotency_key_runs_once(api):
    first = api.post(LIST, {}, format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    again = api.post(LIST, {}, format="json", HTTP_IDEMPOTENCY_KEY="req-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Invitation.objects.count() == 1
