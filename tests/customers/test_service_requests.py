"""R44: service requests: numbers, notes, the partner's list and page, the
customer's view, the staff admin. R1 roles and R17 isolation for all four URLs."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.exceptions import DomainError
from core.models import Notification
from customers import services
from customers.models import (
    RelationshipEvent,
    ResellerRelationship,
    ServiceRequest,
    ServiceRequestNote,
)
from partners.models import Role
from tests import factories
from tests.helpers import admin_url, text

pytestmark = pytest.mark.django_db

Kind = RelationshipEvent.Kind
LIST_URL = reverse("customers:service_requests")
CUSTOMER_LIST_URL = reverse("customers:customer_service_requests")
# Session, user, membership + roles, notifications bell, the page's rows and count.
MAX_LIST_QUERIES = 9


def detail_url(sr):
    return reverse("customers:service_request", kwargs={"request_id": sr.pk})


def customer_detail_url(sr):
    return reverse("customers:customer_service_request", kwargs={"request_id": sr.pk})


@pytest.fixture
def customer(db):
    return factories.CustomerFactory(name="Litware", domain="litware.example")


@pytest.fixture
def relationship(partner, customer):
    return factories.RelationshipFactory(partner=partner, customer=customer)


@pytest.fixture
def opener(make_partner_user):
    return make_partner_user(
        Role.HELPDESK_AGENT, email="hana@contoso.test", first_name="Hana"
    )


@pytest.fixture
def sr(relationship, opener):
    return factories.ServiceRequestFactory(
        partner=relationship.partner,
        customer=relationship.customer,
        opened_by=opener,
        title="Mailbox full",
        description="Quota reached this morning.",
        severity=ServiceRequest.Severity.HIGH,
    )


@pytest.fixture
def foreign_sr(other_partner):
    """Another partner's service request (R17)."""
    relationship = factories.RelationshipFactory(partner=other_partner)
    return factories.ServiceRequestFactory(
        partner=other_partner, customer=relationship.customer, title="Foreign SR"
    )


@pytest.fixture
def staff(db):
    return factories.UserFactory(
        is_staff=True, is_superuser=True, email="root@portal.test", first_name="Sam"
    )


@pytest.fixture
def as_role(client, make_partner_user):
    def sign_in(role):
        user = make_partner_user(role)
        client.force_login(user)
        return client, user

    return sign_in


@pytest.fixture
def notifier(monkeypatch):
    """Records calls of the notifier (customers.notifications, R43) the way it
    sends: once the caller's transaction commits, never after a rollback."""
    calls = []

    def fake(**kwargs):
        transaction.on_commit(lambda: calls.append(kwargs))

    monkeypatch.setattr(services, "notify_service_request_updated", fake)
    return calls


def make_requests(partner, count, *, customer=None, prefix="Load"):
    customer = customer or factories.CustomerFactory()
    factories.RelationshipFactory(partner=partner, customer=customer)
    opener = factories.partner_user(partner, Role.HELPDESK_AGENT)
    ServiceRequest.objects.bulk_create(
        ServiceRequest(
            partner=partner,
            customer=customer,
            title=f"{prefix} {i:04d}",
            description="x",
            opened_by=opener,
        )
        for i in range(count)
    )
    return customer


def row_numbers(html):
    return re.findall(r">(SR-\d{6})</a></td>", html)


# --- Numbers --------------------------------------------------------------------------


def test_number_is_sr_and_the_zero_padded_id(sr):
    # R44: a human number, from the primary key.
    assert sr.number == f"SR-{sr.pk:06d}"
    assert ServiceRequest(title="x").number == ""
    assert str(sr) == f"{sr.number} Mailbox full"


@pytest.mark.parametrize(
    "typed, pk",
    [
        ("SR-000123", 123),
        ("sr-123", 123),
        (" #123 ", 123),
        ("123", 123),
        ("SR-", None),
        ("SR-0", None),
        ("abc", None),
        ("１２３", None),
        ("9" * 19, None),
    ],
)
def test_typed_numbers_name_their_request(typed, pk):
    assert ServiceRequest.parse_number(typed) == pk


# --- Notes service --------------------------------------------------------------------


def test_partner_note_is_appended_with_event_and_moves_updated(sr, opener):
    # R44: a note, written by the service, with its event.
    before = sr.updated_at
    note = services.service_request_note_add(
        service_request_id=sr.pk, author=opener, body="  The customer asks again.  "
    )
    assert note.body == "The customer asks again."
    assert note.author == opener
    assert not note.is_internal
    sr.refresh_from_db()
    assert sr.updated_at > before
    event = RelationshipEvent.objects.get(kind=Kind.SERVICE_REQUEST_UPDATED)
    assert event.actor == opener
    assert event.details == {
        "service_request": sr.pk,
        "number": sr.number,
        "note": True,
    }


