"""factory-boy factories for every model. Partners default to Contoso-like FR/public."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.models import Notification, OutgoingEmail
from customers.models import (
    Customer,
    CustomerMembership,
    DirectoryUser,
    License,
    RelationshipEvent,
    ResellerRelationship,
    ServiceRequest,
    ServiceRequestNote,
    Subscription,
    SupportContact,
)
from invitations.models import Invitation
from partners.models import (
    Cloud,
    MembershipRole,
    Partner,
    PartnerMembership,
    Role,
)

PASSWORD = "test-password"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    username = factory.LazyAttribute(lambda o: o.email.lower())
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    country = "FR"
    cloud = Cloud.PUBLIC


class PartnerMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerMembership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)


class MembershipRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MembershipRole

    membership = factory.SubFactory(PartnerMembershipFactory)
    role = Role.ADMIN_AGENT


def partner_user(partner=None, role=Role.ADMIN_AGENT, **user_fields):
    """A user of ``partner`` (a new one if None) with one role."""
    partner = partner or PartnerFactory()
    user = UserFactory(**user_fields)
    membership = PartnerMembershipFactory(user=user, partner=partner)
    MembershipRoleFactory(membership=membership, role=role)
    return user


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n:04d}")
    domain = factory.Sequence(lambda n: f"customer{n}.example")
    country = "FR"
    cloud = Cloud.PUBLIC


class CustomerMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerMembership

    user = factory.SubFactory(UserFactory)
    customer = factory.SubFactory(CustomerFactory)
    is_admin = True


def customer_admin(customer=None, **user_fields):
    customer = customer or CustomerFactory()
    user = UserFactory(**user_fields)
    CustomerMembershipFactory(user=user, customer=customer, is_admin=True)
    return user


class DirectoryUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DirectoryUser

    customer = factory.SubFactory(CustomerFactory)
    display_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"person{n}@directory.example")


class LicenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = License

    customer = factory.SubFactory(CustomerFactory)
    product = "Microsoft 365 E3"
    assigned = 3
    total = 5


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    customer = factory.SubFactory(CustomerFactory)
    offer_name = factory.Sequence(lambda n: f"Offer {n}")
    quantity = 5
    status = Subscription.Status.ACTIVE
    provisioned_by = None


class RelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResellerRelationship

    partner = factory.SubFactory(PartnerFactory)
    customer = factory.SubFactory(CustomerFactory)
    dap_active = True
    since = factory.LazyFunction(timezone.now)


class RelationshipEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelationshipEvent

    partner = factory.SubFactory(PartnerFactory)
    kind = RelationshipEvent.Kind.ACCEPTED
    created_at = factory.LazyFunction(timezone.now)


class SupportContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportContact

    relationship = factory.SubFactory(RelationshipFactory)
    user = factory.SubFactory(UserFactory)
    is_primary = False


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceRequest

    partner = factory.SubFactory(PartnerFactory)
    customer = factory.SubFactory(CustomerFactory)
    title = "Mailbox cannot receive mail"
    description = "Since this morning."
    opened_by = factory.SubFactory(UserFactory)


class ServiceRequestNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceRequestNote

    service_request = factory.SubFactory(ServiceRequestFactory)
    author = factory.SubFactory(UserFactory, is_staff=True)
    body = "We are looking into it."
    is_internal = False
    created_at = factory.LazyFunction(timezone.now)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    partner = factory.SubFactory(PartnerFactory)
    created_by = factory.SubFactory(UserFactory)
    include_dap = True
    subject = "Reseller request"
    body = "Please accept: {{invitation_link}}\n"
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.sent_at + timedelta(days=90))


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "invitation_accepted"
    params = factory.LazyAttribute(
        lambda o: {"partner": "Contoso", "customer": "Adatum", "invitation_id": 1}
    )
    link = "/invitations/"


class OutgoingEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutgoingEmail

    to = factory.Sequence(lambda n: f"to{n}@example.test")
    subject = "Subject"
    body = "Body\n"
    notification = factory.SubFactory(NotificationFactory)


def queued_task():
    """A real task row of the queue (core.tasks.send_email for a new email)."""
    from django_tasks_db.models import DBTaskResult

    from core.tasks import send_email

    result = send_email.enqueue(email_id=OutgoingEmailFactory().pk)
    return DBTaskResult.objects.get(pk=result.id)


class UserSessionFactory(factory.django.DjangoModelFactory):
    """A session record of My account (R30)."""

    class Meta:
        model = "core.UserSession"

    user = factory.SubFactory(UserFactory)
    session_key = factory.Sequence(lambda n: f"session{n:032d}")
    user_agent = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36"
    client_ip = "203.0.113.7"


class PartnerUserEventFactory(factory.django.DjangoModelFactory):
    """A change to a partner's people (R26)."""

    class Meta:
        model = "partners.PartnerUserEvent"

    partner = factory.SubFactory(PartnerFactory)
    actor = factory.SubFactory(UserFactory)
    subject = factory.SubFactory(UserFactory)
    kind = "added"
    details = factory.LazyAttribute(lambda o: {"email": o.subject.email})
    at = factory.LazyFunction(timezone.now)


