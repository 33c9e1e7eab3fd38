"""R25 in the browser: upload a 1,000-row CSV on Request in bulk, then watch the
progress page reach "1000 of 1000 sent" by itself (bulk-progress.js polling
status.json) while a real worker process (``manage.py db_worker``) sends to a
real SMTP server on loopback; without JavaScript a reload shows the count.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from core.models import OutgoingEmail
from invitations.models import BulkRequest
from tests.conftest import browser_sign_in

pytestmark = pytest.mark.browser

ROWS = 1000


def write_csv(path, count):
    lines = ["email;language;include_dap"] + [
        f"customer{n}@tailspin.example;{('en', 'fr', 'de')[n % 3]};yes"
        for n in range(1, count + 1)
    ]
    # As a spreadsheet saves "CSV UTF-8": a byte-order mark, semicolons.
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def upload(page, path, *, timeout=10_000):
    page.goto("/invitations/")
    page.get_by_role("link", name="Request in bulk").click()
    expect(page).to_have_url(re.compile(r"/invitations/bulk/$"))
    expect(page.get_by_role("heading", name="Request in bulk", level=1)).to_be_visible()
    page.get_by_label("CSV file").set_input_files(str(path))
    # 1,000 requests are made in the request itself (one transaction): seconds.
    page.get_by_role("button", name="Upload and send").click(timeout=timeout)


def test_progress_page_reaches_1000_of_1000_while_a_worker_sends(
    page, admin_agent, portal_base_url, settings, start_worker, smtp_server, tmp_path
):
    # Under the hourly limit, so every email may go at once (the live server
    # plans them; the worker sends them).
    settings.SEND_LIMIT_PER_HOUR = 2000
    browser_sign_in(page, admin_agent.email)
    started = time.monotonic()
    upload(page, write_csv(tmp_path / "requests.csv", ROWS), timeout=60_000)
    expect(page).to_have_url(re.compile(r"/invitations/bulk/\d+/$"))
    uploaded = time.monotonic()
    made = BulkRequest.objects.get()
    assert made.total == ROWS and made.invitations.count() == ROWS
    expect(page.locator("[data-bulk-sent]")).to_have_text(f"0 of {ROWS} sent")

    start_worker(SEND_LIMIT_PER_HOUR=2000)
    # No reload: the script polls status.json and updates the text and the bar.
    expect(page.locator("[data-bulk-sent]")).to_have_text(
        f"{ROWS} of {ROWS} sent", timeout=90_000
    )
    done = time.monotonic()
    expect(page.locator("progress")).to_have_attribute("value", str(ROWS))
    expect(page.locator("[data-bulk-finished]")).to_be_visible()
    expect(page.locator("[data-bulk-announce]")).to_contain_text(
        f"{ROWS} of {ROWS} sent"
    )
    assert len(smtp_server.mailbox.wait_for(ROWS, timeout=10)) == ROWS
    assert OutgoingEmail.objects.filter(status="sent").count() == ROWS
    print(  # noqa: T201 (the timing the report asks for, with -s)
        f"\nbulk: upload {uploaded - started:.1f} s, "
        f"sending {ROWS} emails {done - uploaded:.1f} s"
    )

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the summary (CSV)").click()
    lines = download.value.path().read_text().splitlines()
    assert len(lines) == ROWS + 1
    assert lines[1].startswith("customer1@tailspin.example,fr,yes,Sent,")


def test_without_javascript_a_reload_shows_the_count(
    page_no_js, admin_agent, settings, tmp_path
):
    from django.utils import timezone

    settings.SEND_LIMIT_PER_HOUR = 200
    page = page_no_js
    browser_sign_in(page, admin_agent.email)
    upload(page, write_csv(tmp_path / "requests.csv", 3))
    expect(page.locator("[data-bulk-sent]")).to_have_text("0 of 3 sent")
    made = BulkRequest.objects.get()
    first = made.invitations.order_by("pk").first()
    OutgoingEmail.objects.filter(pk=first.last_email_id).update(
        status="sent", sent_at=timezone.now()
    )
    page.reload()
    expect(page.locator("[data-bulk-sent]")).to_have_text("1 of 3 sent")
    expect(page.locator("progress")).to_have_attribute("value", "1")


def test_a_refused_file_lists_its_rows(page, admin_agent, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("email,language\nit@tailspin.example,en\nnot-an-address,xx\n")
    browser_sign_in(page, admin_agent.email)
    upload(page, path)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("nothing was created")
    expect(alert).to_contain_text(
        "Row 3: “not-an-address” is not a valid email address."
    )
    expect(alert).to_contain_text("Row 3: unknown language “xx”: use en, fr or de.")
    assert not BulkRequest.objects.exists()