def test_empty_note_is_refused_and_nothing_written(sr, opener):
    with pytest.raises(DomainError):
        services.service_request_note_add(
            service_request_id=sr.pk, author=opener, body="   "
        )
    assert not ServiceRequestNote.objects.exists()
    assert not RelationshipEvent.objects.exists()


def test_partner_cannot_write_internal_note(sr, opener):
    with pytest.raises(DomainError):
        services.service_request_note_add(
            service_request_id=sr.pk, author=opener, body="x", is_internal=True
        )
    assert not ServiceRequestNote.objects.exists()


def test_partner_note_after_relationship_ended_is_refused(sr, opener, relationship):
    ResellerRelationship.objects.filter(pk=relationship.pk).update(
        status="ended", ended_at=timezone.now()
    )
    with pytest.raises(DomainError):
        services.service_request_note_add(
            service_request_id=sr.pk, author=opener, body="Still there?"
        )
    assert not ServiceRequestNote.objects.exists()


def test_staff_note_notifies_partner_after_commit(
    sr, staff, notifier, django_capture_on_commit_callbacks
):
    # R43/R44: a note by support tells the partner, once committed.
    with django_capture_on_commit_callbacks(execute=True):
        note = services.service_request_note_add(
            service_request_id=sr.pk, author=staff, body="Quota raised."
        )
    assert note.author == staff and not note.is_internal
    [call] = notifier
    assert call["service_request"] == sr
    assert call["change"] == "note"
    sr.refresh_from_db()
    assert sr.staff_note == "Quota raised."  # the customer card's latest word


def test_staff_internal_note_is_silent(
    sr, staff, notifier, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = services.service_request_note_add(
            service_request_id=sr.pk, author=staff, body="Escalate.", is_internal=True
        )
    assert note.is_internal
    assert notifier == []
    assert not RelationshipEvent.objects.exists()  # the partner's timeline
    sr.refresh_from_db()
    assert sr.staff_note == ""


def test_status_change_notifies_with_status(
    sr, staff, notifier, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.service_request_update(
            service_request_id=sr.pk,
            actor=staff,
            status=ServiceRequest.Status.IN_PROGRESS,
            staff_note="On it.",
        )
    assert [c["change"] for c in notifier] == ["status"]
    assert ServiceRequestNote.objects.get().body == "On it."
    event = RelationshipEvent.objects.get(kind=Kind.SERVICE_REQUEST_UPDATED)
    assert event.details["status"] == ["new", "in_progress"]


def test_status_change_reaches_the_opener_in_notifications(
    sr, staff, opener, django_capture_on_commit_callbacks
):
    # The real notifier, end to end: the opener gets a notice linking here.
    with django_capture_on_commit_callbacks(execute=True):
        services.service_request_update(
            service_request_id=sr.pk, actor=staff, status="resolved"
        )
    notice = Notification.objects.get(recipient=opener)
    assert notice.kind == "service_request_updated"
    assert notice.link == detail_url(sr)


def test_assignment_alone_does_not_notify(
    sr, staff, notifier, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.service_request_update(
            service_request_id=sr.pk, actor=staff, assign_to_actor=True
        )
    assert notifier == []


def test_notification_not_sent_when_transaction_rolls_back(
    sr, staff, notifier, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.service_request_update(
            service_request_id=sr.pk, actor=staff, status="resolved"
        )
        raise RuntimeError
    assert notifier == []
    sr.refresh_from_db()
    assert sr.status == "new"


def test_notes_are_append_only(sr, staff):
    note = factories.ServiceRequestNoteFactory(service_request=sr, author=staff)
    note.body = "changed"
    with pytest.raises(ValidationError):
        note.save()
    with pytest.raises(ValidationError):
        note.delete()
    with pytest.raises(ValidationError):
        ServiceRequestNote.objects.update(body="changed")
    with pytest.raises(ValidationError):
        ServiceRequestNote.objects.all().delete()
    # The database refuses it too.
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE customers_servicerequestnote SET body = 'x' WHERE id = %s",
            [note.pk],
        )
    note.refresh_from_db()
    assert note.body == "We are looking into it."


# --- Partner list ---------------------------------------------------------------------


def test_list_shows_number_title_customer_badges_and_times(as_role, sr, customer):
    client, _user = as_role(Role.ADMIN_AGENT)
    html = text(client.get(LIST_URL))
    assert f'<a href="{detail_url(sr)}">{sr.number}</a>' in html
    assert "Mailbox full" in html
    assert f'href="{reverse("customers:detail", args=[customer.pk])}">Litware' in html
    assert '<span class="badge badge--high">High</span>' in html
    assert '<span class="badge badge--new">New</span>' in html
    assert html.count("<time datetime=") == 2
    # R45: every cell is labelled for the stacked layout.
    assert '<td data-label="Number">' in html
    assert '<td data-label="Updated">' in html
    assert "<td>" not in html


def test_list_never_shows_another_partners_requests(as_role, sr, foreign_sr):
    # R17
    client, _user = as_role(Role.ADMIN_AGENT)
    html = text(client.get(LIST_URL))
    assert sr.number in html
    assert foreign_sr.number not in html
    assert "Foreign SR" not in html
    # Not by number, nor by the other partner's customer's id either.
    html = text(client.get(LIST_URL, {"q": foreign_sr.number}))
    assert row_numbers(html) == []
    html = text(client.get(LIST_URL, {"customer": foreign_sr.customer_id}))
    assert row_numbers(html) == []


@pytest.fixture
def assorted(partner, relationship, opener, customer):
    other_customer = factories.CustomerFactory(name="Fabrikam")
    factories.RelationshipFactory(partner=partner, customer=other_customer)

    def make(title, cust, **fields):
        return factories.ServiceRequestFactory(
            partner=partner, customer=cust, opened_by=opener, title=title, **fields
        )

    return {
        "dns": make("DNS records", customer, severity="critical"),
        "teams": make(
            "Teams calls drop", other_customer, status="in_progress", severity="low"
        ),
        "quota": make("Quota", customer, status="resolved"),
    }


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "in_progress"}, {"teams"}),
        ({"status": "resolved"}, {"quota"}),
        ({"severity": "critical"}, {"dns"}),
        ({"q": "teams"}, {"teams"}),
        ({"q": "fabrik"}, {"teams"}),  # by customer name
        ({"status": "bogus", "severity": "<b>"}, {"dns", "teams", "quota"}),
    ],
)
def test_list_filters(as_role, assorted, params, expected):
    client, _user = as_role(Role.HELPDESK_AGENT)
    response = client.get(LIST_URL, params)
    assert response.status_code == 200
    assert set(row_numbers(text(response))) == {assorted[k].number for k in expected}


