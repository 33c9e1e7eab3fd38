"""Notifications are generic: an app adds a kind without touching another app."""

import smtplib

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from core import notifications
from core.models import Notification
from core.services import notification_create, notification_email_send
from tests import factories
from tests.helpers import text
from tests.queue import run_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook_kind(monkeypatch):
    # A kind a later app (webhooks) would register in its AppConfig.ready().
    monkeypatch.setitem(notifications.KINDS, "test_webhook_disabled", None)
    notifications.register_kind(
        "test_webhook_disabled",
        label=_("Webhook disabled"),
        message=_("Your webhook %(url)s was disabled after %(failures)s failures."),
    )
    return "test_webhook_disabled"


def test_a_new_kind_shows_on_the_notifications_page_until_marked_read(
    client, webhook_kind
):
    # R43: a later issue's kind needs only register_kind() to show on the page.
    user = factories.partner_user()
    notification_create(
        recipient=user,
        kind=webhook_kind,
        params={"url": "https://hooks.example/in", "failures": 50},
    )
    client.force_login(user)
    shown = "Your webhook https://hooks.example/in was disabled after 50 failures."
    page = reverse("partners:notifications")
    assert shown in text(client.get(page))
    assert "Webhook disabled" in text(client.get(page))  # its label
    assert Notification.objects.get().read_at is None


def test_pages_no_longer_mark_notices_read(client, webhook_kind):
    # R43: notices no longer vanish after one page view (no banner, still unread).
    user = factories.partner_user()
    notice = notification_create(
        recipient=user, kind=webhook_kind, params={"url": "u", "failures": 1}
    )
    client.force_login(user)
    for _page in range(2):
        body = text(client.get(reverse("customers:list")))
        assert "Your webhook u was disabled" not in body
        assert "1 unread" in body  # the bell keeps counting it
    notice.refresh_from_db()
    assert notice.read_at is None


def test_a_new_kind_without_email_texts_mails_its_message(webhook_kind):
    user = factories.UserFactory(email="ops@contoso.test")
    notice = notification_create(
        recipient=user, kind=webhook_kind, params={"url": "u", "failures": 3}
    )
    assert notification_email_send(notification=notice, language="en")
    assert mail.outbox == []  # R21: queued, sent by the worker
    run_tasks()
    assert mail.outbox[0].subject == "Your webhook u was disabled after 3 failures."
    assert mail.outbox[0].to == ["ops@contoso.test"]


def test_marking_read_leaves_other_peoples_notices_alone(webhook_kind):
    from core.services import notifications_mark_read

    mine = factories.NotificationFactory()
    theirs = factories.NotificationFactory()
    notifications_mark_read(recipient=mine.recipient, ids=[mine.pk, theirs.pk])
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None


def test_mark_all_read_marks_only_the_persons_unread_notices():
    from core.services import notifications_mark_all_read

    mine = factories.NotificationFactory()
    factories.NotificationFactory(recipient=mine.recipient)
    theirs = factories.NotificationFactory()
    assert notifications_mark_all_read(recipient=mine.recipient) == 2
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert notifications_mark_all_read(recipient=mine.recipient) == 0


def test_register_kind_is_documented_as_the_entry_point():
    # R43: "a way for the later issues to add theirs".
    doc = notifications.register_kind.__doc__
    assert "AppConfig.ready()" in doc
    assert "notification_create" in doc


def test_display_params_turn_codes_into_words_in_the_readers_language(monkeypatch):
    from django.utils import translation

    monkeypatch.setitem(notifications.KINDS, "test_status", None)
    notifications.register_kind(
        "test_status",
        label="Status",
        message="Now %(status)s.",
        display_params=lambda p: {**p, "status": _("Pending")},
    )
    notice = factories.NotificationFactory(kind="test_status", params={"status": "x"})
    assert notifications.notice_text(notice) == "Now Pending."
    with translation.override("fr"):
        assert notifications.notice_text(notice) == "Now En attente."


def test_a_failing_display_hook_shows_the_stored_params(monkeypatch):
    monkeypatch.setitem(notifications.KINDS, "test_odd", None)
    notifications.register_kind(
        "test_odd",
        label="Odd",
        message="Hello %(name)s.",
        display_params=lambda p: {**p, "name": p["missing"]},
    )
    notice = factories.NotificationFactory(kind="test_odd", params={"name": "Ada"})
    assert notifications.notice_text(notice) == "Hello Ada."


def test_an_unknown_kind_shows_its_name():
    notice = factories.NotificationFactory(kind="gone_app_kind")
    assert notifications.notice_text(notice) == "gone_app_kind"


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        ("/invitations/", "/invitations/"),
        ("", ""),
        ("//evil.example/", ""),
        ("/\\evil.example/", ""),
        ("https://evil.example/", ""),
        ("javascript:alert(1)", ""),
    ],
)
def test_notice_link_is_only_a_path_in_the_portal(link, shown):
    notice = factories.NotificationFactory(link=link)
    assert notifications.notice_link(notice) == shown


def test_notifications_send_records_each_email_outcome(monkeypatch, webhook_kind):
    # R10/R43: one recipient's failing email is recorded, the next one still goes.
    from core.services import notifications_send

    ok = factories.UserFactory(email="ok@contoso.test")
    bad = factories.UserFactory(email="bad@contoso.test")
    backend = "django.core.mail.backends.locmem.EmailBackend"
    real_send = import_string(backend).send_messages

    def flaky(self, messages):
        if messages[0].to == ["bad@contoso.test"]:
            raise smtplib.SMTPRecipientsRefused(
                {"bad@contoso.test": (550, b"mailbox unavailable")}
            )
        return real_send(self, messages)

    monkeypatch.setattr(f"{backend}.send_messages", flaky)
    notices = notifications_send(
        recipients=[bad, ok], kind=webhook_kind, params={"url": "u", "failures": 2}
    )
    run_tasks()
    bad_notice, ok_notice = (Notification.objects.get(pk=n.pk) for n in notices)
    assert "mailbox unavailable" in bad_notice.email_error
    assert bad_notice.email_sent_at is None
    assert ok_notice.email_sent_at is not None and ok_notice.email_error == ""
    assert [m.to for m in mail.outbox] == [["ok@contoso.test"]]


def test_admin_filters_notices_by_read(client):
    from django.utils import timezone

    from tests.helpers import admin_url

    root = factories.UserFactory(is_staff=True, is_superuser=True)
    unread = factories.NotificationFactory(params={"customer": "Unreadco"})
    factories.NotificationFactory(params={"customer": "Readco"}, read_at=timezone.now())
    client.force_login(root)
    body = text(client.get(admin_url(Notification), {"read": "unread"}))
    assert "Unreadco" in body and "Readco" not in body
    assert unread.recipient.email in body
