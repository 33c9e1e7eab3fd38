"""R18: what a member of the "Support staff" group can and cannot do in the admin.

The group comes from the migration invitations/0002_support_staff_group; these
tests use it as deployed, with an ordinary staff user in it.
"""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from customers.models import RelationshipEvent, ResellerRelationship, ServiceRequest
from invitations.models import Invitation
from partners.models import Role
from tests import factories
from tests.helpers import admin_url as url
from tests.queue import run_tasks
from tests.test_admin_queries import BUILDERS

pytestmark = pytest.mark.django_db

Kind = RelationshipEvent.Kind
REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)

# The least that lets support engineers do their work (R18): see every portal
# model; change only what admin actions and the service-request form change.
EXPECTED_PERMISSIONS = {
    "partners.view_partner",
    "partners.view_partnermembership",
    "partners.view_membershiprole",
    "core.view_notification",
    "core.change_notification",
    "customers.view_customer",
    "customers.view_customermembership",
    "customers.view_directoryuser",
    "customers.view_license",
    "customers.view_subscription",
    "customers.view_relationshipevent",
    "customers.view_supportcontact",
    "customers.view_resellerrelationship",
    "customers.change_resellerrelationship",
    "customers.view_servicerequest",
    "customers.change_servicerequest",
    "invitations.view_invitation",
    "invitations.change_invitation",
    # R21: the outbox and the job queue, with Retry (both read-only otherwise).
    "core.view_outgoingemail",
    "core.change_outgoingemail",
    "django_tasks_database.view_dbtaskresult",
    "django_tasks_database.change_dbtaskresult",
    "invitations.view_invitationreminder",
    "invitations.view_bulkrequest",
    # Admin relationships (issue 15): everything seen, Terminate as an action.
    "gdap.view_adminrelationship",
    "gdap.change_adminrelationship",
    "gdap.view_adminrelationshiprole",
    "gdap.view_securitygroup",
    "gdap.view_securitygroupmember",
    "gdap.view_accessassignment",
    "gdap.view_gdapevent",
    "gdap.view_adminrelationshipreminder",
    # API tokens (issue 16): seen (never a key), revoked as an action.
    "partners.view_apitoken",
    "partners.change_apitoken",
    # Webhooks (R40): endpoints (never a secret) and deliveries, seen only.
    "api.view_webhookendpoint",
    "api.view_webhookdelivery",
}


@pytest.fixture
def support(client):
    user = factories.UserFactory(
        email="support@portal.example", first_name="Sam", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Support staff"))
    client.force_login(user)
    return user


@pytest.fixture
def contoso_requests(partner):
    now = timezone.now()
    pending = [
        factories.InvitationFactory(partner=partner, recipient_email=f"it{i}@a.example")
        for i in range(2)
    ]
    factories.InvitationFactory(partner=partner, status=Invitation.Status.REVOKED)
    factories.InvitationFactory(
        partner=partner,
        sent_at=now - timedelta(days=100),
        expires_at=now - timedelta(days=1),
    )
    factories.InvitationFactory(partner=factories.PartnerFactory(name="Fabrikam"))
    return pending


def test_group_has_exactly_the_least_permissions_needed():
    group = Group.objects.get(name="Support staff")
    granted = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }
    assert granted == EXPECTED_PERMISSIONS
    assert not any(p.split(".")[1].startswith(("add_", "delete_")) for p in granted)
    assert not any(p.startswith(("auth.", "admin.", "sessions.")) for p in granted)


def test_support_finds_contosos_pending_requests_by_partner_name(
    client, support, contoso_requests
):
    response = client.get(url(Invitation), {"q": "Contoso", "status": "pending"})
    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == set(contoso_requests)