def test_list_search_by_number(as_role, assorted):
    client, _user = as_role(Role.HELPDESK_AGENT)
    for typed in (assorted["quota"].number, f"sr-{assorted['quota'].pk}"):
        html = text(client.get(LIST_URL, {"q": typed}))
        assert row_numbers(html) == [assorted["quota"].number]


def test_list_filter_by_customer_id(as_role, assorted, customer):
    # The customer's page links here with ?customer=<id>.
    client, _user = as_role(Role.HELPDESK_AGENT)
    html = text(client.get(LIST_URL, {"customer": customer.pk}))
    assert set(row_numbers(html)) == {assorted["dns"].number, assorted["quota"].number}
    assert f'name="customer" value="{customer.pk}"' in html  # kept by the filters
    html = text(client.get(LIST_URL, {"customer": "9" * 30}))  # R20: no 500
    assert len(row_numbers(html)) == 3


def test_list_empty_filter_result_says_so(as_role, assorted):
    client, _user = as_role(Role.HELPDESK_AGENT)
    html = text(client.get(LIST_URL, {"q": "nothing like it"}))
    assert "No service request matches these filters." in html


@pytest.mark.parametrize(
    "sort, order",
    [
        ("title", ["dns", "quota", "teams"]),
        ("-title", ["teams", "quota", "dns"]),
        ("severity", ["dns", "quota", "teams"]),
        ("-severity", ["teams", "quota", "dns"]),
        ("status", ["dns", "teams", "quota"]),
        ("customer", ["teams", "dns", "quota"]),
        ("number", ["dns", "teams", "quota"]),
        ("-number", ["quota", "teams", "dns"]),
    ],
)
def test_list_sorts_by_column(as_role, assorted, sort, order):
    client, _user = as_role(Role.HELPDESK_AGENT)
    html = text(client.get(LIST_URL, {"sort": sort}))
    assert row_numbers(html) == [assorted[k].number for k in order]


