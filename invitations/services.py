"""Every write to invitations: create, edit the draft, renew, revoke, accept, decline.

Each is one transaction that locks the invitation, re-checks its state and writes
its RelationshipEvent; mail goes out only after commit.
"""

import logging
import re
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from core.mail import email_queue, ensure_can_send
from customers.models import Customer, ResellerRelationship
from customers.permissions import customer_admin_membership
from customers.services import event_record, relationship_grant
from invitations import selectors, tokens
from invitations.models import LINK_PLACEHOLDER, Invitation
from invitations.notifications import notify_creator, notify_partner
from partners.models import Cloud, Partner

logger = logging.getLogger(__name__)
Kind = Invitation.Status
# core.mail's renderer that fills in the link when the worker sends (R7).
INVITATION_RENDERER = "invitation"


def draft_render(
    *, partner: Partner, include_dap: bool, language: str
) -> tuple[str, str]:
    """The default subject and body, in the email's language, with the placeholder."""
    return draft_from_templates(
        "invitations/email",
        {"partner": partner, "include_dap": include_dap},
        language=language,
    )


def draft_from_templates(folder: str, context: dict, *, language: str):
    """A request's default subject and body from ``<folder>/subject.txt`` and
    ``body.txt``, in ``language``, with the link's placeholder (R7) and the
    link's lifetime in the context."""
    context = {
        **context,
        "link": LINK_PLACEHOLDER,
        "ttl_days": settings.INVITATION_TTL_DAYS,
    }
    with translation.override(language):
        subject = render_to_string(f"{folder}/subject.txt", context).strip()
        body = render_to_string(f"{folder}/body.txt", context).strip() + "\n"
    return subject, body


def invitation_new(
    *,
    partner: Partner,
    created_by,
    draft: tuple[str, str],
    kind: str = Invitation.Kind.RESELLER,
    include_dap: bool = True,
    recipient_email: str = "",
    email_language: str = "en",
    customer=None,
) -> Invitation:
    """The pending request row with its draft and a fresh link (R7), valid
    INVITATION_TTL_DAYS; the caller is in its transaction and writes its event."""
    now = timezone.now()
    subject, body = draft
    return Invitation.objects.create(
        partner=partner,
        created_by=created_by,
        kind=kind,
        include_dap=include_dap,
        recipient_email=recipient_email.strip().lower(),
        email_language=email_language,
        subject=subject,
        body=body,
        sent_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_TTL_DAYS),
        customer=customer,
    )


@transaction.atomic
def invitation_create(
    *,
    partner: Partner,
    created_by,
    include_dap: bool,
    recipient_email: str = "",
    email_language: str = "en",
) -> Invitation:
    """R2/R3/R7: a pending invitation with its draft; sovereign clouds need DAP."""
    if Cloud.requires_dap(partner.cloud) and not include_dap:
        raise DomainError("dap_required", Cloud.dap_required_message(partner.cloud))
    invitation = invitation_new(
        partner=partner,
        created_by=created_by,
        draft=draft_render(
            partner=partner, include_dap=include_dap, language=email_language
        ),
        include_dap=include_dap,
        recipient_email=recipient_email,
        email_language=email_language,
    )
    event_record(
        kind="requested",
        partner=partner,
        actor=created_by,
        invitation_id=invitation.pk,
        details={"include_dap": include_dap},
    )
    return invitation


def _locked(invitation_id: int) -> Invitation:
    return (
        # of=("self",): lock only the invitation, not its partner's row, so
        # acceptances of different invitations of one partner do not queue.
        Invitation.objects.select_for_update(of=("self",))
        .select_related("partner")
        .get(pk=invitation_id)
    )


def _ensure_pending(invitation: Invitation, now) -> None:
    status = invitation.effective_status(now)
    if status != Invitation.Status.PENDING:
        raise DomainError(
            f"not_pending_{status}",
            _("This request is no longer pending (%(status)s).")
            % {"status": Invitation.Status(status).label},
        )


def contains_exact_link(text: str, link: str) -> bool:
    """True when the link stands whole in the text, not as the start of a longer URL."""
    return (
        re.search(re.escape(link) + r"""(?=$|[\s<>"'()\[\],.;:!?])""", text) is not None
    )


