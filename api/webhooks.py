"""R40 webhooks: endpoints, signing, the target check and emitting events.

An event becomes one ``WebhookDelivery`` per active endpoint of the partner
subscribed to it, written in the caller's transaction; the delivery task is
queued once that transaction commits (``api.webhook_tasks.deliver``), so a
rolled-back change sends nothing. The api app holds no business rule: the
events come from the apps below through ``api.signals``.
"""

import base64
import datetime
import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
import uuid
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api.models import WebhookChange, WebhookDelivery, WebhookEndpoint
from core.exceptions import DomainError

TEST_EVENT = "test-created"

# The anchor's names (DESIGN.md 8.4), in the order the form lists them.
EVENT_NAMES = (
    "reseller-relationship-accepted-by-customer",
    "reseller-relationship-request-declined",
    "dap-admin-relationship-terminated",
    "reseller-relationship-ended",
    "granular-admin-relationship-approved",
    "granular-admin-relationship-terminated",
    "granular-admin-relationship-expired",
    "granular-admin-relationship-auto-extended",
    "granular-admin-access-assignment-created",
    "granular-admin-access-assignment-deleted",
    "service-request-updated",
    TEST_EVENT,
)

EVENT_LABELS = {
    "reseller-relationship-accepted-by-customer": gettext_lazy(
        "Reseller relationship accepted by the customer"
    ),
    "reseller-relationship-request-declined": gettext_lazy(
        "Reseller relationship request declined"
    ),
    "dap-admin-relationship-terminated": gettext_lazy("Admin privileges removed"),
    "reseller-relationship-ended": gettext_lazy("Reseller relationship ended"),
    "granular-admin-relationship-approved": gettext_lazy("Admin relationship approved"),
    "granular-admin-relationship-terminated": gettext_lazy(
        "Admin relationship terminated"
    ),
    "granular-admin-relationship-expired": gettext_lazy("Admin relationship expired"),
    "granular-admin-relationship-auto-extended": gettext_lazy(
        "Admin relationship auto-extended"
    ),
    "granular-admin-access-assignment-created": gettext_lazy("Security group assigned"),
    "granular-admin-access-assignment-deleted": gettext_lazy("Assignment removed"),
    "service-request-updated": gettext_lazy("Service request updated"),
    TEST_EVENT: gettext_lazy("Test event"),
}

SIGNATURE_HEADER = "Portal-Signature"
USER_AGENT = "PartnerPortal-Webhooks/1.0"


# --- Secrets and signatures ---------------------------------------------------------


def _fernet() -> Fernet:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), b"webhook-secret", hashlib.sha256
    ).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # SECRET_KEY changed: the endpoint needs a new one
        raise DomainError(
            "webhook_secret_unreadable", _("The signing secret can no longer be read.")
        ) from exc


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Portal-Signature`` value: HMAC-SHA256 over ``<timestamp>.<body>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        "User-Agent": USER_AGENT,
    }


# --- The target check ---------------------------------------------------------------


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def validate_target_url(url: str) -> str:
    """Refuse what a webhook may not call: not HTTPS, or a host that resolves to a
    private, loopback, link-local, reserved or multicast address (R40).

    ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` (tests and local trials) allows plain HTTP
    and such addresses. Checked when saved and again before each delivery (a
    name may resolve elsewhere later). Returns the URL, stripped.
    """
    url = (url or "").strip()
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        host = None
        port = None
    if not host or parts.scheme not in ("http", "https") or parts.username:
        raise DomainError(
            "webhook_bad_url",
            _("Enter a full web address, such as https://example.com/webhooks."),
        )
    if parts.scheme != "https" and not allow_private:
        raise DomainError(
            "webhook_https_only", _("The address must start with https://.")
        )
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise DomainError(
            "webhook_bad_url",
            _("The host name %(host)s cannot be found.") % {"host": host},
        ) from exc
    if not allow_private and any(_private(info[4][0]) for info in infos):
        raise DomainError(
            "webhook_private_target",
            _(
                "The address points to a private, loopback or link-local network: "
                "use a public address."
            ),
        )
    return url


def _events_checked(events) -> list[str]:
    chosen = [name for name in EVENT_NAMES if name in set(events or [])]
    unknown = set(events or []) - set(EVENT_NAMES)
    if unknown or not chosen:
        raise DomainError("webhook_events", _("Choose at least one known event."))
    return chosen


# --- Endpoints ----------------------------------------------------------------------


