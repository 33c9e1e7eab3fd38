"""R42: the Overview, the partner users' landing page.

Panels by role (R1), isolation (R17), the chart and its table from known data,
constant queries, refusals, and the registry that later issues fill.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from customers.models import RelationshipEvent, ServiceRequest
from invitations.models import Invitation
from invitations.selectors import activity_bucket_bounds, invitation_activity_by_week
from partners.models import Role
from partners.overview import (
    EndingItem,
    EndingSource,
    register_ending_source,
    register_panel,
    unregister_ending_source,
    unregister_panel,
)
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db

URL = reverse("partners:overview")
NOW = datetime(2026, 6, 17, 12, 0, tzinfo=UTC)

GA, AA, SA, HA, BA = (
    Role.GLOBAL_ADMIN,
    Role.ADMIN_AGENT,
    Role.SALES_AGENT,
    Role.HELPDESK_AGENT,
    Role.BILLING_ADMIN,
)

CHART = "Requests by status, last 90 days"
ENDING = "Ending in the next 30 days"
ACTIVITY = "Recent activity"
SERVICE_REQUESTS = "Open service requests"

# R1: who sees which panel (requests for those who may request; service requests
# for those who may open them).
PANELS_BY_ROLE = {
    GA: {CHART, ENDING, ACTIVITY, SERVICE_REQUESTS},
    AA: {CHART, ENDING, ACTIVITY, SERVICE_REQUESTS},
    SA: {CHART, ENDING, ACTIVITY},
    HA: {ACTIVITY, SERVICE_REQUESTS},
    BA: {ACTIVITY},
}
ALL_PANELS = {CHART, ENDING, ACTIVITY, SERVICE_REQUESTS}

# Membership, roles, session, user, notices… plus the panels' own: chart 1,
# ending 1, activity 1, service requests 1. Fixed whatever the number of rows.
MAX_QUERIES = 12


def at(day, hour=10, month=6):
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def headings(html):
    return set(re.findall(r"<h2 id=\"panel-[\w-]+\">([^<]+)</h2>", html))


def section(html, heading_id):
    match = re.search(
        rf'<section[^>]*aria-labelledby="{heading_id}">(.*?)</section>', html, re.S
    )
    assert match, heading_id
    return match.group(1)


@pytest.fixture
def as_role(client, make_partner_user):
    def sign_in(role):
        user = make_partner_user(role)
        client.force_login(user)
        return user

    return sign_in


def invitation(partner, **fields):
    fields.setdefault("sent_at", at(15))
    fields.setdefault("expires_at", fields["sent_at"] + timedelta(days=90))
    return factories.InvitationFactory(partner=partner, **fields)


def accepted(partner, **fields):
    customer = factories.CustomerFactory()
    relationship = factories.RelationshipFactory(partner=partner, customer=customer)
    return invitation(
        partner,
        status=Invitation.Status.ACCEPTED,
        customer=customer,
        relationship=relationship,
        **fields,
    )


@pytest.fixture
def known_requests(partner, other_partner):
    """Seven requests of the partner with known dates (see the expected numbers)."""
    invitation(partner, sent_at=at(15))  # sent, last week
    accepted(
        partner, sent_at=at(1), first_opened_at=at(2), responded_at=at(3)
    )  # sent, opened, accepted: week of 28 May
    invitation(
        partner,
        sent_at=at(20, month=5),
        first_opened_at=at(12),
        responded_at=at(12, hour=11),
        status=Invitation.Status.DECLINED,
    )  # sent week of 14 May; opened, declined last week
    invitation(
        partner, sent_at=at(1, month=3), expires_at=at(30, month=5)
    )  # sent before the 90 days; expired week of 28 May
    invitation(partner, sent_at=at(16), expires_at=at(30))  # sent; ends in 13 days
    invitation(
        partner,
        sent_at=at(10),
        expires_at=at(12),
        status=Invitation.Status.REVOKED,
        revoked_at=at(11),
    )  # sent week of 4 June; revoked is not expired
    invitation(partner, sent_at=at(10, month=3))  # sent before; expires 8 June
    # R17: another partner's requests are never counted.
    for _ in range(3):
        invitation(other_partner, sent_at=at(16), expires_at=at(25))


# --- Panels by role (R1) ---------------------------------------------------------


@pytest.mark.parametrize("role", [GA, AA, SA, HA, BA])
def test_overview_shows_the_panels_the_role_allows(client, as_role, role):
    as_role(role)
    response = client.get(URL)
    assert response.status_code == 200
    html = text(response)
    assert headings(html) & ALL_PANELS == PANELS_BY_ROLE[role]
    # The request button stays for those who may request (a browser test clicks it).
    has_button = "Request a reseller relationship" in html
    assert has_button == (role in {GA, AA, SA})


def test_sales_agent_has_no_service_request_panel(client, as_role):
    as_role(SA)
    assert SERVICE_REQUESTS not in text(client.get(URL))


def test_helpdesk_agent_has_no_requests_chart(client, as_role, partner):
    invitation(partner, sent_at=timezone.now() - timedelta(days=1))
    as_role(HA)
    html = text(client.get(URL))
    assert CHART not in html
    assert '<svg class="chart__svg"' not in html


def test_customer_admin_is_refused(client):
    client.force_login(factories.customer_admin())
    response = client.get(URL)
    assert response.status_code == 403
    assert "This page is for partner users." in text(response)


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=/overview/")


# --- The chart and its table --------------------------------------------------------


def test_buckets_cover_90_days_by_week_in_whole_days():
    with timezone.override(UTC):
        bounds = activity_bucket_bounds(now=NOW)
    assert len(bounds) == 13
    assert bounds[0][0] == datetime(2026, 3, 20, tzinfo=UTC)  # today - 89 days
    assert bounds[-1] == (
        datetime(2026, 6, 11, tzinfo=UTC),
        datetime(2026, 6, 18, tzinfo=UTC),
    )
    assert (bounds[0][1] - bounds[0][0]).days == 6  # 90 = 12 weeks + 6 days
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))


@time_machine.travel(NOW, tick=False)
def test_chart_counts_match_known_requests(partner, known_requests):
    with timezone.override(UTC):
        buckets = invitation_activity_by_week(partner=partner, now=timezone.now())
    by_start = {
        b.first_day.isoformat(): (b.sent, b.opened, b.accepted, b.declined, b.expired)
        for b in buckets
    }
    assert by_start["2026-06-11"] == (2, 1, 0, 1, 0)
    assert by_start["2026-06-04"] == (1, 0, 0, 0, 1)
    assert by_start["2026-05-28"] == (1, 1, 1, 0, 1)
    assert by_start["2026-05-14"] == (1, 0, 0, 0, 0)
    others = {
        k: v
        for k, v in by_start.items()
        if k not in {"2026-06-11", "2026-06-04", "2026-05-28", "2026-05-14"}
    }
    assert set(others.values()) == {(0, 0, 0, 0, 0)}


@time_machine.travel(NOW, tick=False)
def test_chart_and_table_show_the_same_numbers(client, as_role, known_requests):
    as_role(AA)
    html = text(client.get(URL))
    panel = section(html, "panel-requests-chart")
    # The SVG has a role, a title and a description, and scales with its panel.
    svg = re.search(r"<svg class=\"chart__svg\"[^>]*>", panel).group(0)
    assert 'role="img"' in svg
    assert 'viewBox="0 0 480 240"' in svg and 'width="100%"' in svg
    assert (
        'aria-labelledby="panel-requests-chart-title panel-requests-chart-desc"' in svg
    )
    assert '<title id="panel-requests-chart-title">' in panel
    assert "In all: Sent 5, Opened 2, Accepted 1, Declined 1, Expired 2." in panel
    # One bar per non-zero number: 3 + 2 + 4 + 1.
    assert panel.count('<rect class="chart__bar') == 10
    with translation.override("en"):
        june_11 = formats.date_format(at(11).date(), "MONTH_DAY_FORMAT")
        june_17 = formats.date_format(at(17).date(), "MONTH_DAY_FORMAT")
    assert f"<title>Sent, {june_11} – {june_17}: 2</title>" in panel
    # The table alternative: caption, headers with scope, the same numbers.
    table = re.search(r"<table.*?</table>", panel, re.S).group(0)
    assert "Requests by status and week, last 90 days</caption>" in table
    assert '<th scope="col">Opened</th>' in table
    assert table.count('<th scope="row"') == 14  # 13 weeks and the total
    last_week = re.findall(r"<tr>.*?</tr>", table, re.S)[-2]
    assert re.findall(r'data-label="(\w+)">(\d+)</td>', last_week) == [
        ("Sent", "2"),
        ("Opened", "1"),
        ("Accepted", "0"),
        ("Declined", "1"),
        ("Expired", "0"),
    ]
    total = re.search(r"<tfoot>.*?</tfoot>", table, re.S).group(0)
    assert re.findall(r">(\d+)</td>", total) == ["5", "2", "1", "1", "2"]
    # No inline style anywhere (strict CSP).
    assert "style=" not in panel


def test_chart_numbers_are_not_localised_in_svg_attributes(client, as_role, partner):
    invitation(partner, sent_at=timezone.now() - timedelta(days=1))
    as_role(AA)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="fr">' in text(response)
    panel = section(text(response), "panel-requests-chart")
    assert not re.search(r'(x|y|width|height)="\d+,\d', panel)


def test_chart_panel_empty_state(client, as_role):
    as_role(AA)
    panel = section(text(client.get(URL)), "panel-requests-chart")
    assert "No requests sent, opened or answered in the last 90 days." in panel
    assert "<svg" not in panel
    assert 'href="/invitations/"' in panel


# --- Ending, activity, service requests -------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_ending_lists_links_expiring_within_30_days_of_the_partner_only(
    client, as_role, partner, known_requests
):
    invitation(partner, sent_at=at(16), expires_at=at(16, month=8))  # in 60 days
    invitation(partner, recipient_email="soon@fabrikam.example", expires_at=at(18))
    as_role(SA)
    panel = section(text(client.get(URL)), "panel-ending")
    assert panel.count("Request link expires") == 2
    assert "soon@fabrikam.example" in panel
    assert 'datetime="2026-06-18T10:00:00Z"' in panel
    assert 'datetime="2026-06-30T10:00:00Z"' in panel
    assert "2026-06-25" not in panel  # the other partner's (R17)
    assert 'href="/invitations/?status=pending"' in panel


def test_ending_empty_state(client, as_role):
    as_role(AA)
    panel = section(text(client.get(URL)), "panel-ending")
    assert "Nothing ends in the next 30 days." in panel


def test_ending_accepts_items_from_another_source(client, as_role, partner):
    # Later issues (admin relationships) add their own source.
    def gdap_like(*, partner, membership, now, until):
        return EndingSource(
            label="Admin relationships",
            items=[
                EndingItem(
                    ends_at=now + timedelta(days=3),
                    title="Litware",
                    what="Admin relationship ends",
                )
            ],
            total=1,
            list_url="/somewhere/",
            list_label="Admin relationships",
        )

    register_ending_source("test_source", order=20, build=gdap_like)
    try:
        invitation(partner, expires_at=timezone.now() + timedelta(days=10))
        as_role(HA)  # the request links are not for helpdesk agents
        panel = section(text(client.get(URL)), "panel-ending")
        assert "Litware" in panel and "Admin relationship ends" in panel
        assert "Request link expires" not in panel
        as_role(AA)
        panel = section(text(client.get(URL)), "panel-ending")
        assert "Litware" in panel and "Request link expires" in panel
    finally:
        unregister_ending_source("test_source")


def test_recent_activity_shows_the_partners_events_only(
    client, as_role, partner, other_partner
):
    actor = factories.UserFactory(first_name="Ava", last_name="Admin")
    customer = factories.CustomerFactory(name="Fabrikam")
    factories.RelationshipEventFactory(
        partner=partner, customer=customer, kind="dap_removed", actor=actor
    )
    hidden = factories.CustomerFactory(name="Hidden Corp")
    factories.RelationshipEventFactory(partner=other_partner, customer=hidden)
    as_role(BA)
    panel = section(text(client.get(URL)), "panel-recent-activity")
    assert "Fabrikam" in panel and "Admin privileges removed" in panel
    assert "Ava Admin" in panel
    assert f'href="/customers/{customer.pk}/"' in panel
    assert "Hidden Corp" not in panel  # R17
    assert "<time datetime=" in panel


def test_recent_activity_empty_state(client, as_role):
    as_role(BA)
    panel = section(text(client.get(URL)), "panel-recent-activity")
    assert "No activity yet." in panel
    assert 'href="/customers/"' in panel


def test_open_service_requests_counts_unresolved_of_the_partner_only(
    client, as_role, partner, other_partner
):
    customer = factories.CustomerFactory(name="Adatum")
    first = factories.ServiceRequestFactory(
        partner=partner, customer=customer, title="Mailbox full"
    )
    factories.ServiceRequestFactory(
        partner=partner, customer=customer, title="Reset MFA", status="in_progress"
    )
    factories.ServiceRequestFactory(
        partner=partner, customer=customer, title="Done already", status="resolved"
    )
    factories.ServiceRequestFactory(partner=other_partner, title="Not yours")
    as_role(HA)
    panel = section(text(client.get(URL)), "panel-open-service-requests")
    assert "2 open service requests" in panel
    assert "Mailbox full" in panel and "Reset MFA" in panel
    assert "Done already" not in panel
    assert "Not yours" not in panel  # R17
    assert f'href="/service-requests/{first.pk}/"' in panel
    assert first.number in panel
    assert 'href="/service-requests/"' in panel


def test_open_service_requests_shows_the_latest_five_and_the_count(
    client, as_role, partner
):
    factories.ServiceRequestFactory.create_batch(7, partner=partner)
    as_role(GA)
    panel = section(text(client.get(URL)), "panel-open-service-requests")
    assert "7 open service requests" in panel
    assert panel.count('href="/service-requests/') == 5 + 1


def test_open_service_requests_empty_state(client, as_role):
    as_role(GA)
    panel = section(text(client.get(URL)), "panel-open-service-requests")
    assert "No open service requests." in panel


# --- Constant queries ----------------------------------------------------------------


def fill(partner, count):
    """``count`` rows for every panel: requests, events, service requests."""
    now = timezone.now()
    customer = factories.CustomerFactory()
    user = factories.UserFactory()
    Invitation.objects.bulk_create(
        Invitation(
            partner=partner,
            created_by=user,
            subject="s",
            body="b",
            sent_at=now - timedelta(days=i % 80, hours=1),
            first_opened_at=now - timedelta(days=i % 70) if i % 2 else None,
            expires_at=now + timedelta(days=1 + i % 29),
        )
        for i in range(count)
    )
    RelationshipEvent.objects.bulk_create(
        RelationshipEvent(
            partner=partner,
            customer=customer,
            kind="accepted",
            actor=user,
            created_at=now - timedelta(minutes=i),
        )
        for i in range(count)
    )
    ServiceRequest.objects.bulk_create(
        ServiceRequest(
            partner=partner,
            customer=customer,
            title=f"Request {i}",
            description="d",
            opened_by=user,
        )
        for i in range(count)
    )


@pytest.mark.parametrize("count", [5, 500])
def test_overview_queries_stay_under_fixed_bound(
    client, as_role, partner, django_assert_max_num_queries, count
):
    fill(partner, count)
    as_role(GA)
    client.get(URL)  # warm the session
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(URL)
    assert response.status_code == 200
    assert headings(text(response)) >= ALL_PANELS


def test_overview_queries_do_not_grow_with_rows(client, as_role, partner):
    as_role(GA)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    fill(partner, 5)
    few = queries()
    fill(partner, 495)
    assert queries() == few


# --- The registry -------------------------------------------------------------------


@pytest.fixture
def test_panel():
    template = engines["django"].from_string(
        '<h2 id="{{ heading_id }}">Webhooks failing</h2>'
        "<p>{{ panel.failing }} failing</p>"
    )
    calls = []

    def build(*, partner, membership, now):
        calls.append(partner)
        return {"failing": 3}

    register_panel(
        "webhooks_failing",
        order=5,
        template=template,
        build=build,
        visible=lambda membership: Role.GLOBAL_ADMIN in membership.role_set,
    )
    yield calls
    unregister_panel("webhooks_failing")


def test_registered_panel_shows_up_in_order(client, as_role, partner, test_panel):
    as_role(GA)
    html = text(client.get(URL))
    assert (
        '<section class="panel overview__panel overview__panel--webhooks_failing"'
        in html
    )
    assert "3 failing" in section(html, "panel-webhooks-failing")
    assert test_panel == [partner]  # built for the signed-in person's partner
    # order=5 puts it before the requests chart (order 10).
    assert html.index("Webhooks failing") < html.index(CHART)


def test_registered_panel_respects_its_visibility(client, as_role, test_panel):
    as_role(AA)
    assert "Webhooks failing" not in text(client.get(URL))
    assert test_panel == []  # not even built


# --- Valid HTML with every panel full (issue 12) ---------------------------------


@pytest.mark.html
@time_machine.travel(NOW, tick=False)
def test_overview_with_every_panel_validates(
    client, as_role, partner, known_requests, tmp_path
):
    from tests.test_html_valid import LANGUAGES, _checker, run_vnu

    java = _checker()
    factories.RelationshipEventFactory(
        partner=partner, customer=factories.CustomerFactory(), actor=None
    )
    factories.ServiceRequestFactory(partner=partner)
    as_role(GA)
    for language in LANGUAGES:
        response = client.get(URL, HTTP_ACCEPT_LANGUAGE=language)
        (tmp_path / f"{language}.html").write_bytes(response.content)
    messages = run_vnu(java, sorted(tmp_path.glob("*.html")))
    assert [m.get("message") for m in messages] == []
