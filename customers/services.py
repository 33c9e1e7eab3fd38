"""Every write to customers, relationships, support contacts and service requests.

One state change, one function: each runs in one transaction, locks what it
changes, re-checks the state after the lock and writes its RelationshipEvent.
"""

from functools import partial

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from customers.models import (
    Customer,
    CustomerMembership,
    RelationshipEvent,
    ResellerRelationship,
    ServiceRequest,
    ServiceRequestNote,
    SupportContact,
)
from customers.notifications import (
    notify_dap_removed,
    notify_relationship_ended,
    notify_service_request_updated,
)
from customers.selectors import subscriptions_blocking_end
from partners.models import Partner

Kind = RelationshipEvent.Kind


def event_record(
    *,
    kind: str,
    partner: Partner,
    customer: Customer | None = None,
    relationship: ResellerRelationship | None = None,
    actor=None,
    invitation_id: int | None = None,
    details: dict | None = None,
) -> RelationshipEvent:
    """Append one event to the timeline; callers are inside their transaction."""
    return RelationshipEvent.objects.create(
        kind=kind,
        partner=partner,
        customer=customer,
        relationship=relationship,
        actor=actor if actor is not None and actor.is_authenticated else None,
        invitation_id=invitation_id,
        created_at=timezone.now(),
        details=details or {},
    )


@transaction.atomic
def customer_create_with_admin(
    *, name: str, domain: str, country: str, cloud: str, email: str, password: str
):
    """Create a customer organisation and its first administrator (sign-up).

    Two sign-ups for one domain at the same moment: the database's unique
    constraint decides, and the loser gets the same "domain taken" refusal.
    """
    domain = domain.strip().lower()
    User = get_user_model()
    domain_taken = DomainError(
        "domain_taken",
        _("An organisation with the domain %(domain)s already exists.")
        % {"domain": domain},
    )
    if Customer.objects.filter(domain__iexact=domain).exists():
        raise domain_taken
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(
            "email_taken", _("An account with this email address already exists.")
        )
    customer = Customer(name=name.strip(), domain=domain, country=country, cloud=cloud)
    customer.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            customer.save()
            user = User.objects.create_user(
                username=email.lower(), email=email.lower(), password=password
            )
    except IntegrityError as exc:
        if Customer.objects.filter(domain__iexact=domain).exists():
            raise domain_taken from exc
        raise DomainError(
            "email_taken", _("An account with this email address already exists.")
        ) from exc
    CustomerMembership.objects.create(user=user, customer=customer, is_admin=True)
    return customer, user


@transaction.atomic
def relationship_grant(
    *, partner: Partner, customer: Customer, dap: bool, actor, invitation_id=None
) -> ResellerRelationship:
    """Create, reactivate or update the one relationship for the pair.

    R9/R13: an ended relationship becomes active again; a DAP request restores DAP
    on a relationship without it. A reseller-only request never removes DAP.
    The customer row is locked so two acceptances of different invitations for the
    same pair cannot both create a relationship.
    """
    Customer.objects.select_for_update().get(pk=customer.pk)
    now = timezone.now()
    relationship = (
        ResellerRelationship.objects.select_for_update()
        .filter(partner=partner, customer=customer)
        .first()
    )
    event_args = {
        "partner": partner,
        "customer": customer,
        "actor": actor,
        "invitation_id": invitation_id,
    }
    if relationship is None:
        relationship = ResellerRelationship.objects.create(
            partner=partner, customer=customer, dap_active=dap, since=now
        )
        event_record(kind=Kind.ACCEPTED, relationship=relationship, **event_args)
        if dap:
            event_record(kind=Kind.DAP_GRANTED, relationship=relationship, **event_args)
        return relationship

    event_record(kind=Kind.ACCEPTED, relationship=relationship, **event_args)
    fields = []
    if relationship.status == ResellerRelationship.Status.ENDED:
        relationship.status = ResellerRelationship.Status.ACTIVE
        relationship.since = now
        relationship.ended_at = None
        relationship.ended_by = None
        relationship.end_reason = ""
        fields += ["status", "since", "ended_at", "ended_by", "end_reason"]
        event_record(kind=Kind.REACTIVATED, relationship=relationship, **event_args)
    if dap and not relationship.dap_active:
        relationship.dap_active = True
        relationship.dap_removed_at = None
        fields += ["dap_active", "dap_removed_at"]
        event_record(kind=Kind.DAP_RESTORED, relationship=relationship, **event_args)
    if fields:
        relationship.save(update_fields=fields)
    return relationship


def _locked_relationship(relationship_id: int) -> ResellerRelationship:
    return (
        ResellerRelationship.objects.select_for_update(of=("self",))
        .select_related("partner", "customer")
        .get(pk=relationship_id)
    )