@transaction.atomic
def invitation_save_draft(
    *, invitation_id: int, subject: str, body: str, link: str
) -> Invitation:
    """R5: keep the partner's edit; the body must still carry the exact link."""
    invitation = _locked(invitation_id)
    _ensure_pending(invitation, timezone.now())
    if not contains_exact_link(body, link):
        raise DomainError(
            "link_missing",
            _("Keep the link: it connects the customer to your account."),
        )
    # R7: wherever the partner put the link, the database keeps only the placeholder.
    subject = subject.strip().replace(link, LINK_PLACEHOLDER)
    body = body.replace(link, LINK_PLACEHOLDER)
    if tokens.make_token(invitation) in subject + body:
        # A changed copy of the link (other address, bare token) would be stored
        # in plaintext and would not work for the customer anyway.
        raise DomainError(
            "link_altered",
            _(
                "Keep the link exactly as it is: a changed copy of it does not "
                "work. Remove the copy and keep the original link."
            ),
        )
    invitation.subject = subject
    invitation.body = body
    invitation.save(update_fields=["subject", "body"])
    return invitation


@transaction.atomic
def invitation_renew_link(*, invitation_id: int, actor) -> Invitation:
    """R7: a new link for a pending request; the old one stops working at once."""
    from invitations.models import new_link_nonce

    invitation = _locked(invitation_id)
    _ensure_pending(invitation, timezone.now())
    now = timezone.now()
    invitation.link_nonce = new_link_nonce()
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=settings.INVITATION_TTL_DAYS)
    invitation.first_opened_at = None
    invitation.save(
        update_fields=["link_nonce", "sent_at", "expires_at", "first_opened_at"]
    )
    event_record(
        kind="link_renewed",
        partner=invitation.partner,
        actor=actor,
        invitation_id=invitation.pk,
    )
    if invitation.last_email_id is not None:
        reminders_schedule(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation_id: int, actor, reason: str = "") -> Invitation:
    """R7: revoke a pending request; its link then answers "revoked" (410).

    ``reason`` (given by staff in the admin) is kept in the event's details.
    """
    invitation = _locked(invitation_id)
    if invitation.status == Invitation.Status.REVOKED:
        return invitation
    _ensure_pending(invitation, timezone.now())
    invitation.status = Invitation.Status.REVOKED
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["status", "revoked_at"])
    event_record(
        kind="revoked",
        partner=invitation.partner,
        actor=actor,
        invitation_id=invitation.pk,
        details={"reason": reason[:500]} if reason else None,
    )
    return invitation


def invitation_mark_opened(*, invitation: Invitation) -> None:
    """Record the first time the link was opened; later opens change nothing."""
    if invitation.first_opened_at is None:
        now = timezone.now()
        Invitation.objects.filter(
            pk=invitation.pk, first_opened_at__isnull=True
        ).update(first_opened_at=now)
        invitation.first_opened_at = now


def _ensure_customer_matches(invitation: Invitation, customer: Customer) -> None:
    """R4: same country/region and same cloud, else a message naming both."""
    mismatch = selectors.customer_mismatch(invitation, customer)
    if mismatch:
        raise DomainError(*mismatch)


def _ensure_customer_admin(user, refusal):
    membership = customer_admin_membership(user)
    if membership is None:
        raise DomainError("not_customer_admin", refusal)
    return membership


def _ensure_same_link(invitation: Invitation, link_nonce: str | None) -> None:
    """The link checked before the lock must still be the current one after it:
    a "Create a new link" that committed in between invalidates it (R7)."""
    if link_nonce is not None and link_nonce != invitation.link_nonce:
        raise DomainError(
            "link_replaced",
            _("This link was replaced by a newer one. Ask your partner for it."),
        )


