"""Notifications are generic: an app adds a kind without touching another app."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import notifications
from core.models import Notification
from core.services import notification_create, notification_email_send
from tests import factories
from tests.helpers import text

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


def test_a_new_kind_is_shown_once_by_the_middleware(client, webhook_kind):
    user = factories.partner_user()
    notification_create(
        recipient=user,
        kind=webhook_kind,
        params={"url": "https://hooks.example/in", "failures": 50},
    )
    client.force_login(user)
    shown = "Your webhook https://hooks.example/in was disabled after 50 failures."
    assert shown in text(client.get(reverse("customers:list")))
    assert shown not in text(client.get(reverse("customers:list")))
    assert Notification.objects.get().read_at is not None


def test_a_new_kind_without_email_texts_mails_its_message(webhook_kind):
    user = factories.UserFactory(email="ops@contoso.test")
    notice = notification_create(
        recipient=user, kind=webhook_kind, params={"url": "u", "failures": 3}
    )
    assert notification_email_send(notification=notice, language="en")
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