@transaction.atomic
def dap_remove(*, relationship_id: int, actor) -> ResellerRelationship:
    """R12: the customer removes the partner's admin privileges; the link stays."""
    relationship = _locked_relationship(relationship_id)
    if not relationship.is_active:
        raise DomainError("not_active", _("This relationship has ended."))
    if not relationship.dap_active:
        return relationship  # already removed: a second click changes nothing
    relationship.dap_active = False
    relationship.dap_removed_at = timezone.now()
    relationship.save(update_fields=["dap_active", "dap_removed_at"])
    event_record(
        kind=Kind.DAP_REMOVED,
        partner=relationship.partner,
        customer=relationship.customer,
        relationship=relationship,
        actor=actor,
    )
    # R43: the partner's admins are told once the removal is committed.
    transaction.on_commit(partial(notify_dap_removed, relationship_id=relationship.pk))
    return relationship


@transaction.atomic
def relationship_end(
    *, relationship_id: int, actor, reason: str = "", side: str = "partner"
) -> ResellerRelationship:
    """R14: end a relationship, refused while this partner's subscriptions are active.

    History stays: events, service requests and invitations are kept.
    """
    relationship = _locked_relationship(relationship_id)
    if not relationship.is_active:
        return relationship
    blocking = subscriptions_blocking_end([relationship])[relationship.pk]
    if blocking:
        raise DomainError(
            "active_subscriptions",
            _(
                "This relationship cannot end while subscriptions provisioned by "
                "%(partner)s are active: %(subscriptions)s. Cancel them first."
            )
            % {
                "partner": relationship.partner.name,
                "subscriptions": ", ".join(s.offer_name for s in blocking),
            },
            subscriptions=blocking,
        )
    now = timezone.now()
    relationship.status = ResellerRelationship.Status.ENDED
    relationship.ended_at = now
    relationship.ended_by = actor if actor and actor.is_authenticated else None
    relationship.end_reason = reason[:500]
    # Ending withdraws admin privileges too; a later acceptance with DAP restores
    # them on the same relationship (R13) and records it.
    dap_was_active = relationship.dap_active
    relationship.dap_active = False
    relationship.dap_removed_at = None
    relationship.save(
        update_fields=[
            "status",
            "ended_at",
            "ended_by",
            "end_reason",
            "dap_active",
            "dap_removed_at",
        ]
    )
    event_record(
        kind=Kind.ENDED,
        partner=relationship.partner,
        customer=relationship.customer,
        relationship=relationship,
        actor=actor,
        details={
            "side": side,
            "reason": reason[:500],
            "dap_was_active": dap_was_active,
        },
    )
    if side == "customer":
        # R43: the partner's admins are told once the end is committed.
        transaction.on_commit(
            partial(notify_relationship_ended, relationship_id=relationship.pk)
        )
    return relationship


@transaction.atomic
def support_contacts_set(
    *, relationship_id: int, actor, user_ids: list[int], primary_id: int | None
) -> ResellerRelationship:
    """R15: replace the support contacts; at most one primary, all of this partner."""
    relationship = _locked_relationship(relationship_id)
    if not relationship.is_active:
        raise DomainError("not_active", _("This relationship has ended."))
    User = get_user_model()
    ids = set(user_ids)
    if primary_id is not None:
        ids.add(primary_id)
    allowed = set(
        User.objects.filter(
            pk__in=ids, partner_membership__partner=relationship.partner
        ).values_list("pk", flat=True)
    )
    if allowed != ids:
        raise DomainError(
            "not_partner_user",
            _("Support contacts must be users of your partner organisation."),
        )
    relationship.support_contacts.all().delete()
    SupportContact.objects.bulk_create(
        SupportContact(
            relationship=relationship, user_id=uid, is_primary=uid == primary_id
        )
        for uid in sorted(ids)
    )
    event_record(
        kind=Kind.SUPPORT_CONTACTS_CHANGED,
        partner=relationship.partner,
        customer=relationship.customer,
        relationship=relationship,
        actor=actor,
        details={"contacts": sorted(ids), "primary": primary_id},
    )
    return relationship


@transaction.atomic
def service_request_open(
    *, relationship_id: int, actor, title: str, description: str, severity: str
) -> ServiceRequest:
    """R16: open a service request for the customer, with or without DAP."""
    relationship = _locked_relationship(relationship_id)
    if not relationship.is_active:
        raise DomainError("not_active", _("This relationship has ended."))
    request = ServiceRequest(
        partner=relationship.partner,
        customer=relationship.customer,
        title=title.strip(),
        description=description.strip(),
        severity=severity,
        opened_by=actor,
    )
    request.full_clean()
    request.save()
    event_record(
        kind=Kind.SERVICE_REQUEST_OPENED,
        partner=relationship.partner,
        customer=relationship.customer,
        relationship=relationship,
        actor=actor,
        details={"service_request": request.pk, "title": request.title},
    )
    return request


