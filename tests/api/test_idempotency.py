"""R39: a POST with ``Idempotency-Key`` runs once; the same key again answers
the same response; with another request it is a 422."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import IdempotencyKey
from invitations.models import Invitation

PROBLEM = "application/problem+json"


@pytest.fixture
def url():
    return reverse("api:relationship-request-list")


@pytest.fixture
def client(api_client, admin_agent):
    return api_client(admin_agent)


def _post(client, url, body, key):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, body, format="json", **headers)


def test_the_same_key_twice_creates_one_request_and_answers_the_same(client, url):
    first = _post(client, url, {"include_dap": True}, "key-1")
    assert first.status_code == 201, first.content
    second = _post(client, url, {"include_dap": True}, "key-1")
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Invitation.objects.count() == 1


def test_the_same_key_with_another_body_is_422(client, url):
    assert _post(client, url, {"include_dap": True}, "key-2").status_code == 201
    response = _post(client, url, {"include_dap": False}, "key-2")
    assert response.status_code == 422
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json()["code"] == "idempotency_key_reused"
    assert Invitation.objects.count() == 1


def test_the_stored_answer_holds_no_link_or_key_in_clear(client, url):
    body = _post(client, url, {"include_dap": True}, "secret-key-3").json()
    link = next(value for value in body.values() if "http" in str(value))
    record = IdempotencyKey.objects.get()
    stored = json.dumps(record.body) + record.key
    assert link not in stored
    assert "secret-key-3" not in stored


def test_a_request_still_running_is_409(client, url):
    assert _post(client, url, {"include_dap": True}, "key-4").status_code == 201
    IdempotencyKey.objects.update(status_code=None, body=None)  # as while running
    response = _post(client, url, {"include_dap": True}, "key-4")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert Invitation.objects.count() == 1


def test_a_server_error_frees_the_key(client, url, monkeypatch):
    from invitations import services

    def broken(**kwargs):
        raise RuntimeError("database on fire")

    with monkeypatch.context() as patched:
        patched.setattr(services, "invitation_create", broken)
        failed = _post(client, url, {"include_dap": True}, "key-5")
    assert failed.status_code == 500
    assert failed["Content-Type"].startswith(PROBLEM)
    assert failed.json()["code"] == "server_error"
    assert not IdempotencyKey.objects.exists()
    assert _post(client, url, {"include_dap": True}, "key-5").status_code == 201
    assert Invitation.objects.count() == 1


def test_a_refused_request_is_answered_again_without_running(
    api_client, make_partner_user, url, partner
):
    """A DomainError (422) is an answer too: the same key gives it again."""
    partner.cloud = "usgov"
    partner.save(update_fields=["cloud"])
    client = api_client(make_partner_user(email="sovereign@contoso.test"))
    first = _post(client, url, {"include_dap": False}, "key-6")
    assert first.status_code == 422, first.content
    again = _post(client, url, {"include_dap": False}, "key-6")
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"


def test_keys_are_per_token_and_last_24_hours(api_client, admin_agent, url):
    one, other = api_client(admin_agent), api_client(admin_agent)
    assert _post(one, url, {"include_dap": True}, "key-7").status_code == 201
    assert _post(other, url, {"include_dap": True}, "key-7").status_code == 201
    assert Invitation.objects.count() == 2
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert _post(one, url, {"include_dap": True}, "key-7").status_code == 201
    assert Invitation.objects.count() == 3
    assert IdempotencyKey.objects.count() == 1  # the old ones were purged


def test_without_a_key_every_post_runs(client, url):
    for _ in range(2):
        assert _post(client, url, {"include_dap": True}, None).status_code == 201
    assert Invitation.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "é"])
def test_a_malformed_key_is_400_and_runs_nothing(client, url, key):
    response = client.post(
        url, {"include_dap": True}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert not Invitation.objects.exists()