def test_support_revokes_a_request_and_the_event_names_them(
    client, support, contoso_requests
):
    invitation = contoso_requests[0]
    response = client.post(
        url(Invitation),
        {
            "action": "revoke_invitations",
            "_selected_action": [invitation.pk],
            "confirm": "yes",  # issue 12: confirmed with a reason
            "reason": "Partner asked support",
        },
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    event = RelationshipEvent.objects.get(
        invitation_id=invitation.pk, kind=Kind.REVOKED
    )
    assert event.actor == support
    # The partner's link now answers "revoked".
    from invitations.tokens import make_token

    link = reverse("invitations:accept", kwargs={"token": make_token(invitation)})
    assert client.get(link).status_code == 410


def test_support_resolves_a_service_request_and_the_partner_sees_the_note(
    client, support, partner, make_partner_user
):
    relationship = factories.RelationshipFactory(partner=partner, dap_active=False)
    service_request = factories.ServiceRequestFactory(
        partner=partner, customer=relationship.customer, title="Mailbox full"
    )
    change = url(ServiceRequest, "change", service_request.pk)
    assert client.get(change).status_code == 200
    response = client.post(
        change,
        {
            "status": "resolved",
            "staff_note": "We raised the quota to 100 GB.",
            "assign_to_me": "on",
        },
    )
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == ServiceRequest.Status.RESOLVED
    assert service_request.handled_by == support
    event = RelationshipEvent.objects.get(kind=Kind.SERVICE_REQUEST_UPDATED)
    assert event.actor == support
    assert event.relationship == relationship

    helpdesk = make_partner_user(Role.HELPDESK_AGENT)
    client.force_login(helpdesk)
    page = client.get(reverse("customers:detail", args=[relationship.customer_id]))
    html = page.content.decode()
    assert "We raised the quota to 100 GB." in html
    assert "Resolved" in html


def test_support_exports_relationships_as_csv(client, support):
    relationships = [factories.RelationshipFactory() for _ in range(3)]
    response = client.post(
        url(ResellerRelationship),
        {
            "action": "export_csv",
            "_selected_action": [r.pk for r in relationships[:2]],
            "index": "0",
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().strip().splitlines()
    assert len(lines) == 3  # header + the two selected


def test_support_ends_a_relationship_through_the_service(client, support):
    relationship = factories.RelationshipFactory()
    response = client.post(
        url(ResellerRelationship),
        {
            "action": "end_relationships",
            "_selected_action": [relationship.pk],
            "confirm": "yes",
            "reason": "Customer asked support",  # issue 12: a reason is required
        },
    )
    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == "ended"
    event = RelationshipEvent.objects.get(kind=Kind.ENDED)
    assert event.actor == support
    assert event.details["reason"] == "Customer asked support"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/auth/user/",
        "/admin/auth/group/",
        "/admin/auth/",
        "/admin/otp_totp/totpdevice/",
        "/admin/otp_static/staticdevice/",
    ],
)
def test_support_cannot_see_users_groups_or_second_factors(client, support, path):
    assert client.get(path).status_code in (403, 404)


def test_support_admin_index_lists_the_portal_but_not_users_or_groups(client, support):
    html = client.get("/admin/").content.decode()
    assert url(Invitation) in html
    assert url(ServiceRequest) in html
    assert "/admin/auth/user/" not in html
    assert "/admin/auth/group/" not in html


# People, their second factors (R28), sessions (R30) and the changes made to them
# (R26) are for superusers, like users and groups.
PEOPLE_APPS = {"auth", "otp_totp", "otp_static"}
PEOPLE_MODELS = {"core.UserSession", "partners.PartnerUserEvent"}


def _portal_models():
    return [
        m
        for m in REGISTERED
        if m._meta.app_label not in PEOPLE_APPS and m._meta.label not in PEOPLE_MODELS
    ]


@pytest.mark.parametrize("model", _portal_models(), ids=lambda m: m._meta.label)
def test_support_views_every_portal_model(client, support, model):
    obj = BUILDERS[model]()
    if not isinstance(obj, model):
        obj = model._default_manager.order_by("-pk").first()
    assert client.get(url(model)).status_code == 200
    assert client.get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_support_cannot_delete_or_add_anything(client, rf, support, model):
    obj = BUILDERS[model]()
    if not isinstance(obj, model):
        obj = model._default_manager.order_by("-pk").first()
    before = model._default_manager.count()
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code in (
        403,
        404,
    )
    response = client.post(
        url(model),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302, 403)  # no such action: list again
    assert model._default_manager.count() == before
    assert client.get(url(model, "add")).status_code == 403

    model_admin = admin.site._registry[model]
    request = rf.get("/admin/")
    request.user = support
    assert not model_admin.has_delete_permission(request, obj)
    assert "delete_selected" not in model_admin.get_actions(request)


@pytest.mark.parametrize(
    "model_name",
    ["partner", "customer", "subscription", "partnermembership", "customermembership"],
)
def test_support_cannot_change_reference_data(client, support, model_name):
    model = next(m for m in REGISTERED if m._meta.model_name == model_name)
    obj = BUILDERS[model]()
    if not isinstance(obj, model):
        obj = model._default_manager.order_by("-pk").first()
    html = client.get(url(model, "change", obj.pk)).content.decode()
    assert 'name="_save"' not in html
    assert client.post(url(model, "change", obj.pk), {}).status_code == 403


def test_support_retries_a_failed_notification_email(client, support):
    invitation = factories.InvitationFactory()
    notice = factories.NotificationFactory(
        params={
            "customer": "Adatum",
            "partner": "Contoso",
            "invitation_id": invitation.pk,
        },
        email_error="x",
    )
    response = client.post(
        url(type(notice)),
        {"action": "retry_email", "_selected_action": [notice.pk], "index": "0"},
    )
    assert response.status_code == 302
    run_tasks()
    notice.refresh_from_db()
    assert notice.email_sent_at is not None
    assert "1 email queued to be sent again." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]