def _service_request_locked(service_request_id: int) -> ServiceRequest:
    # Locks only the request row: two engineers saving at once, or an engineer
    # and a partner adding notes, are applied one after the other.
    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("partner", "customer")
        .get(pk=service_request_id)
    )


def _relationship_of(service_request: ServiceRequest) -> ResellerRelationship | None:
    return ResellerRelationship.objects.filter(
        partner_id=service_request.partner_id, customer_id=service_request.customer_id
    ).first()


def _note_append(
    *, service_request: ServiceRequest, author, body: str, is_internal: bool
) -> ServiceRequestNote:
    body = body.strip()
    if not body:
        raise DomainError("note_empty", _("Write a note."))
    note = ServiceRequestNote(
        service_request=service_request,
        author=author,
        body=body,
        is_internal=is_internal,
        created_at=timezone.now(),
    )
    note.full_clean()
    note.save()
    return note


@transaction.atomic
def service_request_update(
    *,
    service_request_id: int,
    actor,
    status: str | None = None,
    staff_note: str | None = None,
    note_is_internal: bool = False,
    assign_to_actor: bool = False,
) -> ServiceRequest:
    """Support staff move a service request along and leave a note (R16, R44).

    ``staff_note`` is appended to the request's notes (append-only); unless
    ``note_is_internal``, the partner sees it and it becomes the request's
    ``staff_note``, the latest word from support shown on the customer card.
    One event for the whole change; the partner is notified after the commit
    when the status moved or a note it sees was added (not for an assignment
    or an internal note).
    """
    request = _service_request_locked(service_request_id)
    changes: dict = {}
    if status is not None and status != request.status:
        changes["status"] = [request.status, status]
        request.status = status
    if assign_to_actor and request.handled_by_id != actor.pk:
        changes["handled_by"] = actor.pk
        request.handled_by = actor
    note = None
    if staff_note is not None and staff_note.strip():
        if not note_is_internal and staff_note.strip() == request.staff_note:
            staff_note = None  # the same words again: nothing new to say
        else:
            note = _note_append(
                service_request=request,
                author=actor,
                body=staff_note,
                is_internal=note_is_internal,
            )
            if not note_is_internal:
                changes["note"] = True
                request.staff_note = note.body
    if not changes and note is None:
        return request
    request.full_clean()
    request.save()  # updated_at moves, also for an internal note
    if not changes:
        # An internal note only: the partner's and customer's timeline shows
        # nothing of it.
        return request
    event_record(
        kind=Kind.SERVICE_REQUEST_UPDATED,
        partner=request.partner,
        customer=request.customer,
        relationship=_relationship_of(request),
        actor=actor,
        details={"service_request": request.pk, "number": request.number, **changes},
    )
    if "status" in changes or "note" in changes:
        # R43: sent once this transaction commits, never if it rolls back.
        # "status" when it moved (perhaps with a note), else "note"; an
        # assignment alone is support's business, not the partner's.
        notify_service_request_updated(
            service_request=request,
            change="status" if "status" in changes else "note",
        )
    return request


@transaction.atomic
def service_request_note_add(
    *, service_request_id: int, author, body: str, is_internal: bool = False
) -> ServiceRequestNote:
    """Append one note to a service request (R44) and move its ``updated_at``.

    A partner user's note (the view has checked the role and that the request is
    their partner's) is never internal and is refused once the relationship has
    ended; it writes a "service request updated" event. A support engineer's
    note goes through ``service_request_update`` rules: the partner is notified
    after the commit unless it is internal.
    """
    if author.is_staff:
        return _staff_note_add(
            service_request_id=service_request_id,
            author=author,
            body=body,
            is_internal=is_internal,
        )
    if is_internal:
        raise DomainError(
            "note_internal", _("Only support engineers write internal notes.")
        )
    request = _service_request_locked(service_request_id)
    relationship = _relationship_of(request)
    if relationship is None or not relationship.is_active:
        raise DomainError("not_active", _("This relationship has ended."))
    note = _note_append(
        service_request=request, author=author, body=body, is_internal=False
    )
    request.save(update_fields=["updated_at"])
    event_record(
        kind=Kind.SERVICE_REQUEST_UPDATED,
        partner=request.partner,
        customer=request.customer,
        relationship=relationship,
        actor=author,
        details={"service_request": request.pk, "number": request.number, "note": True},
    )
    return note


def _staff_note_add(
    *, service_request_id: int, author, body: str, is_internal: bool
) -> ServiceRequestNote:
    if not body.strip():
        raise DomainError("note_empty", _("Write a note."))
    request = service_request_update(
        service_request_id=service_request_id,
        actor=author,
        staff_note=body,
        note_is_internal=is_internal,
    )
    return request.notes.order_by("-created_at", "-id").first()
