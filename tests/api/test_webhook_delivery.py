"""R40 delivery through the queue: order, retries for more than 24 hours,
disabling after 50 failures, and a real worker process."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from api import webhooks
from api.models import WebhookChange, WebhookDelivery, WebhookEndpoint
from api.webhook_tasks import DISABLED_KIND, deliver_pending
from core.models import Notification
from partners.models import Role
from tests import factories
from tests.queue import run_tasks
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db
ALL = [name for name in webhooks.EVENT_NAMES if name != webhooks.TEST_EVENT]


@pytest.fixture
def allow_private():
    with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        yield


def _receiver(request, answers):
    server = Receiver(answers).start()
    request.addfinalizer(server.stop)
    return server


def _endpoint(partner, url, **kwargs):
    user = factories.partner_user(partner, Role.GLOBAL_ADMIN)
    endpoint, _ = webhooks.endpoint_create(
        partner=partner, actor=user, url=url, events=ALL, **kwargs
    )
    return endpoint


def _emit(partner, n, callbacks):
    with callbacks(execute=True):
        for i in range(n):
            webhooks.emit(
                partner_id=partner.pk,
                event_name="service-request-updated",
                resource_uri=f"https://portal.example/api/v1/service-requests/{i}/",
                resource_name=f"SR-{i}",
                occurred_at=timezone.now() + timedelta(microseconds=i),
            )


def _drain(callbacks):
    """Run the due tasks, and those they queue on commit, until none is due."""
    while True:
        with callbacks(execute=True):
            done = run_tasks()
        if not done:
            return


def test_failing_receiver_gets_the_event_until_it_succeeds_then_the_next_in_order(
    request, partner, allow_private, django_capture_on_commit_callbacks
):
    receiver = _receiver(request, [500, 500, 500, 200])
    endpoint = _endpoint(partner, receiver.url)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _emit(partner, 2, django_capture_on_commit_callbacks)
        first, second = WebhookDelivery.objects.order_by("occurred_at")
        with django_capture_on_commit_callbacks(execute=True):
            run_tasks()
        # One attempt; the second event waits behind the first.
        assert [b["ResourceName"] for b in receiver.bodies] == ["SR-0"]
        first.refresh_from_db()
        assert first.attempts == 1 and first.last_status_code == 500
        assert first.next_attempt_at == start + timedelta(seconds=60)
    for seconds in (61, 61 + 301, 61 + 301 + 1801):
        with time_machine.travel(start + timedelta(seconds=seconds), tick=False):
            _drain(django_capture_on_commit_callbacks)
    bodies = receiver.bodies
    assert [b["ResourceName"] for b in bodies] == ["SR-0"] * 4 + ["SR-1"]
    # The same id in every retry, for the receiver's de-duplication.
    assert len({b["id"] for b in bodies[:4]}) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts, first.last_status_code) == (
        "delivered",
        4,
        200,
    )
    assert second.status == "delivered" and second.attempts == 1
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_retries_last_more_than_24_hours_then_the_event_fails_and_the_next_goes(
    request, partner, allow_private, django_capture_on_commit_callbacks
):
    delays = [60, 300, 1800, 7200, 21600, 43200, 86400, 86400]
    receiver = _receiver(request, [503] * 9 + [200])
    _endpoint(partner, receiver.url)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _emit(partner, 2, django_capture_on_commit_callbacks)
    elapsed = 0
    for delay in [0, *delays]:
        elapsed += delay
        with time_machine.travel(start + timedelta(seconds=elapsed + 1), tick=False):
            _drain(django_capture_on_commit_callbacks)
    assert sum(delays) > 24 * 3600
    first, second = WebhookDelivery.objects.order_by("occurred_at")
    assert (first.status, first.attempts) == ("failed", 9)
    assert second.status == "delivered"
    assert [b["ResourceName"] for b in receiver.bodies] == ["SR-0"] * 9 + ["SR-1"]


@override_settings(WEBHOOK_RETRY_DELAYS=[0] * 60)
def test_fifty_failures_in_a_row_disable_the_endpoint_and_tell_its_owners(
    request, partner, allow_private, django_capture_on_commit_callbacks
):
    receiver = _receiver(request, [500])
    endpoint = _endpoint(partner, receiver.url)
    owner = factories.partner_user(partner, Role.ADMIN_AGENT)
    sales = factories.partner_user(partner, Role.SALES_AGENT)
    _emit(partner, 1, django_capture_on_commit_callbacks)
    _drain(django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert len(receiver.requests) == 50
    assert not endpoint.is_active and endpoint.disabled_at
    assert endpoint.consecutive_failures == 50
    # R41: the disabling is in the activity log, by no person.
    change = WebhookChange.objects.get(kind="disabled")
    assert change.actor is None and change.details["url"] == endpoint.url
    notified = set(
        Notification.objects.filter(kind=DISABLED_KIND).values_list(
            "recipient", flat=True
        )
    )
    assert owner.pk in notified and endpoint.created_by_id in notified
    assert sales.pk not in notified
    # Disabled: new events are not recorded for it; enabling sends the waiting one.
    _emit(partner, 1, django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.count() == 1
    receiver.answers = [200]
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.endpoint_enable(endpoint=endpoint)
    _drain(django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.get().status == "delivered"


def test_a_redirect_is_a_failure_not_followed(
    request, partner, allow_private, django_capture_on_commit_callbacks
):
    receiver = _receiver(request, [302])
    endpoint = _endpoint(partner, receiver.url)
    _emit(partner, 1, django_capture_on_commit_callbacks)
    deliver_pending(endpoint.pk)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code == 302
    assert len(receiver.requests) == 1


def test_an_unreachable_receiver_is_a_failure_with_its_reason(
    partner, allow_private, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(partner, "http://127.0.0.1:9/hook")
    _emit(partner, 1, django_capture_on_commit_callbacks)
    assert "1 delivered" not in deliver_pending(endpoint.pk)
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.last_status_code is None
    assert "Connect" in delivery.last_error
    assert WebhookEndpoint.objects.get().consecutive_failures == 1


def test_a_second_run_while_one_holds_the_endpoint_sends_nothing_and_comes_back(
    request, partner, allow_private, django_capture_on_commit_callbacks
):
    receiver = _receiver(request, [200])
    endpoint = _endpoint(partner, receiver.url)
    _emit(partner, 1, django_capture_on_commit_callbacks)
    run_tasks_before = DBTaskResult.objects.count()
    held = timezone.now() + timedelta(seconds=30)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(locked_until=held)
    assert deliver_pending(endpoint.pk) == "busy, queued again"
    assert receiver.requests == []
    again = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert DBTaskResult.objects.count() == run_tasks_before + 1
    assert again.run_after <= held
    # The lease ended (its worker died, say): the next run delivers.
    with time_machine.travel(held + timedelta(seconds=1), tick=False):
        _drain(django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    assert WebhookEndpoint.objects.get().locked_until is None


@pytest.mark.django_db(transaction=True)
def test_two_real_workers_deliver_each_event_once_in_order(
    request, partner, start_worker
):
    receiver = _receiver(request, [200])
    with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        _endpoint(partner, receiver.url)
    start_worker(WEBHOOK_ALLOW_PRIVATE_TARGETS="true")
    start_worker(WEBHOOK_ALLOW_PRIVATE_TARGETS="true")
    for i in range(30):
        webhooks.emit(
            partner_id=partner.pk,
            event_name="service-request-updated",
            resource_uri=f"https://portal.example/api/v1/service-requests/{i}/",
            resource_name=f"SR-{i}",
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if WebhookDelivery.objects.filter(status="delivered").count() == 30:
            break
        time.sleep(0.1)
    names = [b["ResourceName"] for b in receiver.bodies]
    assert names == [f"SR-{i}" for i in range(30)]


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_delivers_in_order_after_a_failure(
    request, partner, start_worker
):
    receiver = _receiver(request, [500, 200])
    with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        endpoint = _endpoint(partner, receiver.url)
        for i in range(3):
            webhooks.emit(
                partner_id=partner.pk,
                event_name="service-request-updated",
                resource_uri=f"https://portal.example/api/v1/service-requests/{i}/",
                resource_name=f"SR-{i}",
            )
    start_worker(WEBHOOK_ALLOW_PRIVATE_TARGETS="true", WEBHOOK_RETRY_DELAYS="0.2")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if WebhookDelivery.objects.filter(status="delivered").count() == 3:
            break
        time.sleep(0.1)
    assert [b["ResourceName"] for b in receiver.bodies] == [
        "SR-0",
        "SR-0",
        "SR-1",
        "SR-2",
    ]
    assert WebhookDelivery.objects.get(endpoint=endpoint, attempts=2)