# --- API tokens (R38) ----------------------------------------------------------------


def api_token(user, *, scope="read_write", days=30, name="CI tool"):
    """A token of ``user`` (a partner user) made by the service; returns
    ``(token, key)``: the key is what a client sends."""
    from partners import api_tokens

    return api_tokens.token_create(
        user=user, name=name, scope=scope, expires_in_days=days
    )


# --- GDAP (R31–R37) ----------------------------------------------------------------


def admin_relationship(
    partner,
    customer=None,
    *,
    roles=("helpdesk_administrator", "user_administrator"),
    status="active",
    name=None,
    duration_days=730,
    auto_extend=False,
    approved_at=None,
    ends_at=None,
    created_by=None,
):
    """An admin relationship with its request (an Invitation of kind
    admin_relationship) and roles, written directly (no events, no tasks).

    ``status`` "active" (approved ``approved_at``, default now, ending
    ``ends_at``, default approval + duration) or "approval_pending" (with a
    pending link); ``customer`` is required for "active"."""
    from gdap.models import AdminRelationship, AdminRelationshipRole

    now = timezone.now()
    created_by = created_by or UserFactory()
    invitation = Invitation.objects.create(
        partner=partner,
        created_by=created_by,
        kind=Invitation.Kind.ADMIN_RELATIONSHIP,
        include_dap=False,
        subject="Admin relationship",
        body="Please approve: {{invitation_link}}\n",
        sent_at=now,
        expires_at=now + timedelta(days=90),
        customer=customer if status == "approval_pending" else customer,
        status=(
            Invitation.Status.PENDING
            if status == "approval_pending"
            else Invitation.Status.ACCEPTED
        ),
    )
    fields = {}
    if status != "approval_pending":
        approved_at = approved_at or now
        fields = {
            "approved_at": approved_at,
            "ends_at": ends_at or approved_at + timedelta(days=duration_days),
        }
        if status == "terminated":
            fields["ended_at"] = now
    relationship = AdminRelationship.objects.create(
        partner=partner,
        customer=customer,
        invitation=invitation,
        name=name or f"Relationship {invitation.pk}",
        duration_days=duration_days,
        auto_extend=auto_extend,
        has_global_administrator="global_administrator" in roles,
        status=status,
        created_by=created_by,
        created_at=now,
        **fields,
    )
    AdminRelationshipRole.objects.bulk_create(
        AdminRelationshipRole(relationship=relationship, role=code) for code in roles
    )
    return relationship


def security_group(partner, *members, name=None):
    from gdap.models import SecurityGroup, SecurityGroupMember

    group = SecurityGroup.objects.create(
        partner=partner,
        name=name or f"Group {SecurityGroup.objects.count() + 1}",
        created_at=timezone.now(),
    )
    SecurityGroupMember.objects.bulk_create(
        SecurityGroupMember(group=group, user=user) for user in members
    )
    return group


def assignment(relationship, group, roles=None):
    """``group`` assigned ``roles`` (default: all) of ``relationship``."""
    from gdap.models import AccessAssignment

    made = AccessAssignment.objects.create(
        relationship=relationship, group=group, created_at=timezone.now()
    )
    chosen = relationship.roles.all()
    if roles is not None:
        chosen = chosen.filter(role__in=list(roles))
    made.roles.set(list(chosen))
    return made
