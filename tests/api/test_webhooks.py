"""R40 webhooks: endpoints, the target check, signing, and the events the real
services produce (delivered to a real HTTP receiver on loopback)."""

import hashlib
import hmac
import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from api import webhooks
from api.models import WebhookDelivery, WebhookEndpoint
from api.webhook_tasks import deliver_pending
from core.exceptions import DomainError
from customers import services as customer_services
from customers.models import ServiceRequest
from gdap import services as gdap_services
from invitations.services import invitation_accept
from partners.models import Role
from tests import factories
from tests.queue import run_tasks
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
ALL = [name for name in webhooks.EVENT_NAMES if name != webhooks.TEST_EVENT]


@pytest.fixture
def customer(db):
    return factories.CustomerFactory(name="Litware", domain="litware.example")


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def allow_private():
    with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        yield


@pytest.fixture
def endpoint(partner, admin_agent, receiver, allow_private):
    endpoint, secret = webhooks.endpoint_create(
        partner=partner, actor=admin_agent, url=receiver.url, events=ALL
    )
    endpoint.secret = secret
    return endpoint


def verify_from_docs():
    """The Python snippet of docs/webhooks.md, run as a receiver would."""
    text = DOCS.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace = {}
    exec(code, namespace)  # noqa: S102 (our own documentation)
    return namespace["verify_signature"]


# --- Endpoints and the target check -------------------------------------------------


def test_create_returns_the_secret_once_and_stores_it_encrypted(
    partner, admin_agent, receiver, allow_private
):
    endpoint, secret = webhooks.endpoint_create(
        partner=partner, actor=admin_agent, url=receiver.url, events=ALL[:2]
    )
    assert secret.startswith("whsec_") and len(secret) > 40
    stored = WebhookEndpoint.objects.get()
    assert secret not in stored.secret_encrypted
    assert webhooks.secret_decrypt(stored.secret_encrypted) == secret
    assert stored.events == ALL[:2]
    assert stored.created_by == admin_agent


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://example.com/hook", "webhook_https_only"),
        ("https://127.0.0.1/hook", "webhook_private_target"),
        ("https://10.0.0.1/hook", "webhook_private_target"),
        ("https://169.254.169.254/latest/meta-data", "webhook_private_target"),
        ("https://[::1]/hook", "webhook_private_target"),
        ("https://localhost/hook", "webhook_private_target"),
        ("https://224.0.0.1/hook", "webhook_private_target"),
        ("ftp://example.com/", "webhook_bad_url"),
        ("not a url", "webhook_bad_url"),
        ("https://user:pw@example.com/", "webhook_bad_url"),
    ],
)
def test_refused_targets(partner, admin_agent, url, code):
    with pytest.raises(DomainError) as refused:
        webhooks.endpoint_create(
            partner=partner, actor=admin_agent, url=url, events=ALL
        )
    assert refused.value.code == code
    assert str(refused.value.message)
    assert not WebhookEndpoint.objects.exists()


def test_loopback_and_http_allowed_only_with_the_setting(partner, admin_agent):
    url = "http://127.0.0.1:9/hook"
    with pytest.raises(DomainError):
        webhooks.validate_target_url(url)
    with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        assert webhooks.validate_target_url(url) == url


def test_unknown_or_no_events_refused(partner, admin_agent, allow_private, receiver):
    for events in ([], ["no-such-event"]):
        with pytest.raises(DomainError) as refused:
            webhooks.endpoint_create(
                partner=partner, actor=admin_agent, url=receiver.url, events=events
            )
        assert refused.value.code == "webhook_events"


def test_target_checked_again_before_each_delivery(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    # The name may resolve elsewhere after it was saved (DNS rebinding).
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.send_test_event(endpoint=endpoint)
    with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=False):
        deliver_pending(endpoint.pk)
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "webhook_https_only" in delivery.last_error


# --- Signature ----------------------------------------------------------------------


