"""R43: tell the partner what the customer did, and how its service requests move.

The kinds are registered in customers.apps (``register_kinds``). Each notice goes
with an email in the recipient's language, after the change is committed: a
failing mail server is recorded on the notice for staff, never undoes the change.
Params hold names and codes only; the texts are rendered in each reader's language.
"""

from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.notifications import register_kind
from core.services import notifications_send
from customers.models import ResellerRelationship, ServiceRequest
from partners.models import Role

DAP_REMOVED = "dap_removed_by_customer"
RELATIONSHIP_ENDED = "relationship_ended_by_customer"
SERVICE_REQUEST_UPDATED = "service_request_updated"

# What ``notify_service_request_updated(change=...)`` may say, in the reader's
# language; any other code reads as a plain "was updated".
SERVICE_REQUEST_CHANGES = {
    "status": _("its status is now %(status)s"),
    "note": _("support added a note"),
    "assigned": _("a support engineer took it on"),
}


def _service_request_words(params: dict) -> dict:
    status = params.get("status", "")
    labels = dict(ServiceRequest.Status.choices)
    words = {"status": str(labels.get(status, status))}
    change = SERVICE_REQUEST_CHANGES.get(params.get("change", ""))
    return {
        **params,
        **words,
        "change": str(change) % words if change else str(_("it was updated")),
    }


def register_kinds() -> None:
    """The kinds this app sends; called from CustomersConfig.ready()."""
    register_kind(
        DAP_REMOVED,
        label=_("Admin privileges removed"),
        message=_("%(customer)s removed your admin privileges."),
        email_subject=_("%(customer)s removed your admin privileges"),
        email_body=_(
            "%(customer)s removed the admin privileges of %(partner)s. The "
            "relationship stays: you remain responsible for supporting them under "
            "the Cloud Reseller Agreement. You can open a service request on their "
            "behalf."
        ),
    )
    register_kind(
        RELATIONSHIP_ENDED,
        label=_("Relationship ended by the customer"),
        message=_("%(customer)s ended its reseller relationship with you."),
        email_subject=_("%(customer)s ended its reseller relationship with you"),
        email_body=_(
            "%(customer)s ended its reseller relationship with %(partner)s. The "
            "customer no longer appears on your Customers page; its history is kept."
        ),
    )
    register_kind(
        SERVICE_REQUEST_UPDATED,
        label=_("Service request updated"),
        message=_("Service request %(number)s for %(customer)s: %(change)s."),
        email_subject=_("Service request %(number)s for %(customer)s was updated"),
        email_body=_(
            "Service request %(number)s for %(customer)s, “%(title)s”: "
            "%(change)s. Open the portal to read it."
        ),
        display_params=_service_request_words,
    )


def partner_admins(partner_id: int, *also_user_ids) -> list:
    """The partner's active Global admins and Admin agents (and the given users),
    each once, with the membership their email language is read from."""
    User = get_user_model()
    return list(
        User.objects.filter(
            Q(
                partner_membership__partner_id=partner_id,
                partner_membership__roles__role__in=[
                    Role.GLOBAL_ADMIN,
                    Role.ADMIN_AGENT,
                ],
            )
            | Q(pk__in=[pk for pk in also_user_ids if pk]),
            is_active=True,
        )
        .select_related("partner_membership__partner")
        .distinct()
        .order_by("pk")
    )


def _relationship_notice(*, relationship_id: int, kind: str) -> None:
    relationship = ResellerRelationship.objects.select_related(
        "partner", "customer"
    ).get(pk=relationship_id)
    notifications_send(
        recipients=partner_admins(relationship.partner_id),
        kind=kind,
        params={
            "customer": relationship.customer.name,
            "partner": relationship.partner.name,
            "relationship_id": relationship.pk,
        },
        link=reverse("customers:detail", args=[relationship.customer_id]),
    )


def notify_dap_removed(*, relationship_id: int) -> None:
    """R12/R43: the customer removed the partner's admin privileges. After commit."""
    _relationship_notice(relationship_id=relationship_id, kind=DAP_REMOVED)


def notify_relationship_ended(*, relationship_id: int) -> None:
    """R14/R43: the customer ended the relationship. After commit."""
    _relationship_notice(relationship_id=relationship_id, kind=RELATIONSHIP_ENDED)


def notify_service_request_updated(*, service_request, change: str) -> None:
    """R43: staff moved a service request along; tell who opened it and the admins.

    Call it from the service that changes the request, inside its transaction:
    the notices and emails go out once it commits (at once outside a
    transaction), and not at all if it rolls back. ``change`` is a code: "status",
    "note" or "assigned" (see SERVICE_REQUEST_CHANGES); another reads as a plain
    update. Recipients: the person who opened it and the partner's Global admins
    and Admin agents; the link is the request's page.
    """
    transaction.on_commit(
        partial(
            _service_request_notice,
            service_request_id=service_request.pk,
            change=change,
        )
    )


def _service_request_notice(*, service_request_id: int, change: str) -> None:
    request = ServiceRequest.objects.select_related("partner", "customer").get(
        pk=service_request_id
    )
    notifications_send(
        recipients=partner_admins(request.partner_id, request.opened_by_id),
        kind=SERVICE_REQUEST_UPDATED,
        params={
            "number": str(getattr(request, "number", "") or request.pk),
            "title": request.title,
            "customer": request.customer.name,
            "partner": request.partner.name,
            "status": request.status,
            "change": change,
            "service_request_id": request.pk,
        },
        link=reverse("customers:service_request", args=[request.pk]),
    )