def change_record(endpoint: WebhookEndpoint, kind: str, *, actor=None) -> None:
    """R41: the change in the partner's activity log (same transaction)."""
    WebhookChange.objects.create(
        partner_id=endpoint.partner_id,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        details={"endpoint_id": endpoint.pk, "url": endpoint.url},
        at=timezone.now(),
    )


@transaction.atomic
def endpoint_create(
    *, partner, actor, url: str, events, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (returned once, stored encrypted)."""
    url = validate_target_url(url)
    events = _events_checked(events)
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        partner=partner,
        url=url,
        description=(description or "").strip()[:200],
        events=events,
        secret_encrypted=secret_encrypt(secret),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    change_record(endpoint, WebhookChange.Kind.CREATED, actor=actor)
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, events, description: str = "", actor=None
) -> WebhookEndpoint:
    endpoint.url = validate_target_url(url)
    endpoint.events = _events_checked(events)
    endpoint.description = (description or "").strip()[:200]
    endpoint.save(update_fields=["url", "events", "description"])
    change_record(endpoint, WebhookChange.Kind.CHANGED, actor=actor)
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, actor=None) -> None:
    change_record(endpoint, WebhookChange.Kind.DELETED, actor=actor)
    endpoint.delete()


@transaction.atomic
def endpoint_enable(*, endpoint: WebhookEndpoint, actor=None) -> WebhookEndpoint:
    """Turn a disabled endpoint on again, failures counted from zero; its waiting
    deliveries go out."""
    endpoint.is_active = True
    endpoint.disabled_at = None
    endpoint.consecutive_failures = 0
    endpoint.save(update_fields=["is_active", "disabled_at", "consecutive_failures"])
    change_record(endpoint, WebhookChange.Kind.ENABLED, actor=actor)
    WebhookDelivery.objects.filter(
        endpoint=endpoint, status=WebhookDelivery.Status.PENDING
    ).update(next_attempt_at=None)
    _enqueue_on_commit(endpoint.pk)
    return endpoint


# --- Events -------------------------------------------------------------------------


def _payload(*, event_name, resource_uri, resource_name, audit_uri, occurred_at):
    event_id = uuid.uuid4()
    return event_id, {
        "EventName": event_name,
        "ResourceUri": resource_uri,
        "ResourceName": resource_name,
        "AuditUri": audit_uri,
        "ResourceChangeUtcDate": occurred_at.astimezone(datetime.UTC)
        .isoformat()
        .replace("+00:00", "Z"),
        "id": str(event_id),
    }


def _enqueue_on_commit(endpoint_id: int) -> None:
    from api.webhook_tasks import deliver

    transaction.on_commit(lambda: deliver.enqueue(endpoint_id=endpoint_id))


def _delivery_add(endpoint, *, event_name, occurred_at, **fields) -> WebhookDelivery:
    event_id, payload = _payload(
        event_name=event_name, occurred_at=occurred_at, **fields
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=event_id,
        event_name=event_name,
        payload=payload,
        occurred_at=occurred_at,
    )
    _enqueue_on_commit(endpoint.pk)
    return delivery


def emit(
    *,
    partner_id: int,
    event_name: str,
    resource_uri: str,
    resource_name: str,
    audit_uri: str = "",
    occurred_at=None,
) -> list[WebhookDelivery]:
    """One delivery per active endpoint of the partner subscribed to the event,
    in the caller's transaction; queued after it commits."""
    occurred_at = occurred_at or timezone.now()
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            partner_id=partner_id, is_active=True
        )
        if event_name in (endpoint.events or [])
    ]
    return [
        _delivery_add(
            endpoint,
            event_name=event_name,
            occurred_at=occurred_at,
            resource_uri=resource_uri,
            resource_name=resource_name,
            audit_uri=audit_uri,
        )
        for endpoint in endpoints
    ]


@transaction.atomic
def send_test_event(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send test event (R40): a ``test-created`` event to this endpoint only,
    whatever it subscribes to."""
    if not endpoint.is_active:
        raise DomainError(
            "webhook_disabled", _("This endpoint is disabled: enable it first.")
        )
    base = settings.PORTAL_BASE_URL
    return _delivery_add(
        endpoint,
        event_name=TEST_EVENT,
        occurred_at=timezone.now(),
        resource_uri=f"{base}/api/v1/",
        resource_name=_("Test event"),
        audit_uri=f"{base}/api/v1/activity/",
    )