def test_sort_headers_link_to_their_sort_and_mark_the_current_one(as_role, assorted):
    # R45: tables sort by their column headers.
    client, _user = as_role(Role.HELPDESK_AGENT)
    html = text(client.get(LIST_URL, {"sort": "title", "status": "new"}))
    assert '<th scope="col" aria-sort="ascending">' in html
    assert 'href="?sort=-title&amp;status=new"' in html or (
        'href="?status=new&amp;sort=-title"' in html
    )
    assert html.count("aria-sort=") == 1
    html = text(client.get(LIST_URL, {"sort": "'; drop"}))  # unknown: the default
    assert '<th scope="col" aria-sort="descending">' in html


def test_list_paginates_with_numbers(as_role, partner):
    make_requests(partner, 60)
    client, _user = as_role(Role.ADMIN_AGENT)
    html = text(client.get(LIST_URL))
    assert len(row_numbers(html)) == 25
    assert "Page 1 of 3" in html
    assert 'href="?page=2"' in html
    html = text(client.get(LIST_URL, {"page": 3}))
    assert len(row_numbers(html)) == 10


@pytest.mark.parametrize("count", [5, 500])
def test_list_queries_do_not_grow_with_rows(
    as_role, partner, count, django_assert_max_num_queries
):
    # R44/R45: a constant number of queries at 5 and at 500 rows.
    make_requests(partner, count)
    client, _user = as_role(Role.ADMIN_AGENT)
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        response = client.get(LIST_URL, {"sort": "customer"})
    assert len(row_numbers(text(response))) == min(count, 25)


# --- Partner detail -------------------------------------------------------------------


def test_detail_shows_request_and_visible_notes(as_role, sr, staff, customer):
    factories.ServiceRequestNoteFactory(
        service_request=sr, author=staff, body="Quota raised to 100 GB."
    )
    factories.ServiceRequestNoteFactory(
        service_request=sr, author=staff, body="SECRET internal", is_internal=True
    )
    client, _user = as_role(Role.HELPDESK_AGENT)
    html = text(client.get(detail_url(sr)))
    assert sr.number in html
    assert "Mailbox full" in html
    assert "Quota reached this morning." in html
    assert f'href="{reverse("customers:detail", args=[customer.pk])}">Litware' in html
    assert "High" in html and "New" in html
    assert "Hana" in html  # opened by
    assert html.count("<time datetime=") == 3  # opened, updated, the note
    assert "Quota raised to 100 GB." in html
    assert "Sam" in html and "(Support)" in html  # the engineer, by name
    assert "root@portal.test" not in html
    assert "SECRET internal" not in html
    assert 'name="body"' in html


def test_partner_adds_a_note(as_role, sr):
    client, user = as_role(Role.ADMIN_AGENT)
    response = client.post(detail_url(sr), {"body": "The customer called again."})
    assert response.status_code == 302
    assert response["Location"] == detail_url(sr)
    note = ServiceRequestNote.objects.get()
    assert note.author == user and note.body == "The customer called again."
    html = text(client.get(detail_url(sr)))
    assert "The customer called again." in html
    assert "Your note was added." in html


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_bad_note_shows_error_next_to_field_and_writes_nothing(as_role, sr, body):
    # R20
    client, _user = as_role(Role.ADMIN_AGENT)
    response = client.post(detail_url(sr), {"body": body})
    assert response.status_code == 400
    html = text(response)
    assert re.search(r'<ul class="errorlist" id="id_body_error"><li>[^<]+</li>', html)
    assert not ServiceRequestNote.objects.exists()
    assert not RelationshipEvent.objects.exists()


def test_note_on_ended_relationship_shows_error(as_role, sr, relationship):
    ResellerRelationship.objects.filter(pk=relationship.pk).update(
        status="ended", ended_at=timezone.now()
    )
    client, _user = as_role(Role.ADMIN_AGENT)
    response = client.post(detail_url(sr), {"body": "Hello?"})
    assert response.status_code == 400
    assert "This relationship has ended." in text(response)
    assert not ServiceRequestNote.objects.exists()


def test_note_needs_csrf_token(sr, make_partner_user):
    user = make_partner_user(Role.ADMIN_AGENT)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(detail_url(sr), {"body": "x"}).status_code == 403
    assert not ServiceRequestNote.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_detail_of_another_partners_request_answers_404(as_role, foreign_sr, method):
    # R17
    client, _user = as_role(Role.GLOBAL_ADMIN)
    response = getattr(client, method)(detail_url(foreign_sr), {"body": "x"})
    assert response.status_code == 404
    assert not ServiceRequestNote.objects.exists()


