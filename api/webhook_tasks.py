"""R40: delivering webhook events through the job queue (R21).

``deliver(endpoint_id)`` sends the endpoint's pending deliveries one at a time,
oldest first: a later event waits while an earlier one is being retried, so a
receiver sees them in the order they happened. A run leases its endpoint
(``locked_until``), so two workers never deliver to the same endpoint at once,
and holds no database lock while a receiver answers.
A failure is retried on the ``WEBHOOK_RETRY_DELAYS`` schedule (more than 24
hours), the task queued again with ``run_after``; after
``WEBHOOK_DISABLE_AFTER_FAILURES`` failures in a row the endpoint is disabled
and the partner's Global admins and Admin agents are told.
"""

import json
import logging
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from api import webhooks
from api.models import WebhookChange, WebhookDelivery, WebhookEndpoint
from api.webhooks import secret_decrypt, signed_headers, validate_target_url
from core.exceptions import DomainError
from core.services import notifications_send
from customers.notifications import partner_admins

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status
TIMEOUT_SECONDS = 10
# A run's hold on its endpoint, renewed before each request (longer than one).
LEASE_SECONDS = 60
# A run that finds the endpoint leased looks again this soon (or at the lease's end).
BUSY_RETRY_SECONDS = 5
DISABLED_KIND = "webhook_endpoint_disabled"


@task()
def deliver(endpoint_id: int) -> str:
    return deliver_pending(endpoint_id)


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":")).encode()


def _post(client: httpx.Client, endpoint: WebhookEndpoint, delivery: WebhookDelivery):
    """One attempt: (status code or None, duration in ms, error text)."""
    started = time.monotonic()
    try:
        validate_target_url(endpoint.url)  # again: the name may resolve elsewhere now
        body = body_of(delivery)
        headers = signed_headers(secret_decrypt(endpoint.secret_encrypted), body)
        response = client.post(endpoint.url, content=body, headers=headers)
    except DomainError as exc:
        return None, _ms(started), f"{exc.code}: {exc.message}"
    except httpx.HTTPError as exc:
        return None, _ms(started), f"{type(exc).__name__}: {exc}"[:1000]
    error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return response.status_code, _ms(started), error


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def deliver_pending(endpoint_id: int, *, limit: int = 1000) -> str:
    """Send this endpoint's due deliveries, oldest first; stop at the first one
    that fails (retried later) or that is not due yet.

    The endpoint is leased (``locked_until``) for the run, with short
    transactions only: no database lock is held while a receiver answers. A run
    that finds it leased by another worker comes back when the lease ends, so an
    event queued meanwhile is never left behind."""
    now = timezone.now()
    leased = _lease(endpoint_id, now)
    if not leased:
        busy = WebhookEndpoint.objects.filter(
            pk=endpoint_id, is_active=True, locked_until__gt=now
        ).values_list("locked_until", flat=True)
        if busy:
            again = min(busy[0], now + timedelta(seconds=BUSY_RETRY_SECONDS))
            deliver.using(run_after=again).enqueue(endpoint_id=endpoint_id)
            return "busy, queued again"
        return "endpoint gone or disabled"
    sent = 0
    try:
        # One client for the run: its connection is kept alive between events.
        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            while sent < limit:
                outcome = _deliver_one(client, endpoint_id)
                if outcome != "delivered":
                    return f"{sent} delivered, {outcome}"
                sent += 1
    finally:
        WebhookEndpoint.objects.filter(pk=endpoint_id).update(locked_until=None)
    # More than ``limit`` in one go: let other tasks have the worker, go on later.
    deliver.enqueue(endpoint_id=endpoint_id)
    return f"{sent} delivered, more queued"


def _lease(endpoint_id: int, now) -> bool:
    """Take (or extend) this run's lease; False when another worker holds it."""
    return bool(
        WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(locked_until=now + timedelta(seconds=LEASE_SECONDS))
    )


def _deliver_one(client: httpx.Client, endpoint_id: int) -> str:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        return "endpoint gone"
    if not endpoint.is_active:
        return "endpoint disabled"
    delivery = (
        WebhookDelivery.objects.filter(endpoint=endpoint, status=Status.PENDING)
        .order_by("occurred_at", "id")
        .first()
    )
    if delivery is None:
        return "nothing pending"
    now = timezone.now()
    if delivery.next_attempt_at and delivery.next_attempt_at > now:
        return "waiting for the next attempt"
    # Ours for one more request at least.
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        locked_until=now + timedelta(seconds=LEASE_SECONDS)
    )
    code, duration, error = _post(client, endpoint, delivery)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = code
    delivery.last_duration_ms = duration
    delivery.last_error = error
    with transaction.atomic():
        if not error:
            delivery.status = Status.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            delivery.save()
            if endpoint.consecutive_failures:
                endpoint.consecutive_failures = 0
                endpoint.save(update_fields=["consecutive_failures"])
            return "delivered"
        return _failed(endpoint, delivery, now)


def _failed(endpoint: WebhookEndpoint, delivery: WebhookDelivery, now) -> str:
    delays = list(settings.WEBHOOK_RETRY_DELAYS)
    if delivery.attempts > len(delays):
        # Every retry failed (over more than 24 hours): give it up, go on.
        delivery.status = Status.FAILED
        delivery.next_attempt_at = None
        run_after = now
    else:
        delivery.next_attempt_at = now + timedelta(
            seconds=float(delays[delivery.attempts - 1])
        )
        run_after = delivery.next_attempt_at
    delivery.save()
    endpoint.consecutive_failures += 1
    fields = ["consecutive_failures"]
    if endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        endpoint.is_active = False
        endpoint.disabled_at = now
        fields += ["is_active", "disabled_at"]
        endpoint.save(update_fields=fields)
        webhooks.change_record(endpoint, WebhookChange.Kind.DISABLED)
        transaction.on_commit(lambda: _notify_disabled(endpoint.pk))
        return "endpoint disabled"
    endpoint.save(update_fields=fields)
    endpoint_id = endpoint.pk
    transaction.on_commit(
        lambda: deliver.using(run_after=run_after).enqueue(endpoint_id=endpoint_id)
    )
    return "failed, retry queued"


def _notify_disabled(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        return
    notifications_send(
        recipients=partner_admins(endpoint.partner_id, endpoint.created_by_id),
        kind=DISABLED_KIND,
        params={
            "url": endpoint.url,
            "failures": endpoint.consecutive_failures,
            "endpoint_id": endpoint.pk,
        },
        link=reverse("api:webhook-detail", kwargs={"endpoint_id": endpoint.pk}),
    )
