"""R18: the staff admin. Every model is there, actions go through the services and
write events naming the staff member, events are untouchable, exports are safe."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core.admin_helpers import csv_cell, export_csv_action
from core.models import Notification
from customers.models import RelationshipEvent, ResellerRelationship, ServiceRequest
from invitations import tokens
from invitations.models import Invitation
from partners.models import Cloud, Partner, PartnerMembership, Role
from tests import factories
from tests.helpers import admin_url as url
from tests.queue import run_tasks
from tests.test_admin_queries import BUILDERS

pytestmark = pytest.mark.django_db

Kind = RelationshipEvent.Kind
User = factories.UserFactory._meta.model
CUTOVER = datetime(2018, 11, 1, tzinfo=UTC)


@pytest.fixture
def root(client):
    user = User.objects.create_superuser(
        username="root@portal.test", email="root@portal.test", password="x"
    )
    client.force_login(user)
    return user


def post_action(client, model, action, objects, **extra):
    data = {
        "action": action,
        "_selected_action": [str(o.pk) for o in objects],
        "index": "0",
        **extra,
    }
    return client.post(url(model), data)


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


# --- Every page opens -----------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
@pytest.mark.parametrize("term", ["Contoso", "42", "#42", "a@b.example"])
def test_every_changelist_searches_without_error(client, root, model, term):
    BUILDERS[model]()
    response = client.get(url(model), {"q": term})
    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_change_page_and_filter_opens(client, rf, root, model):
    obj = BUILDERS[model]()
    if not isinstance(obj, model):  # the partner-user builder returns the user
        obj = model._default_manager.order_by("-pk").first()
    assert client.get(url(model, "change", obj.pk)).status_code == 200
    request = rf.get("/admin/")
    request.user = root
    can_add = admin.site._registry[model].has_add_permission(request)
    assert client.get(url(model, "add")).status_code == (200 if can_add else 403)
    # Every filter choice and the date drill-down answer.
    changelist = client.get(url(model))
    for spec in changelist.context["cl"].filter_specs:
        for choice in spec.choices(changelist.context["cl"]):
            assert client.get(url(model) + choice["query_string"]).status_code == 200


def test_every_portal_model_is_registered():
    from django.apps import apps

    for app in ("partners", "customers", "invitations"):
        for model in apps.get_app_config(app).get_models():
            if model._meta.model_name == "membershiprole":
                continue  # edited inline on its partner user
            assert model in admin.site._registry, model


# --- Relationship events are append-only, for everyone --------------------------------


def test_events_cannot_be_added_changed_or_deleted_even_by_a_superuser(client, root):
    relationship = factories.RelationshipFactory()
    event = factories.RelationshipEventFactory(
        partner=relationship.partner,
        customer=relationship.customer,
        relationship=relationship,
    )
    assert client.get(url(RelationshipEvent, "add")).status_code == 403
    change = client.get(url(RelationshipEvent, "change", event.pk))
    assert change.status_code == 200  # a read-only page
    assert 'name="_save"' not in change.content.decode()
    assert (
        client.post(url(RelationshipEvent, "change", event.pk), {}).status_code == 403
    )
    assert client.get(url(RelationshipEvent, "delete", event.pk)).status_code == 403
    assert (
        client.post(
            url(RelationshipEvent, "delete", event.pk), {"post": "yes"}
        ).status_code
        == 403
    )
    response = post_action(client, RelationshipEvent, "delete_selected", [event])
    assert RelationshipEvent.objects.filter(pk=event.pk).exists()
    assert "delete_selected" not in (
        admin.site._registry[RelationshipEvent].get_actions(response.wsgi_request)
    )


def test_relationship_page_shows_its_events_read_only(client, root):
    relationship = factories.RelationshipFactory()
    actor = factories.UserFactory(email="ava@contoso.example")
    factories.RelationshipEventFactory(
        partner=relationship.partner,
        customer=relationship.customer,
        relationship=relationship,
        actor=actor,
        kind=Kind.DAP_GRANTED,
    )
    html = client.get(
        url(ResellerRelationship, "change", relationship.pk)
    ).content.decode()
    assert "Admin privileges granted" in html
    assert "ava@contoso.example" in html
    assert 'name="_save"' not in html  # changed only through actions


# --- Invitations ----------------------------------------------------------------------


def test_invitation_pages_never_show_or_export_the_link_nonce(client, root):
    invitation = factories.InvitationFactory()
    change = client.get(url(Invitation, "change", invitation.pk)).content.decode()
    export = post_action(client, Invitation, "export_csv", [invitation])
    for text in (change, export.content.decode()):
        assert invitation.link_nonce not in text
        assert tokens.make_token(invitation) not in text
    assert "link_nonce" not in csv_rows(export)[0]


def test_invitation_list_links_to_partner_customer_and_relationship(client, root):
    relationship = factories.RelationshipFactory()
    invitation = factories.InvitationFactory(
        partner=relationship.partner,
        customer=relationship.customer,
        relationship=relationship,
        status=Invitation.Status.ACCEPTED,
    )
    html = client.get(url(Invitation)).content.decode()
    assert url(type(relationship.partner), "change", relationship.partner.pk) in html
    assert url(type(relationship.customer), "change", relationship.customer.pk) in html
    assert url(ResellerRelationship, "change", relationship.pk) in html
    change = client.get(url(Invitation, "change", invitation.pk)).content.decode()
    assert url(RelationshipEvent) + f"?invitation_id__exact={invitation.pk}" in change


@pytest.mark.parametrize(
    ("cloud", "sent_at", "experience"),
    [
        (Cloud.PUBLIC, CUTOVER - timedelta(seconds=1), "office"),
        (Cloud.PUBLIC, CUTOVER, "store"),
        (Cloud.GERMANY, CUTOVER + timedelta(days=1), "office"),
        (Cloud.USGOV, CUTOVER - timedelta(days=1), "office"),
    ],
)
def test_experience_filter_follows_the_dispatch_table(
    client, root, cloud, sent_at, experience
):
    # R8: the filter is computed from the same table as the dispatcher.
    invitation = factories.InvitationFactory(
        partner=factories.PartnerFactory(cloud=cloud), sent_at=sent_at
    )
    other = "store" if experience == "office" else "office"
    shown = client.get(url(Invitation), {"experience": experience}).context["cl"]
    hidden = client.get(url(Invitation), {"experience": other}).context["cl"]
    assert list(shown.result_list) == [invitation]
    assert list(hidden.result_list) == []


def test_status_filter_counts_a_pending_link_past_its_date_as_expired(client, root):
    now = timezone.now()
    live = factories.InvitationFactory()
    overdue = factories.InvitationFactory(
        sent_at=now - timedelta(days=100), expires_at=now - timedelta(days=10)
    )
    pending = client.get(url(Invitation), {"status": "pending"}).context["cl"]
    expired = client.get(url(Invitation), {"status": "expired"}).context["cl"]
    assert list(pending.result_list) == [live]
    assert list(expired.result_list) == [overdue]


def test_invitation_search_finds_by_id_partner_email_and_customer(client, root):
    partner = factories.PartnerFactory(name="Contoso Cloud Partners")
    invitation = factories.InvitationFactory(
        partner=partner, recipient_email="it@tailspin.example"
    )
    factories.InvitationFactory()
    for term in ("contoso", "tailspin"):
        cl = client.get(url(Invitation), {"q": term}).context["cl"]
        assert list(cl.result_list) == [invitation], term
    # An id also matches other rows whose names or emails contain those digits.
    for term in (str(invitation.pk), f"#{invitation.pk}"):
        cl = client.get(url(Invitation), {"q": term}).context["cl"]
        assert invitation in cl.result_list, term


def test_revoke_action_uses_the_service_and_reports_refusals(client, root):
    now = timezone.now()
    pending = factories.InvitationFactory()
    overdue = factories.InvitationFactory(
        sent_at=now - timedelta(days=100), expires_at=now - timedelta(days=10)
    )
    revoked = factories.InvitationFactory(status=Invitation.Status.REVOKED)
    response = post_action(
        client,
        Invitation,
        "revoke_invitations",
        [pending, overdue, revoked],
        confirm="yes",
        reason="Sent to the wrong address",
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    overdue.refresh_from_db()
    assert pending.status == Invitation.Status.REVOKED
    assert overdue.status == Invitation.Status.PENDING
    event = RelationshipEvent.objects.get(invitation_id=pending.pk, kind=Kind.REVOKED)
    assert event.actor == root
    texts = message_texts(response)
    assert "1 invitation revoked; its link no longer works." in texts
    assert any(f"#{overdue.pk}" in t and "Expired" in t for t in texts)
    assert any(f"#{revoked.pk}" in t and "already revoked" in t for t in texts)


def test_invitation_export_has_one_row_per_selected_invitation(client, root):
    relationship = factories.RelationshipFactory(customer__domain="adatum.example")
    chosen = factories.InvitationFactory(
        partner=relationship.partner,
        customer=relationship.customer,
        relationship=relationship,
        status=Invitation.Status.ACCEPTED,
        sent_at=CUTOVER,
        expires_at=CUTOVER + timedelta(days=90),
    )
    factories.InvitationFactory()
    response = post_action(client, Invitation, "export_csv", [chosen])
    assert 'attachment; filename="invitations-' in response["Content-Disposition"]
    [row] = csv_rows(response)
    assert row["id"] == str(chosen.pk)
    assert row["status"] == "accepted"
    assert row["experience"] == "store"
    assert row["customer_domain"] == "adatum.example"
    assert row["sent_at"] == "2018-11-01T00:00:00+00:00"
    assert row["relationship_id"] == str(relationship.pk)


# --- Relationships --------------------------------------------------------------------


def test_end_action_asks_for_confirmation_and_lists_blocking_subscriptions(
    client, root
):
    blocked = factories.RelationshipFactory()
    factories.SubscriptionFactory(
        customer=blocked.customer,
        provisioned_by=blocked.partner,
        offer_name="Office 365 E3",
    )
    free = factories.RelationshipFactory()
    response = post_action(
        client, ResellerRelationship, "end_relationships", [blocked, free]
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Office 365 E3" in html
    assert 'name="reason"' in html
    # Nothing ends before the confirmation.
    assert ResellerRelationship.objects.filter(status="active").count() == 2


def test_end_action_ends_through_the_service_and_refuses_with_subscriptions(
    client, root
):
    blocked = factories.RelationshipFactory()
    factories.SubscriptionFactory(
        customer=blocked.customer,
        provisioned_by=blocked.partner,
        offer_name="Office 365 E3",
    )
    free = factories.RelationshipFactory()
    response = client.post(
        url(ResellerRelationship),
        {
            "action": "end_relationships",
            "_selected_action": [blocked.pk, free.pk],
            "confirm": "yes",
            "reason": "Partner asked support",
        },
    )
    assert response.status_code == 302
    free.refresh_from_db()
    blocked.refresh_from_db()
    assert free.status == "ended" and free.ended_by == root
    assert free.end_reason == "Partner asked support"
    assert blocked.status == "active"
    event = RelationshipEvent.objects.get(relationship=free, kind=Kind.ENDED)
    assert event.actor == root
    assert event.details["side"] == "staff"
    texts = message_texts(response)
    assert "1 relationship ended." in texts
    assert any("Office 365 E3" in t and str(blocked) in t for t in texts)


def test_relationship_export_lists_the_selected_rows(client, root):
    relationship = factories.RelationshipFactory(
        partner__name='=HYPERLINK("http://evil")', customer__name="Adatum"
    )
    response = post_action(client, ResellerRelationship, "export_csv", [relationship])
    [row] = csv_rows(response)
    assert row["customer_name"] == "Adatum"
    assert row["status"] == "active"
    assert row["dap_active"] == "true"
    # A cell a spreadsheet would run as a formula is neutralised.
    assert row["partner_name"].startswith("'=")


def test_relationship_cannot_be_added_in_the_admin(client, root):
    assert client.get(url(ResellerRelationship, "add")).status_code == 403


# --- Service requests -----------------------------------------------------------------


@pytest.fixture
def service_request(partner):
    relationship = factories.RelationshipFactory(partner=partner)
    return factories.ServiceRequestFactory(
        partner=partner, customer=relationship.customer, title="Mailbox full"
    )


def test_saving_a_service_request_goes_through_the_service(
    client, root, service_request
):
    response = client.post(
        url(ServiceRequest, "change", service_request.pk),
        {
            "status": "resolved",
            "staff_note": "Quota raised to 100 GB.",
            "assign_to_me": "on",
        },
    )
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    service_request.refresh_from_db()
    assert service_request.status == "resolved"
    assert service_request.staff_note == "Quota raised to 100 GB."
    assert service_request.handled_by == root
    event = RelationshipEvent.objects.get(kind=Kind.SERVICE_REQUEST_UPDATED)
    assert event.actor == root
    assert event.details["status"] == ["new", "resolved"]
    assert event.details["note"] is True


def test_saving_a_service_request_unchanged_writes_no_event(
    client, root, service_request
):
    service_request.handled_by = root
    service_request.save()
    client.post(
        url(ServiceRequest, "change", service_request.pk),
        {"status": "new", "staff_note": ""},
    )
    assert not RelationshipEvent.objects.filter(
        kind=Kind.SERVICE_REQUEST_UPDATED
    ).exists()


def test_service_request_fields_other_than_status_and_note_are_read_only(
    client, root, service_request
):
    client.post(
        url(ServiceRequest, "change", service_request.pk),
        {
            "status": "in_progress",
            "staff_note": "",
            "title": "Changed",
            "severity": "low",
        },
    )
    service_request.refresh_from_db()
    assert service_request.title == "Mailbox full"
    assert service_request.severity == "normal"
    assert service_request.status == "in_progress"


def test_service_request_actions_write_events_naming_the_engineer(
    client, root, service_request
):
    post_action(client, ServiceRequest, "assign_to_me", [service_request])
    post_action(client, ServiceRequest, "mark_in_progress", [service_request])
    response = post_action(client, ServiceRequest, "mark_resolved", [service_request])
    service_request.refresh_from_db()
    assert service_request.handled_by == root
    assert service_request.status == "resolved"
    events = RelationshipEvent.objects.filter(kind=Kind.SERVICE_REQUEST_UPDATED)
    assert events.count() == 3
    assert {e.actor for e in events} == {root}
    assert "1 service request marked resolved." in message_texts(response)


def test_handled_by_filter(client, root, service_request):
    other = factories.ServiceRequestFactory(handled_by=root)
    mine = client.get(url(ServiceRequest), {"handled": "me"}).context["cl"]
    nobody = client.get(url(ServiceRequest), {"handled": "nobody"}).context["cl"]
    assert list(mine.result_list) == [other]
    assert list(nobody.result_list) == [service_request]


def test_service_request_export(client, root, service_request):
    response = post_action(client, ServiceRequest, "export_csv", [service_request])
    [row] = csv_rows(response)
    assert row["title"] == "Mailbox full"
    assert row["status"] == "new"
    assert row["partner_name"] == "Contoso Cloud Partners"


def test_service_requests_are_opened_by_partners_not_in_the_admin(client, root):
    assert client.get(url(ServiceRequest, "add")).status_code == 403


# --- Notifications --------------------------------------------------------------------


def test_retry_email_action_sends_and_records(client, root):
    invitation = factories.InvitationFactory(email_language="fr")
    notice = factories.NotificationFactory(
        params={
            "customer": "Adatum",
            "partner": "Contoso",
            "invitation_id": invitation.pk,
        },
        email_error="SMTPException: down",
    )
    response = post_action(client, Notification, "retry_email", [notice])
    assert "1 email queued to be sent again." in message_texts(response)
    # Pressed again before the worker ran: the email waiting in the queue is
    # not queued a second time.
    again = post_action(client, Notification, "retry_email", [notice])
    assert "Nothing to do." in message_texts(again)
    run_tasks()
    notice.refresh_from_db()
    assert notice.email_sent_at is not None
    assert notice.email_error == ""
    assert len(mail.outbox) == 1


# --- Deletion -------------------------------------------------------------------------


def test_superusers_keep_bulk_delete_staff_do_not(client, root, rf):
    model_admin = admin.site._registry[Partner]
    request = rf.get("/admin/")
    request.user = root
    assert "delete_selected" in model_admin.get_actions(request)
    staff = factories.UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_partner", "delete_partner"])
    )
    request.user = User.objects.get(pk=staff.pk)
    assert "delete_selected" not in model_admin.get_actions(request)
    assert not model_admin.has_delete_permission(request)


# --- CSV helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (datetime(2018, 11, 1, 1, 0, tzinfo=UTC), "2018-11-01T01:00:00+00:00"),
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Adatum", "Adatum"),
        (42, "42"),
    ],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


@pytest.mark.parametrize("column", ["link_nonce", "created_by.password"])
def test_export_refuses_secret_columns(column):
    with pytest.raises(ImproperlyConfigured):
        export_csv_action(columns=["id", column], filename="x")


def test_admin_role_labels_in_partner_user_list(client, root):
    factories.partner_user(role=Role.HELPDESK_AGENT, email="hugo@contoso.example")
    html = client.get(url(PartnerMembership)).content.decode()
    assert "hugo@contoso.example" in html
    assert "Helpdesk agent" in html


def test_country_filters_and_columns_name_the_countries(client, root):
    french = factories.CustomerFactory(name="Lamna", country="FR")
    german = factories.CustomerFactory(name="Contoso GmbH", country="DE")
    partner = factories.PartnerFactory()
    factories.RelationshipFactory(partner=partner, customer=french)
    factories.RelationshipFactory(partner=partner, customer=german)

    html = client.get(url(german.__class__)).content.decode()
    assert "?country=DE" in html and ">Germany</a>" in html
    assert '<td class="field-country_label">Germany</td>' in html

    response = client.get(url(ResellerRelationship), {"customer__country": "DE"})
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert [r.customer for r in shown] == [german]
    assert '<td class="field-country">Germany</td>' in response.content.decode()

    client.cookies["django_language"] = "fr"
    html = client.get(url(german.__class__), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert ">Allemagne</a>" in html


# --- R28: second factors without their secrets ---------------------------------------


def test_the_admin_never_shows_an_authenticator_key(client, root):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = BUILDERS[TOTPDevice]()
    for path in [url(TOTPDevice), url(TOTPDevice, "change", device.pk)]:
        html = client.get(path).content.decode()
        assert device.key not in html
        assert "qrcode" not in html
    assert client.get(url(TOTPDevice, "add")).status_code == 403


def test_a_superuser_deletes_a_lost_authenticator_and_it_is_logged(
    client, root, caplog
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = BUILDERS[TOTPDevice]()
    with caplog.at_level("INFO", logger="security"):
        response = client.post(url(TOTPDevice, "delete", device.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert [r.event for r in caplog.records if r.name == "security"] == [
        "second_factor_removed"
    ]
