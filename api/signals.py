"""Receivers the api app connects to the apps below (R40 webhooks).

Each new RelationshipEvent or GdapEvent of a kind that has a webhook event name
becomes a delivery for the partner's subscribed endpoints, written in the same
transaction as the change: a rolled-back change sends nothing.
"""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse

from api.webhooks import emit
from customers.models import RelationshipEvent
from gdap.models import GdapEvent

RK = RelationshipEvent.Kind
GK = GdapEvent.Kind

RELATIONSHIP_EVENTS = {
    RK.ACCEPTED: "reseller-relationship-accepted-by-customer",
    RK.DECLINED: "reseller-relationship-request-declined",
    RK.DAP_REMOVED: "dap-admin-relationship-terminated",
    RK.ENDED: "reseller-relationship-ended",
    RK.SERVICE_REQUEST_UPDATED: "service-request-updated",
}
GDAP_EVENTS = {
    GK.APPROVED: "granular-admin-relationship-approved",
    GK.TERMINATED: "granular-admin-relationship-terminated",
    GK.EXPIRED: "granular-admin-relationship-expired",
    GK.AUTO_EXTENDED: "granular-admin-relationship-auto-extended",
    GK.ASSIGNMENT_CREATED: "granular-admin-access-assignment-created",
    GK.ASSIGNMENT_DELETED: "granular-admin-access-assignment-deleted",
}


def _uri(name: str, **kwargs) -> str:
    return settings.PORTAL_BASE_URL + reverse(name, kwargs=kwargs)


def _audit_uri(customer_id) -> str:
    uri = _uri("api:activity-list")
    return f"{uri}?customer={customer_id}" if customer_id else uri


@receiver(post_save, sender=RelationshipEvent, dispatch_uid="api.webhook_relationship")
def relationship_event_saved(sender, instance, created, raw=False, **kwargs):
    name = RELATIONSHIP_EVENTS.get(instance.kind)
    if not created or raw or name is None:
        return
    details = instance.details or {}
    if instance.kind == RK.SERVICE_REQUEST_UPDATED and details.get("service_request"):
        uri = _uri(
            "api:service-request-detail",
            service_request_id=details["service_request"],
        )
        resource = str(details.get("number") or details["service_request"])
    elif instance.relationship_id:
        uri = _uri(
            "api:reseller-relationship-detail", relationship_id=instance.relationship_id
        )
        resource = instance.customer.name if instance.customer_id else ""
    elif instance.customer_id:
        uri = _uri("api:customer-detail", customer_id=instance.customer_id)
        resource = instance.customer.name
    else:  # a declined request with no customer yet
        uri = _uri("api:relationship-request-list")
        if instance.invitation_id:
            uri = _uri(
                "api:relationship-request-detail", invitation_id=instance.invitation_id
            )
        resource = str(details.get("email") or details.get("customer") or "")
    emit(
        partner_id=instance.partner_id,
        event_name=name,
        resource_uri=uri,
        resource_name=resource,
        audit_uri=_audit_uri(instance.customer_id),
        occurred_at=instance.created_at,
    )


@receiver(post_save, sender=GdapEvent, dispatch_uid="api.webhook_gdap")
def gdap_event_saved(sender, instance, created, raw=False, **kwargs):
    name = GDAP_EVENTS.get(instance.kind)
    if not created or raw or name is None:
        return
    details = instance.details or {}
    if instance.relationship_id:
        uri = _uri(
            "api:admin-relationship-detail",
            admin_relationship_id=instance.relationship_id,
        )
        resource = instance.relationship.name
    else:
        uri = _uri("api:admin-relationship-list")
        resource = str(details.get("name") or "")
    emit(
        partner_id=instance.partner_id,
        event_name=name,
        resource_uri=uri,
        resource_name=resource,
        audit_uri=_audit_uri(instance.customer_id),
        occurred_at=instance.at,
    )
