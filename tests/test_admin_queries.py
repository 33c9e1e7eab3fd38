"""R18 / §7 Speed: every admin changelist runs the same number of queries for 5 and
for 200 rows, with every foreign key of each row filled in (so a missing
select_related shows up as a difference)."""

import uuid

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult

from api.models import WebhookDelivery, WebhookEndpoint
from core.models import Notification, OutgoingEmail, UserSession
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
from gdap.models import (
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipReminder,
    AdminRelationshipRole,
    GdapEvent,
    SecurityGroup,
    SecurityGroupMember,
)
from invitations.models import BulkRequest, Invitation, InvitationReminder
from partners.models import ApiToken, Partner, PartnerMembership, PartnerUserEvent
from tests import factories

pytestmark = pytest.mark.django_db
User = factories.UserFactory._meta.model


def _relationship():
    return factories.RelationshipFactory(ended_by=factories.UserFactory())


def _admin_relationship():
    """An active admin relationship with every key filled in (approver, ender)."""
    customer = factories.CustomerFactory()
    relationship = factories.admin_relationship(factories.PartnerFactory(), customer)
    AdminRelationship.objects.filter(pk=relationship.pk).update(
        approved_by=factories.customer_admin(customer),
        ended_by=factories.UserFactory(),
    )
    return relationship


def _assignment():
    relationship = _admin_relationship()
    group = factories.security_group(
        relationship.partner, factories.partner_user(relationship.partner)
    )
    made = factories.assignment(relationship, group)
    AccessAssignment.objects.filter(pk=made.pk).update(
        created_by=factories.UserFactory()
    )
    return made


def _gdap_event():
    relationship = _admin_relationship()
    return GdapEvent.objects.create(
        kind=GdapEvent.Kind.APPROVED,
        partner=relationship.partner,
        customer=relationship.customer,
        relationship=relationship,
        actor=factories.UserFactory(),
        at=timezone.now(),
    )


def _webhook_endpoint():
    return WebhookEndpoint.objects.create(
        partner=factories.PartnerFactory(),
        url="https://hooks.example/in",
        events=["test-created"],
        secret_encrypted="x",
        created_by=factories.UserFactory(),
    )


def _webhook_delivery():
    return WebhookDelivery.objects.create(
        endpoint=_webhook_endpoint(),
        event_id=uuid.uuid4(),
        event_name="test-created",
        payload={},
        occurred_at=timezone.now(),
    )


BUILDERS = {
    User: lambda: factories.UserFactory(),
    Group: lambda: Group.objects.create(name=f"Group {Group.objects.count()}"),
    Partner: lambda: factories.PartnerFactory(),
    PartnerMembership: lambda: factories.partner_user(),
    ApiToken: lambda: factories.api_token(factories.partner_user())[0],
    Notification: lambda: factories.NotificationFactory(),
    OutgoingEmail: lambda: factories.OutgoingEmailFactory(),
    UserSession: lambda: factories.UserSessionFactory(),
    DBTaskResult: factories.queued_task,
    Customer: lambda: factories.CustomerFactory(),
    CustomerMembership: lambda: factories.CustomerMembershipFactory(),
    DirectoryUser: lambda: factories.DirectoryUserFactory(),
    License: lambda: factories.LicenseFactory(),
    Subscription: lambda: factories.SubscriptionFactory(
        provisioned_by=factories.PartnerFactory()
    ),
    ResellerRelationship: _relationship,
    RelationshipEvent: lambda: (
        lambda r: factories.RelationshipEventFactory(
            partner=r.partner,
            customer=r.customer,
            relationship=r,
            actor=factories.UserFactory(),
            invitation_id=1,
        )
    )(_relationship()),
    SupportContact: lambda: factories.SupportContactFactory(),
    ServiceRequestNote: lambda: factories.ServiceRequestNoteFactory(),
    ServiceRequest: lambda: factories.ServiceRequestFactory(
        handled_by=factories.UserFactory()
    ),
    Invitation: lambda: (
        lambda r: factories.InvitationFactory(
            partner=r.partner,
            customer=r.customer,
            relationship=r,
            responded_by=factories.UserFactory(),
            status=Invitation.Status.ACCEPTED,
        )
    )(_relationship()),
    BulkRequest: lambda: BulkRequest.objects.create(
        partner=factories.PartnerFactory(),
        created_by=factories.UserFactory(),
        total=1,
    ),
    PartnerUserEvent: lambda: factories.PartnerUserEventFactory(),
    TOTPDevice: lambda: TOTPDevice.objects.create(
        user=factories.UserFactory(), name="Phone", confirmed=True
    ),
    StaticDevice: lambda: StaticDevice.objects.create(
        user=factories.UserFactory(), name="Recovery codes", confirmed=True
    ),
    InvitationReminder: lambda: InvitationReminder.objects.create(
        invitation=factories.InvitationFactory(),
        days_before=7,
        expires_at=timezone.now(),
        email=factories.OutgoingEmailFactory(),
    ),
    AdminRelationship: _admin_relationship,
    AdminRelationshipRole: lambda: _admin_relationship().roles.first(),
    SecurityGroup: lambda: factories.security_group(
        (p := factories.PartnerFactory()), factories.partner_user(p)
    ),
    SecurityGroupMember: lambda: factories.security_group(
        (p := factories.PartnerFactory()), factories.partner_user(p)
    ).memberships.get(),
    AccessAssignment: _assignment,
    GdapEvent: _gdap_event,
    WebhookEndpoint: _webhook_endpoint,
    WebhookDelivery: _webhook_delivery,
    AdminRelationshipReminder: lambda: (
        lambda r: AdminRelationshipReminder.objects.create(
            relationship=r, days_before=7, ends_at=r.ends_at
        )
    )(_admin_relationship()),
}


def _registered_models():
    return sorted(admin.site._registry, key=lambda m: m._meta.label)


def test_every_registered_model_has_a_row_builder():
    assert set(_registered_models()) == set(BUILDERS)


def _fill(model, count):
    while model._default_manager.count() < count:
        BUILDERS[model]()


def _changelist_queries(client, url):
    client.get(url)  # warm caches (content types, session, permissions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("model", _registered_models(), ids=lambda m: m._meta.label)
def test_changelist_query_count_does_not_grow_with_rows(client, model):
    superuser = User.objects.create_superuser(
        username="root@portal.test", email="root@portal.test", password="x"
    )
    client.force_login(superuser)
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    _fill(model, 5)
    few = _changelist_queries(client, url)
    _fill(model, 200)
    many = _changelist_queries(client, url)

    assert len(few) == len(many), "\n".join(["5 rows:", *few, "", "200 rows:", *many])