@transaction.atomic
def invitation_accept(
    *, invitation_id: int, admin_user, link_nonce: str | None = None
) -> ResellerRelationship:
    """R9: accept for the admin's organisation. Atomic and idempotent.

    The invitation row is locked, so concurrent clicks queue; whoever comes second
    finds it accepted and gets the same relationship back (no error, no second
    event). A refusal (R4, expired, revoked...) raises and changes nothing.
    """
    membership = _ensure_customer_admin(
        admin_user,
        _("Only an administrator of the customer organisation can accept."),
    )
    customer = membership.customer
    invitation = _locked(invitation_id)
    if invitation.status == Invitation.Status.ACCEPTED:
        if invitation.customer_id == customer.pk:
            return invitation.relationship  # a concurrent or repeated click won
        raise DomainError(
            "not_pending_accepted", _("This invitation has already been used.")
        )
    _ensure_same_link(invitation, link_nonce)
    _ensure_pending(invitation, timezone.now())
    # The customer's row is locked before its relationships are read, so two
    # invitations of one partner accepted at once cannot both see "no partner yet".
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    # R45: the same check as the page that hid the button (a forged POST, or a
    # page left open while things changed, is refused here with the same reason).
    eligibility = selectors.acceptance_eligibility(
        invitation=invitation, user=admin_user
    )
    if not eligibility.can_accept:
        raise DomainError(eligibility.code, eligibility.reason)
    relationship = relationship_grant(
        partner=invitation.partner,
        customer=customer,
        dap=invitation.include_dap,
        actor=admin_user,
        invitation_id=invitation.pk,
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.responded_by = admin_user
    invitation.responded_at = timezone.now()
    invitation.customer = customer
    invitation.relationship = relationship
    invitation.save(
        update_fields=[
            "status",
            "responded_by",
            "responded_at",
            "customer",
            "relationship",
        ]
    )
    transaction.on_commit(
        partial(notify_partner, invitation_id=invitation.pk, kind="invitation_accepted")
    )
    return relationship


@transaction.atomic
def invitation_decline(
    *, invitation_id: int, admin_user, link_nonce: str | None = None
) -> Invitation:
    """R9: the customer administrator declines; the partner sees it."""
    membership = _ensure_customer_admin(
        admin_user,
        _("Only an administrator of the customer organisation can decline."),
    )
    invitation = _locked(invitation_id)
    if invitation.status == Invitation.Status.DECLINED:
        return invitation
    _ensure_same_link(invitation, link_nonce)
    _ensure_pending(invitation, timezone.now())
    # R4: only an organisation that could accept may decline; anyone else would
    # kill the link meant for the real customer.
    _ensure_customer_matches(invitation, membership.customer)
    invitation.status = Invitation.Status.DECLINED
    invitation.responded_by = admin_user
    invitation.responded_at = timezone.now()
    invitation.customer = membership.customer
    invitation.save(
        update_fields=["status", "responded_by", "responded_at", "customer"]
    )
    event_record(
        kind="declined",
        partner=invitation.partner,
        customer=membership.customer,
        actor=admin_user,
        invitation_id=invitation.pk,
    )
    transaction.on_commit(
        partial(notify_partner, invitation_id=invitation.pk, kind="invitation_declined")
    )
    return invitation


# --- Sending from the portal, reminders, extend (R22–R24) -----------------------


def sender_key(partner_id: int) -> str:
    """The hourly limit (R22) is per partner."""
    return f"partner:{partner_id}"


def _queue_invitation_email(
    invitation, *, to, reply_to, subject, body, scheduled_at=None
):
    """The draft (with the placeholder, R7) into the outbox; the worker fills in
    the link when it sends (invitations.tasks.render_invitation_email)."""
    email = email_queue(
        to=to,
        subject=subject,
        body=body,
        reply_to=reply_to,
        language=invitation.email_language,
        renderer=INVITATION_RENDERER,
        object_id=invitation.pk,
        sender_key=sender_key(invitation.partner_id),
        scheduled_at=scheduled_at,
    )
    invitation.last_email = email
    invitation.save(update_fields=["last_email"])
    return email


@transaction.atomic
def invitation_send_email(*, invitation_id: int, actor, to: str, scheduled_at=None):
    """R22: send the saved draft with its link to ``to`` through the queue.

    From DEFAULT_FROM_EMAIL, Reply-To the partner user; at most
    SEND_LIMIT_PER_HOUR a partner (refused with when it can send again), unless
    ``scheduled_at`` paces it (a bulk request). Sending again re-sends the same
    link. Reminders (R23) are scheduled for the request's expiry.
    """
    invitation = _locked(invitation_id)
    _ensure_pending(invitation, timezone.now())
    to = to.strip().lower()
    try:
        validate_email(to)
    except ValidationError:
        raise DomainError(
            "bad_recipient", _("Enter the customer's email address to send it to.")
        ) from None
    if scheduled_at is None:
        ensure_can_send(sender_key=sender_key(invitation.partner_id))
    if invitation.recipient_email != to:
        invitation.recipient_email = to
        invitation.save(update_fields=["recipient_email"])
    email = _queue_invitation_email(
        invitation,
        to=to,
        reply_to=actor.email,
        subject=invitation.subject,
        body=invitation.body,
        scheduled_at=scheduled_at,
    )
    reminders_schedule(invitation)
    return email


def reminders_schedule(invitation) -> None:
    """R23: a reminder task for each of INVITATION_REMINDER_DAYS before expiry
    that is still ahead. Each checks, when it runs, that the request is pending
    with this very expiry: an extended, renewed, revoked or answered request gets
    nothing from the old schedule."""
    from invitations.tasks import send_reminder

    now = timezone.now()
    for days in settings.INVITATION_REMINDER_DAYS:
        at = invitation.expires_at - timedelta(days=days)
        if at <= now:
            continue
        send_reminder.using(run_after=at).enqueue(
            invitation_id=invitation.pk,
            days_before=days,
            expires_at=invitation.expires_at.isoformat(),
        )


@transaction.atomic
def invitation_remind(*, invitation_id: int, days_before: int, expires_at) -> str:
    """R23: the reminder email and the creator's notice, once per expiry."""
    from invitations.models import InvitationReminder

    invitation = _locked(invitation_id)
    if (
        invitation.effective_status(timezone.now()) != Invitation.Status.PENDING
        or invitation.expires_at != expires_at
        or invitation.last_email_id is None
    ):
        return "skipped"
    reminder, created = InvitationReminder.objects.get_or_create(
        invitation=invitation, days_before=days_before, expires_at=expires_at
    )
    if not created:
        return "skipped"
    subject, body = reminder_render(invitation, days_before=days_before)
    reminder.email = email_queue(
        to=invitation.recipient_email,
        subject=subject,
        body=body,
        reply_to=invitation.created_by.email,
        language=invitation.email_language,
        renderer=INVITATION_RENDERER,
        object_id=invitation.pk,
    )
    reminder.save(update_fields=["email"])
    # In the same transaction: the notice and its email are rows of the
    # database (the outbox), written with the reminder or not at all.
    notify_creator(
        invitation_id=invitation.pk, kind="invitation_expiring", days=days_before
    )
    return "sent"


def reminder_render(invitation, *, days_before: int) -> tuple[str, str]:
    """The reminder's subject and body in the email's language, with the
    placeholder where the link goes (R7), above the partner's own draft."""
    context = {
        "partner": invitation.partner,
        "days": days_before,
        "link": LINK_PLACEHOLDER,
        "admin_relationship": invitation.kind == Invitation.Kind.ADMIN_RELATIONSHIP,
    }
    with translation.override(invitation.email_language):
        subject = render_to_string(
            "invitations/email/reminder_subject.txt", context
        ).strip()
        body = render_to_string("invitations/email/reminder_body.txt", context)
    return subject, body.strip() + "\n"


@transaction.atomic
def invitation_extend(*, invitation_id: int, actor) -> Invitation:
    """R24: a pending request expires INVITATION_TTL_DAYS from now; same link."""
    invitation = _locked(invitation_id)
    _ensure_pending(invitation, timezone.now())
    previous = invitation.expires_at
    invitation.expires_at = timezone.now() + timedelta(
        days=settings.INVITATION_TTL_DAYS
    )
    invitation.save(update_fields=["expires_at"])
    event_record(
        kind="extended",
        partner=invitation.partner,
        actor=actor,
        invitation_id=invitation.pk,
        details={
            "previous_expiry": previous.isoformat(),
            "expires_at": invitation.expires_at.isoformat(),
        },
    )
    if invitation.last_email_id is not None:
        reminders_schedule(invitation)
    return invitation
