"""What customers do when a partner user is removed (R26): they stop being
anyone's support contact, with a "support contacts changed" event per
relationship, in the removal's transaction (partners.signals)."""

from customers.models import RelationshipEvent, SupportContact
from customers.services import event_record


def drop_removed_partner_user(sender, *, partner, user, actor, **kwargs) -> None:
    contacts = list(
        SupportContact.objects.filter(
            user=user, relationship__partner=partner
        ).select_related("relationship__customer")
    )
    for contact in contacts:
        relationship = contact.relationship
        contact.delete()
        remaining = list(
            relationship.support_contacts.order_by("user_id").values_list(
                "user_id", "is_primary"
            )
        )
        event_record(
            kind=RelationshipEvent.Kind.SUPPORT_CONTACTS_CHANGED,
            partner=partner,
            customer=relationship.customer,
            relationship=relationship,
            actor=actor,
            details={
                "contacts": [uid for uid, _primary in remaining],
                "primary": next((uid for uid, primary in remaining if primary), None),
                "removed_user": user.pk,
                "reason": "user_removed",
            },
        )


def connect() -> None:
    from partners.signals import partner_user_removed

    partner_user_removed.connect(
        drop_removed_partner_user, dispatch_uid="customers.people.drop_removed"
    )
