"""R45 Time: each person's zone (default from their organisation's country), dates
and times shown in it in their language's format with the zone named, machine
times for ``<time datetime>``, emails in the recipient's zone, the admin field."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from core import notifications
from core.formatting import date_formatter, datetime_formatter
from core.services import notification_create, notification_email_send
from core.templatetags.portal import machine_time
from core.timezones import (
    TimeZoneFormField,
    country_zone_name,
    is_valid_zone,
    person_time_zone,
)
from customers.models import CustomerMembership, RelationshipEvent
from partners.models import PartnerMembership, Role
from tests import factories
from tests.helpers import admin_url, text
from tests.queue import run_tasks

pytestmark = pytest.mark.django_db

# 17:03 UTC: 18:03 in Paris (CET), 12:03 in New York (EST).
EVENT_AT = datetime(2026, 12, 2, 17, 3, 0, 123456, tzinfo=UTC)
MACHINE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
MS = "2026-12-02T17:03:00.123Z"
TIME_ATTR = re.compile(r'<time[^>]*\bdatetime="([^"]*)"')


def _set_zone(user, zone):
    PartnerMembership.objects.filter(user=user).update(time_zone=zone)
    CustomerMembership.objects.filter(user=user).update(time_zone=zone)
    return type(user).objects.get(pk=user.pk)  # without the cached membership


@pytest.fixture
def adatum(db):
    return factories.CustomerFactory(name="Adatum", domain="adatum.example")


@pytest.fixture
def related(partner, adatum):
    relationship = factories.RelationshipFactory(
        partner=partner, customer=adatum, since=EVENT_AT - timedelta(days=30)
    )
    factories.RelationshipEventFactory(
        partner=partner,
        customer=adatum,
        relationship=relationship,
        kind=RelationshipEvent.Kind.ACCEPTED,
        created_at=EVENT_AT,
    )
    return relationship


def _detail(client, user, customer):
    client.force_login(user)
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    return text(response)


# --- Country → zone ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "zone"),
    [
        ("FR", "Europe/Paris"),
        ("DE", "Europe/Berlin"),
        ("US", "America/New_York"),
        ("gb", "Europe/London"),
        ("XX", "UTC"),
        ("", "UTC"),
        (None, "UTC"),
    ],
)
def test_country_default_zone_from_the_tz_database(country, zone):
    # R45: the first zone of the country in zone.tab; unknown → settings.TIME_ZONE.
    assert country_zone_name(country) == zone


def test_zone_names_are_validated():
    assert is_valid_zone("Europe/Paris")
    assert is_valid_zone("America/New_York")
    for bad in ("", "Mars/Olympus", "../../etc/passwd", "europe/paris ", None, 3):
        assert not is_valid_zone(bad)


def test_person_zone_membership_then_country_then_default(partner, adatum):
    paris = factories.partner_user(partner=partner)
    new_york = factories.partner_user(partner=partner)
    new_york = _set_zone(new_york, "America/New_York")
    berlin_admin = factories.customer_admin(
        factories.CustomerFactory(country="DE", domain="fabrikam.example")
    )
    broken = factories.partner_user(partner=partner)
    broken = _set_zone(broken, "Not/A_Zone")  # stored before validation: the country's
    staff = factories.UserFactory(is_staff=True)
    assert str(person_time_zone(paris)) == "Europe/Paris"
    assert str(person_time_zone(new_york)) == "America/New_York"
    assert str(person_time_zone(berlin_admin)) == "Europe/Berlin"
    assert str(person_time_zone(broken)) == "Europe/Paris"
    assert str(person_time_zone(staff)) == "UTC"
    assert str(person_time_zone(AnonymousUser())) == "UTC"
    assert str(person_time_zone(None)) == "UTC"


def test_resolving_a_loaded_partner_user_costs_no_query(
    partner, django_assert_num_queries
):
    # The middleware reads what every partner page loads anyway (membership_of).
    from partners.permissions import membership_of

    user = factories.partner_user(partner=partner)
    membership_of(user)
    with django_assert_num_queries(0):
        assert str(person_time_zone(user)) == "Europe/Paris"


def test_staff_are_in_the_servers_zone_without_a_query(django_assert_num_queries):
    staff = factories.UserFactory(is_staff=True)
    with django_assert_num_queries(0):
        assert str(person_time_zone(staff)) == "UTC"


def test_resolving_a_customer_member_loads_membership_and_customer_at_once(
    adatum, django_assert_num_queries
):
    user = factories.customer_admin(adatum)
    user = type(user).objects.get(pk=user.pk)  # nothing cached
    with django_assert_num_queries(2):  # partner membership (none), customer's
        person_time_zone(user)
    with django_assert_num_queries(0):  # what the pages read next is loaded
        assert user.customer_membership.customer.name == "Adatum"


# --- Pages --------------------------------------------------------------------------


def test_paris_and_new_york_see_the_same_event_at_their_own_time(
    client, partner, adatum, related
):
    # R45: "a person in Paris and one in New York see the same event at their own
    # local times with the zone named".
    paris = factories.partner_user(partner=partner)
    new_york = factories.partner_user(partner=partner)
    new_york = _set_zone(new_york, "America/New_York")

    paris_html = _detail(client, paris, adatum)
    new_york_html = _detail(client, new_york, adatum)

    assert "2 Dec 2026, 18:03 CET" in paris_html
    assert "12:03 EST" not in paris_html
    assert "2 Dec 2026, 12:03 EST" in new_york_html
    assert "18:03 CET" not in new_york_html
    # The machine-readable time is the same instant for both.
    assert '<time datetime="2026-12-02T17:03:00.123Z">' in paris_html
    assert '<time datetime="2026-12-02T17:03:00.123Z">' in new_york_html


def test_a_partner_in_the_united_states_defaults_to_new_york(client, adatum):
    us_partner = factories.PartnerFactory(country="US")
    factories.RelationshipEventFactory(
        partner=us_partner,
        customer=adatum,
        relationship=factories.RelationshipFactory(partner=us_partner, customer=adatum),
        created_at=EVENT_AT,
    )
    html = _detail(client, factories.partner_user(partner=us_partner), adatum)
    assert "2 Dec 2026, 12:03 EST" in html


def test_customer_admin_sees_the_history_in_their_zone(client, partner, related):
    # The customer's country (FR) by default; their own zone when set.
    admin = factories.customer_admin(related.customer)
    client.force_login(admin)
    assert "2 Dec 2026, 18:03 CET" in text(client.get(reverse("customers:partners")))
    admin = _set_zone(admin, "America/New_York")
    assert "2 Dec 2026, 12:03 EST" in text(client.get(reverse("customers:partners")))


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("fr", "2 décembre 2026 18:03 CET"),
        ("de", "2. Dezember 2026, 18:03 CET"),
    ],
)
def test_times_in_the_persons_language_name_the_zone(
    client, partner, adatum, related, language, shown
):
    client.cookies["django_language"] = language
    assert shown in _detail(client, factories.partner_user(partner=partner), adatum)


def test_english_dates_are_day_month_year(client, partner, adatum, related):
    # R45: not US-style "Nov. 2, 2026".
    html = _detail(client, factories.partner_user(partner=partner), adatum)
    assert "2 November 2026" in html  # "Relationship since", 30 days before
    assert "Nov. 2, 2026" not in html
    assert "Dec. 2, 2026" not in html


def test_relationship_requests_dates_follow_the_persons_zone(client, partner):
    # 23:30 UTC on 2 December is already 3 December in Paris, not in New York.
    late = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
    paris = factories.partner_user(partner=partner)
    new_york = factories.partner_user(partner=partner)
    new_york = _set_zone(new_york, "America/New_York")
    factories.InvitationFactory(partner=partner, created_by=paris, sent_at=late)
    client.force_login(paris)
    assert "3 December 2026" in text(client.get(reverse("invitations:list")))
    client.force_login(new_york)
    page = text(client.get(reverse("invitations:list")))
    assert "2 December 2026" in page
    assert "3 December 2026" not in page


def test_the_draft_shows_the_expiry_in_the_partners_zone(client, partner):
    # R45: "the link works until <date>" on the email draft, in the sender's zone.
    new_york = factories.partner_user(partner=partner)
    new_york = _set_zone(new_york, "America/New_York")
    invitation = factories.InvitationFactory(
        partner=partner,
        created_by=new_york,
        sent_at=datetime(2026, 9, 3, 23, 30, tzinfo=UTC),
        expires_at=datetime(2026, 12, 2, 23, 30, tzinfo=UTC),
    )
    client.force_login(new_york)
    with time_machine.travel(datetime(2026, 10, 1, tzinfo=UTC), tick=False):
        page = text(client.get(reverse("invitations:email", args=[invitation.pk])))
    assert "The link works until 2 December 2026" in page


def test_time_datetime_values_have_no_microseconds(client, partner, adatum, related):
    # The Nu HTML checker refuses more than three digits of a second.
    user = factories.partner_user(partner=partner)
    admin = factories.customer_admin(adatum)
    pages = [
        (user, reverse("customers:detail", args=[adatum.pk])),
        (user, reverse("customers:list") + "?expand=all"),
        (admin, reverse("customers:partners")),
    ]
    values = []
    for who, url in pages:
        client.force_login(who)
        values += TIME_ATTR.findall(text(client.get(url)))
    assert values
    for value in values:
        assert MACHINE_TIME.match(value), value


def test_the_zone_is_the_persons_only_during_their_request(client, partner, related):
    new_york = factories.partner_user(partner=partner)
    new_york = _set_zone(new_york, "America/New_York")
    client.force_login(new_york)
    client.get(reverse("customers:detail", args=[related.customer.pk]))
    assert timezone.get_current_timezone_name() == "UTC"


# --- machine_time and the formatters ------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (EVENT_AT, "2026-12-02T17:03:00.123Z"),
        (EVENT_AT.replace(microsecond=0), "2026-12-02T17:03:00Z"),
        (EVENT_AT.replace(microsecond=999), "2026-12-02T17:03:00Z"),
        (EVENT_AT.astimezone(timezone.get_fixed_timezone(-300)), MS),
        (datetime(2026, 12, 2, 17, 3), "2026-12-02T17:03:00Z"),  # naive: UTC
        (date(2026, 12, 2), "2026-12-02"),
        (None, ""),
        ("", ""),
    ],
)
def test_machine_time(value, expected):
    assert machine_time(value) == expected


def test_machine_time_ignores_the_active_zone():
    template = Template("{% load portal %}{{ value|machine_time }}")
    with timezone.override("America/New_York"):
        assert template.render(Context({"value": EVENT_AT})) == (
            "2026-12-02T17:03:00.123Z"
        )


def test_datetime_formatter_names_the_zone_like_the_filter():
    template = Template('{{ value|date:"DATETIME_FORMAT" }}')
    for zone in ("Europe/Paris", "America/New_York"):
        with timezone.override(zone), translation.override("en"):
            format_datetime = datetime_formatter()
            expected = template.render(Context({"value": EVENT_AT}))
            assert format_datetime(EVENT_AT) == expected
            assert format_datetime(EVENT_AT) == format_datetime(EVENT_AT)
            assert format_datetime(None) == ""
    with timezone.override("Europe/Paris"), translation.override("en"):
        assert datetime_formatter()(EVENT_AT) == "2 Dec 2026, 18:03 CET"
        assert date_formatter()(EVENT_AT) == "2 December 2026"


def test_a_repeated_autumn_hour_keeps_its_zone_name():
    # 00:30 and 01:30 UTC on 25 October 2026 are both 02:30 in Paris.
    with timezone.override("Europe/Paris"), translation.override("en"):
        format_datetime = datetime_formatter()
        first = format_datetime(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
        second = format_datetime(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    assert first == "25 Oct 2026, 02:30 CEST"
    assert second == "25 Oct 2026, 02:30 CET"


# --- Emails -------------------------------------------------------------------------


@pytest.fixture
def dated_kind():
    """A notice kind whose email carries a date-time (as expiry notices will)."""

    def display(params):
        at = datetime.fromisoformat(params["at"])
        return {**params, "at": datetime_formatter()(at)}

    notifications.register_kind(
        "test_time_dated",
        label="Dated",
        message="Ends %(at)s",
        email_subject="Ends soon",
        email_body="It ends on %(at)s.",
        display_params=display,
    )
    yield "test_time_dated"
    notifications.KINDS.pop("test_time_dated", None)


def test_an_email_with_a_time_is_in_the_recipients_zone(partner, dated_kind):
    # R45: emails too; each recipient in their own zone.
    paris = factories.partner_user(partner=partner)
    new_york = factories.partner_user(partner=partner)
    new_york = _set_zone(new_york, "America/New_York")
    for user in (paris, new_york):
        user.refresh_from_db()
        notice = notification_create(
            recipient=user, kind=dated_kind, params={"at": EVENT_AT.isoformat()}
        )
        assert notification_email_send(notification=notice, language="en")
    run_tasks()
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert "It ends on 2 Dec 2026, 18:03 CET." in bodies[paris.email]
    assert "It ends on 2 Dec 2026, 12:03 EST." in bodies[new_york.email]
    assert timezone.get_current_timezone_name() == "UTC"


# --- Admin --------------------------------------------------------------------------


def test_time_zone_field_offers_every_zone_and_refuses_others():
    field = TimeZoneFormField()
    values = {value for value, _label in field.choices}
    assert {"", "Europe/Paris", "America/New_York", "UTC"} <= values
    assert field.clean("") == ""
    assert field.clean("Europe/Berlin") == "Europe/Berlin"
    with pytest.raises(Exception, match="valid choice"):
        field.clean("Mars/Olympus")


def test_admin_saves_a_partner_users_zone_and_refuses_an_invalid_one(client, partner):
    root = factories.UserFactory(is_staff=True, is_superuser=True)
    user = factories.partner_user(partner=partner, role=Role.SALES_AGENT)
    membership = user.partner_membership
    client.force_login(root)
    url = admin_url(PartnerMembership, "change", membership.pk)
    page = text(client.get(url))
    assert 'name="time_zone"' in page
    assert '<option value="America/New_York">' in page
    data = {
        "user": user.pk,
        "partner": partner.pk,
        "language": "",
        "roles-TOTAL_FORMS": "1",
        "roles-INITIAL_FORMS": "1",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
        "roles-0-id": membership.roles.get().pk,
        "roles-0-membership": membership.pk,
        "roles-0-role": Role.SALES_AGENT,
    }
    refused = client.post(url, {**data, "time_zone": "Mars/Olympus"})
    assert refused.status_code == 200
    assert "Select a valid choice" in text(refused)
    membership.refresh_from_db()
    assert membership.time_zone == ""
    saved = client.post(url, {**data, "time_zone": "America/New_York"})
    assert saved.status_code == 302, text(saved)[:2000]
    membership.refresh_from_db()
    assert membership.time_zone == "America/New_York"


def test_admin_refuses_an_invalid_customer_member_zone(client, adatum):
    root = factories.UserFactory(is_staff=True, is_superuser=True)
    member = factories.customer_admin(adatum)
    membership = member.customer_membership
    client.force_login(root)
    url = admin_url(CustomerMembership, "change", membership.pk)
    data = {"user": member.pk, "customer": adatum.pk, "is_admin": "on"}
    refused = client.post(url, {**data, "time_zone": "Europe/Atlantis"})
    assert refused.status_code == 200
    assert "Select a valid choice" in text(refused)
    saved = client.post(url, {**data, "time_zone": "Europe/Berlin"})
    assert saved.status_code == 302, text(saved)[:2000]
    membership.refresh_from_db()
    assert membership.time_zone == "Europe/Berlin"


# --- In a browser -------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_paris_and_new_york_see_their_own_times(browser, live_server):
    # R45, as the issue asks: signed in as a person in Paris and one in New York.
    from tests.conftest import browser_sign_in

    partner = factories.PartnerFactory(country="FR")
    adatum = factories.CustomerFactory(name="Adatum", domain="adatum.example")
    factories.RelationshipEventFactory(
        partner=partner,
        customer=adatum,
        relationship=factories.RelationshipFactory(partner=partner, customer=adatum),
        created_at=EVENT_AT,
    )
    paris = factories.partner_user(partner=partner, email="paris@contoso.test")
    new_york = factories.partner_user(partner=partner, email="ny@contoso.test")
    _set_zone(new_york, "America/New_York")
    url = reverse("customers:detail", args=[adatum.pk])
    for user, shown in ((paris, "2 Dec 2026, 18:03 CET"), (new_york, "12:03 EST")):
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        page = context.new_page()
        try:
            browser_sign_in(page, user.email)
            page.goto(url)
            history = page.locator("ol.timeline time").first
            assert shown in history.inner_text()
            assert history.get_attribute("datetime") == MS
        finally:
            context.close()