def test_sign_is_hmac_sha256_over_timestamp_dot_body():
    body = b'{"a":1}'
    expected = hmac.new(b"whsec_x", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhooks.sign("whsec_x", 1700000000, body) == f"t=1700000000,v1={expected}"


def test_delivery_is_signed_and_verifies_with_the_documented_snippet(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.send_test_event(endpoint=endpoint)
    run_tasks()
    [request] = receiver.requests
    assert request["method"] == "POST"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("PartnerPortal-Webhooks")
    verify = verify_from_docs()
    signature = headers["portal-signature"]
    assert verify(endpoint.secret, signature, request["body"])
    assert not verify("whsec_wrong", signature, request["body"])
    assert not verify(endpoint.secret, signature, request["body"] + b" ")
    # Older than 5 minutes: a replay, refused.
    assert not verify(
        endpoint.secret, signature, request["body"], now=time.time() + 301
    )
    body = json.loads(request["body"])
    assert set(body) == {
        "EventName",
        "ResourceUri",
        "ResourceName",
        "AuditUri",
        "ResourceChangeUtcDate",
        "id",
    }
    assert body["EventName"] == "test-created"
    delivery = WebhookDelivery.objects.get()
    assert body["id"] == str(delivery.event_id)
    assert delivery.status == "delivered"
    assert delivery.last_status_code == 200
    assert delivery.last_duration_ms is not None


# --- Events from the real services --------------------------------------------------


def _deliver_all():
    run_tasks()
    return list(WebhookDelivery.objects.order_by("occurred_at", "id"))


def test_acceptance_of_a_reseller_request_sends_one_event(
    partner,
    customer,
    customer_admin,
    endpoint,
    receiver,
    django_capture_on_commit_callbacks,
):
    invitation = factories.InvitationFactory(partner=partner)
    with django_capture_on_commit_callbacks(execute=True):
        relationship = invitation_accept(
            invitation_id=invitation.pk, admin_user=customer_admin
        )
    _deliver_all()
    [body] = receiver.bodies
    assert body["EventName"] == "reseller-relationship-accepted-by-customer"
    assert body["ResourceUri"].endswith(
        f"/api/v1/reseller-relationships/{relationship.pk}/"
    )
    assert body["ResourceName"] == "Litware"
    assert body["AuditUri"].endswith(f"/api/v1/activity/?customer={customer.pk}")
    assert body["ResourceChangeUtcDate"].endswith("Z")


def test_admin_relationship_approval_sends_one_event(
    partner,
    customer,
    customer_admin,
    admin_agent,
    endpoint,
    receiver,
    django_capture_on_commit_callbacks,
):
    request = gdap_services.admin_relationship_request(
        partner=partner,
        created_by=admin_agent,
        name="Litware helpdesk",
        roles=["helpdesk_administrator", "user_administrator"],
        duration_days=180,
        recipient_email="admin@litware.example",
    )
    with django_capture_on_commit_callbacks(execute=True):
        relationship = gdap_services.admin_relationship_approve(
            invitation_id=request.invitation_id, admin_user=customer_admin
        )
    _deliver_all()
    names = [b["EventName"] for b in receiver.bodies]
    assert names == ["granular-admin-relationship-approved"]
    [body] = receiver.bodies
    assert body["ResourceUri"].endswith(
        f"/api/v1/admin-relationships/{relationship.pk}/"
    )
    assert body["ResourceName"] == "Litware helpdesk"


def test_admin_relationship_termination_sends_one_event(
    partner,
    customer,
    admin_agent,
    endpoint,
    receiver,
    django_capture_on_commit_callbacks,
):
    relationship = factories.admin_relationship(partner, customer)
    with django_capture_on_commit_callbacks(execute=True):
        gdap_services.admin_relationship_terminate(
            relationship_id=relationship.pk, actor=admin_agent
        )
    _deliver_all()
    assert [b["EventName"] for b in receiver.bodies] == [
        "granular-admin-relationship-terminated"
    ]


@pytest.mark.parametrize(
    ("auto_extend", "name"),
    [
        (False, "granular-admin-relationship-expired"),
        (True, "granular-admin-relationship-auto-extended"),
    ],
)
def test_end_of_an_admin_relationship_sends_one_event(
    partner,
    customer,
    endpoint,
    receiver,
    auto_extend,
    name,
    django_capture_on_commit_callbacks,
):
    relationship = factories.admin_relationship(
        partner,
        customer,
        auto_extend=auto_extend,
        roles=("helpdesk_administrator",),
        approved_at=timezone.now() - timedelta(days=200),
        ends_at=timezone.now() - timedelta(minutes=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        gdap_services.admin_relationship_end(relationship_id=relationship.pk)
        gdap_services.admin_relationship_end(relationship_id=relationship.pk)
    _deliver_all()
    assert [b["EventName"] for b in receiver.bodies] == [name]


def test_service_request_update_sends_one_event(
    partner, customer, endpoint, receiver, django_capture_on_commit_callbacks
):
    factories.RelationshipFactory(partner=partner, customer=customer)
    request = factories.ServiceRequestFactory(partner=partner, customer=customer)
    staff = factories.UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.service_request_update(
            service_request_id=request.pk,
            actor=staff,
            status=ServiceRequest.Status.IN_PROGRESS,
        )
    _deliver_all()
    [body] = receiver.bodies
    assert body["EventName"] == "service-request-updated"
    assert body["ResourceUri"].endswith(f"/api/v1/service-requests/{request.pk}/")


def test_a_rolled_back_change_sends_nothing(
    partner,
    customer,
    customer_admin,
    endpoint,
    receiver,
    django_capture_on_commit_callbacks,
):
    invitation = factories.InvitationFactory(partner=partner)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invitation_accept(invitation_id=invitation.pk, admin_user=customer_admin)
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    run_tasks()
    assert receiver.requests == []


def test_only_subscribed_active_endpoints_of_the_partner_get_the_event(
    partner,
    other_partner,
    admin_agent,
    receiver,
    allow_private,
    django_capture_on_commit_callbacks,
):
    subscribed, _ = webhooks.endpoint_create(
        partner=partner,
        actor=admin_agent,
        url=receiver.url,
        events=["service-request-updated"],
    )
    webhooks.endpoint_create(
        partner=partner,
        actor=admin_agent,
        url=receiver.url,
        events=["reseller-relationship-ended"],
    )
    off, _ = webhooks.endpoint_create(
        partner=partner,
        actor=admin_agent,
        url=receiver.url,
        events=["service-request-updated"],
    )
    WebhookEndpoint.objects.filter(pk=off.pk).update(is_active=False)
    other_user = factories.partner_user(other_partner, Role.GLOBAL_ADMIN)
    webhooks.endpoint_create(
        partner=other_partner,
        actor=other_user,
        url=receiver.url,
        events=["service-request-updated"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.emit(
            partner_id=partner.pk,
            event_name="service-request-updated",
            resource_uri="https://portal.example/api/v1/service-requests/1/",
            resource_name="SR-1",
        )
    assert [d.endpoint_id for d in WebhookDelivery.objects.all()] == [subscribed.pk]