def test_unknown_or_oversized_ids_answer_404(as_role):
    client, _user = as_role(Role.ADMIN_AGENT)
    assert client.get("/service-requests/999999/").status_code == 404
    assert client.get("/service-requests/" + "9" * 40 + "/").status_code == 404


# --- R1: roles ------------------------------------------------------------------------


ALLOWED = [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.HELPDESK_AGENT]
REFUSED = [Role.SALES_AGENT, Role.BILLING_ADMIN]


@pytest.mark.parametrize("role", ALLOWED)
def test_roles_of_r1_see_list_detail_nav_and_add_notes(as_role, sr, role):
    client, _user = as_role(role)
    listing = client.get(LIST_URL)
    assert listing.status_code == 200
    assert f'href="{LIST_URL}" aria-current="page"' in text(listing)
    assert client.get(detail_url(sr)).status_code == 200
    assert client.post(detail_url(sr), {"body": "hi"}).status_code == 302
    nav = text(client.get(reverse("customers:list")))
    assert f'href="{LIST_URL}"' in nav


@pytest.mark.parametrize("role", REFUSED)
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_roles_get_403_page_naming_roles(as_role, sr, role, method):
    client, _user = as_role(role)
    for url in (LIST_URL, detail_url(sr)):
        response = getattr(client, method)(url, {"body": "hi"})
        if method == "post" and url == LIST_URL:
            assert response.status_code in (403, 405)
            continue
        assert response.status_code == 403
        assert "Helpdesk agent" in text(response)
    assert not ServiceRequestNote.objects.exists()


@pytest.mark.parametrize("role", REFUSED)
def test_nav_entry_hidden_from_other_roles(as_role, role):
    client, _user = as_role(role)
    html = text(client.get(reverse("customers:list")))
    assert f'href="{LIST_URL}"' not in html


def test_customer_admin_cannot_open_partner_pages(client, sr, customer):
    client.force_login(factories.customer_admin(customer))
    assert client.get(LIST_URL).status_code == 403
    assert client.get(detail_url(sr)).status_code == 403


# --- The customer's view --------------------------------------------------------------


@pytest.fixture
def customer_client(client, customer_admin):
    client.force_login(customer_admin)
    return client


def test_customer_sees_requests_partners_opened_for_it(
    customer_client, sr, customer, foreign_sr
):
    second = factories.PartnerFactory(name="Northwind Partners")
    factories.RelationshipFactory(partner=second, customer=customer)
    theirs = factories.ServiceRequestFactory(
        partner=second, customer=customer, title="Licences"
    )
    html = text(customer_client.get(CUSTOMER_LIST_URL))
    assert set(row_numbers(html)) == {sr.number, theirs.number}
    assert "Northwind Partners" in html and "Contoso Cloud Partners" in html
    assert '<td data-label="Partner">' in html
    assert foreign_sr.number not in html  # R17: another organisation's


def test_customer_list_filters_and_sorts(customer_client, sr, customer, partner):
    other = factories.ServiceRequestFactory(
        partner=partner, customer=customer, title="Another", status="resolved"
    )
    html = text(customer_client.get(CUSTOMER_LIST_URL, {"status": "resolved"}))
    assert row_numbers(html) == [other.number]
    html = text(customer_client.get(CUSTOMER_LIST_URL, {"sort": "title"}))
    assert row_numbers(html) == [other.number, sr.number]
    html = text(customer_client.get(CUSTOMER_LIST_URL, {"q": sr.number}))
    assert row_numbers(html) == [sr.number]


def test_customer_detail_is_read_only_with_visible_notes(customer_client, sr, staff):
    factories.ServiceRequestNoteFactory(service_request=sr, author=staff, body="Done.")
    factories.ServiceRequestNoteFactory(
        service_request=sr, author=staff, body="SECRET internal", is_internal=True
    )
    response = customer_client.get(customer_detail_url(sr))
    html = text(response)
    assert response.status_code == 200
    assert sr.number in html and "Mailbox full" in html
    assert "Contoso Cloud Partners" in html
    assert "Done." in html
    assert "SECRET internal" not in html
    assert '<form method="post" novalidate>' not in html
    assert customer_client.post(customer_detail_url(sr)).status_code == 405
    assert not ServiceRequestNote.objects.filter(body="").exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_customer_detail_of_another_organisation_answers_404(
    customer_client, foreign_sr, method
):
    # R17
    response = getattr(customer_client, method)(customer_detail_url(foreign_sr))
    assert response.status_code == 404


