"""R18 for admin relationships: every gdap model in the staff admin, read-only;
Terminate as a confirmed action through the service with the staff member as
actor; status as people see it (Expiring too); events untouchable; no link."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.utils import timezone

from core.models import Notification
from gdap.models import AdminRelationship, GdapEvent
from invitations import tokens
from invitations.models import Invitation
from tests import factories
from tests.helpers import admin_url as url
from tests.test_admin_queries import BUILDERS

pytestmark = pytest.mark.django_db

S = AdminRelationship.Status
User = factories.UserFactory._meta.model
GDAP_MODELS = sorted(
    apps.get_app_config("gdap").get_models(), key=lambda m: m._meta.label
)


@pytest.fixture
def root(client):
    user = User.objects.create_superuser(
        username="root@portal.test", email="root@portal.test", password="x"
    )
    client.force_login(user)
    return user


@pytest.fixture
def support(client):
    user = factories.UserFactory(email="support@portal.example", is_staff=True)
    user.groups.add(Group.objects.get(name="Support staff"))
    client.force_login(user)
    return user


@pytest.fixture
def customer():
    return factories.CustomerFactory(name="Adatum", domain="adatum.example")


def terminate(client, relationships, **extra):
    return client.post(
        url(AdminRelationship),
        {
            "action": "terminate_relationships",
            "_selected_action": [str(r.pk) for r in relationships],
            **extra,
        },
    )


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def shown(response):
    return set(response.context["cl"].result_list)


@pytest.mark.parametrize("model", GDAP_MODELS, ids=lambda m: m._meta.label)
def test_every_gdap_model_is_in_the_admin_and_nobody_adds_or_edits_there(
    client, rf, root, model
):
    assert model in admin.site._registry
    obj = BUILDERS[model]()
    request = rf.get("/admin/")
    request.user = root
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, obj)
    html = client.get(url(model, "change", obj.pk)).content.decode()
    assert 'name="_save"' not in html


def test_events_cannot_be_changed_or_deleted_even_by_a_superuser(client, rf, root):
    event = BUILDERS[GdapEvent]()
    request = rf.get("/admin/")
    request.user = root
    model_admin = admin.site._registry[GdapEvent]
    assert not model_admin.has_delete_permission(request, event)
    assert "delete_selected" not in model_admin.get_actions(request)
    assert client.post(url(GdapEvent, "delete", event.pk), {"post": "yes"}).status_code
    assert GdapEvent.objects.filter(pk=event.pk).exists()


def test_relationship_page_shows_roles_assignments_and_events_never_the_link(
    client, root, partner, customer
):
    relationship = factories.admin_relationship(
        partner, customer, name="Adatum helpdesk"
    )
    group = factories.security_group(partner, name="Helpdesk team")
    factories.assignment(relationship, group)
    GdapEvent.objects.create(
        kind=GdapEvent.Kind.APPROVED,
        partner=partner,
        customer=customer,
        relationship=relationship,
        at=timezone.now(),
    )
    pending = factories.admin_relationship(
        partner, customer, status="approval_pending", name="Adatum licenses"
    )
    for obj in (relationship, pending):
        html = client.get(url(AdminRelationship, "change", obj.pk)).content.decode()
        assert "Helpdesk Administrator" in html
        assert url(Invitation, "change", obj.invitation_id) in html
        assert tokens.make_token(obj.invitation) not in html
        assert obj.invitation.link_nonce not in html
    html = client.get(url(AdminRelationship, "change", relationship.pk)).content
    html = html.decode()
    assert "Helpdesk team" in html
    assert "Admin relationship approved" in html


def test_status_filter_is_the_status_people_see(client, root, partner, customer):
    now = timezone.now()
    active = factories.admin_relationship(partner, customer)
    expiring = factories.admin_relationship(
        partner, customer, ends_at=now + timedelta(days=10)
    )
    past_end = factories.admin_relationship(
        partner,
        customer,
        approved_at=now - timedelta(days=20),
        ends_at=now - timedelta(seconds=1),
    )
    pending = factories.admin_relationship(partner, customer, status="approval_pending")
    expected = {
        "active": {active},
        "expiring": {expiring},
        "expired": {past_end},
        "approval_pending": {pending},
    }
    for status, rows in expected.items():
        response = client.get(url(AdminRelationship), {"status": status})
        assert shown(response) == rows, status
    html = client.get(url(AdminRelationship)).content.decode()
    assert "Expiring" in html


def test_search_finds_by_name_number_partner_and_customer(
    client, root, partner, customer
):
    relationship = factories.admin_relationship(
        partner, customer, name="Adatum helpdesk"
    )
    factories.admin_relationship(
        factories.PartnerFactory(name="Fabrikam"),
        factories.CustomerFactory(name="Litware"),
    )
    for term in ["helpdesk", partner.name, "adatum.example"]:
        response = client.get(url(AdminRelationship), {"q": term})
        assert shown(response) == {relationship}, term
    # The number as the portal shows it (other fields may hold the digits too).
    response = client.get(url(AdminRelationship), {"q": f"#{relationship.pk}"})
    assert relationship in shown(response)


def test_terminate_asks_first_and_changes_nothing_without_a_reason(
    client, root, partner, customer
):
    relationship = factories.admin_relationship(partner, customer)
    page = terminate(client, [relationship])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Terminate selected admin relationships" in html
    assert 'name="reason"' in html
    again = terminate(client, [relationship], confirm="yes", reason="")
    assert again.status_code == 200
    relationship.refresh_from_db()
    assert relationship.status == S.ACTIVE
    assert not GdapEvent.objects.filter(kind=GdapEvent.Kind.TERMINATED).exists()


def test_support_terminates_through_the_service_and_the_event_names_them(
    client, support, partner, customer, django_capture_on_commit_callbacks
):
    factories.partner_user(partner)  # an Admin agent to tell
    relationship = factories.admin_relationship(partner, customer)
    pending = factories.admin_relationship(partner, customer, status="approval_pending")
    with django_capture_on_commit_callbacks(execute=True):
        response = terminate(
            client,
            [relationship, pending],
            confirm="yes",
            reason="Customer called support",
        )
    assert response.status_code == 302
    assert "2 admin relationships terminated." in messages_of(response)
    for obj in (relationship, pending):
        obj.refresh_from_db()
        assert obj.status == S.TERMINATED
        assert obj.ended_by == support
        event = GdapEvent.objects.get(relationship=obj, kind=GdapEvent.Kind.TERMINATED)
        assert event.actor == support
        assert event.details == {"side": "staff", "reason": "Customer called support"}
    # The pending request's link stops working too (R7).
    pending.invitation.refresh_from_db()
    assert pending.invitation.status == Invitation.Status.REVOKED
    # The partner is told of the approved one (R35).
    assert Notification.objects.filter(
        kind="admin_relationship_terminated", params__relationship_id=relationship.pk
    ).exists()


def test_terminate_names_the_ones_that_had_ended_and_ends_the_others(
    client, root, partner, customer
):
    now = timezone.now()
    active = factories.admin_relationship(partner, customer, name="Still on")
    ended = factories.admin_relationship(partner, customer, name="Long gone")
    AdminRelationship.objects.filter(pk=ended.pk).update(
        status=S.EXPIRED, approved_at=now - timedelta(days=10), ends_at=now
    )
    done = factories.admin_relationship(partner, customer, name="Done already")
    AdminRelationship.objects.filter(pk=done.pk).update(
        status=S.TERMINATED, ended_at=now
    )
    page = terminate(client, [active, ended, done]).content.decode()
    assert "Long gone</strong> — Expired" in page
    assert "Done already</strong> — Terminated" in page
    response = terminate(client, [active, ended, done], confirm="yes", reason="Audit")
    messages = messages_of(response)
    assert "1 admin relationship terminated." in messages
    assert any(m.startswith("Long gone: ") for m in messages)
    assert "Done already was already terminated." in messages
    assert GdapEvent.objects.filter(kind=GdapEvent.Kind.TERMINATED).count() == 1


def test_support_sees_gdap_but_cannot_terminate_without_the_group(
    client, partner, customer
):
    relationship = factories.admin_relationship(partner, customer)
    staff = factories.UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(url(AdminRelationship)).status_code == 403
    terminate(client, [relationship], confirm="yes", reason="x")
    relationship.refresh_from_db()
    assert relationship.status == S.ACTIVE


def test_export_lists_the_selected_relationships_with_status_and_roles(
    client, root, partner, customer
):
    rows = [factories.admin_relationship(partner, customer) for _ in range(3)]
    response = client.post(
        url(AdminRelationship),
        {
            "action": "export_csv",
            "_selected_action": [str(r.pk) for r in rows[:2]],
            "index": "0",
        },
    )
    lines = response.content.decode().strip().splitlines()
    assert len(lines) == 3
    assert "helpdesk_administrator user_administrator" in lines[1]
    assert ",active," in lines[1]


def test_related_links_of_a_relationship_and_a_group_open_their_rows(
    client, root, partner, customer
):
    from gdap.models import AccessAssignment, SecurityGroup

    assignment = BUILDERS[AccessAssignment]()
    relationship, group = assignment.relationship, assignment.group
    GdapEvent.objects.create(
        kind=GdapEvent.Kind.GROUP_CREATED,
        partner=group.partner,
        group_id=group.pk,
        at=timezone.now(),
    )
    BUILDERS[AccessAssignment]()  # another one, not listed below
    for model, pk, listed in [
        (AdminRelationship, relationship.pk, AccessAssignment),
        (SecurityGroup, group.pk, AccessAssignment),
        (SecurityGroup, group.pk, GdapEvent),
    ]:
        html = client.get(url(model, "change", pk)).content.decode()
        start = html.index(url(listed) + "?")
        link = html[start : html.index('"', start)].replace("&amp;", "&")
        response = client.get(link)
        assert response.status_code == 200, link
        assert len(shown(response)) == 1, link