def test_partner_user_cannot_open_customer_pages(as_role, sr):
    client, _user = as_role(Role.GLOBAL_ADMIN)
    assert client.get(CUSTOMER_LIST_URL).status_code == 403
    assert client.get(customer_detail_url(sr)).status_code == 403


def test_partner_relationships_page_links_to_customer_service_requests(
    customer_client, relationship
):
    html = text(customer_client.get(reverse("customers:partners")))
    assert f'href="{CUSTOMER_LIST_URL}"' in html


@pytest.mark.parametrize("count", [5, 500])
def test_customer_list_queries_do_not_grow_with_rows(
    customer_client, customer, count, django_assert_max_num_queries
):
    for i in range(3):  # several partners
        make_requests(factories.PartnerFactory(), count // 3 + 1, customer=customer)
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        response = customer_client.get(CUSTOMER_LIST_URL, {"sort": "partner"})
    assert len(row_numbers(text(response))) == min(3 * (count // 3 + 1), 25)


# --- The staff admin ------------------------------------------------------------------


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def test_admin_status_change_writes_note_event_and_notifies(
    admin_client, sr, staff, notifier, django_capture_on_commit_callbacks
):
    # R44: status and note through the service: event, note, notification.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            admin_url(ServiceRequest, "change", sr.pk),
            {"status": "in_progress", "staff_note": "Looking at the MX records."},
        )
    assert response.status_code == 302
    sr.refresh_from_db()
    assert sr.status == "in_progress"
    note = ServiceRequestNote.objects.get()
    assert (note.author, note.body, note.is_internal) == (
        staff,
        "Looking at the MX records.",
        False,
    )
    event = RelationshipEvent.objects.get(kind=Kind.SERVICE_REQUEST_UPDATED)
    assert event.actor == staff
    assert event.details["status"] == ["new", "in_progress"]
    assert [(c["service_request"], c["change"]) for c in notifier] == [(sr, "status")]


def test_admin_internal_note_is_not_shown_to_partner_nor_notified(
    admin_client, sr, notifier, django_capture_on_commit_callbacks, as_role
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            admin_url(ServiceRequest, "change", sr.pk),
            {"status": "new", "staff_note": "Ask tier 2.", "note_is_internal": "on"},
        )
    assert ServiceRequestNote.objects.get().is_internal
    assert notifier == []
    page = text(admin_client.get(admin_url(ServiceRequest, "change", sr.pk)))
    assert "Ask tier 2." in page and "Internal" in page  # staff see it
    client, _user = as_role(Role.ADMIN_AGENT)
    assert "Ask tier 2." not in text(client.get(detail_url(sr)))


def test_admin_action_notifies_partner(
    admin_client, sr, notifier, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            admin_url(ServiceRequest),
            {"action": "mark_resolved", "_selected_action": [sr.pk], "index": "0"},
        )
    sr.refresh_from_db()
    assert sr.status == "resolved"
    assert [c["change"] for c in notifier] == ["status"]


def test_admin_shows_number_and_finds_by_number(admin_client, sr, foreign_sr):
    changelist = admin_client.get(admin_url(ServiceRequest), {"q": sr.number})
    assert list(changelist.context["cl"].result_list) == [sr]
    assert sr.number in text(changelist)
    lower = admin_client.get(admin_url(ServiceRequest), {"q": f"sr-{sr.pk}"})
    assert list(lower.context["cl"].result_list) == [sr]
    change = text(admin_client.get(admin_url(ServiceRequest, "change", sr.pk)))
    assert sr.number in change


@pytest.mark.parametrize("count", [5, 50])
def test_admin_changelist_queries_do_not_grow(
    admin_client, partner, count, django_assert_max_num_queries
):
    make_requests(partner, count)
    with django_assert_max_num_queries(12):
        assert admin_client.get(admin_url(ServiceRequest)).status_code == 200


def test_admin_change_page_queries_do_not_grow_with_notes(
    admin_client, sr, staff, django_assert_max_num_queries
):
    for i in range(30):
        factories.ServiceRequestNoteFactory(
            service_request=sr,
            author=factories.UserFactory(is_staff=True),
            created_at=timezone.now() + timedelta(seconds=i),
        )
    with django_assert_max_num_queries(14):
        assert (
            admin_client.get(admin_url(ServiceRequest, "change", sr.pk)).status_code
            == 200
        )
