"""R40: the Webhooks pages: roles, isolation, the secret shown once, bad input
in the reader's language, Send test event."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from api import webhooks
from api.models import WebhookDelivery, WebhookEndpoint
from partners.models import Role
from tests import factories

pytestmark = pytest.mark.django_db
EVENTS = ["service-request-updated", "granular-admin-relationship-approved"]


@pytest.fixture
def allow_private():
    with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        yield


def _endpoint(partner, user, url="http://127.0.0.1:9/hook"):
    with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        endpoint, _ = webhooks.endpoint_create(
            partner=partner, actor=user, url=url, events=EVENTS
        )
    return endpoint


def test_admin_creates_an_endpoint_and_sees_its_secret_once(
    client, admin_agent, allow_private
):
    client.force_login(admin_agent)
    response = client.post(
        reverse("api:webhook-new"),
        {"url": "http://127.0.0.1:9/hook", "description": "CRM", "events": EVENTS},
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    secret = webhooks.secret_decrypt(endpoint.secret_encrypted)
    assert secret in response.content.decode()
    assert set(endpoint.events) == set(EVENTS) and endpoint.description == "CRM"
    page = client.get(reverse("api:webhook-detail", args=[endpoint.pk]))
    assert page.status_code == 200 and secret not in page.content.decode()
    listing = client.get(reverse("api:webhooks")).content.decode()
    assert "http://127.0.0.1:9/hook" in listing and secret not in listing


@pytest.mark.parametrize("language", ["en", "fr"])
def test_bad_url_is_refused_with_a_clear_message(client, admin_agent, language):
    english = "The address must start with https://."
    with translation.override(language):
        text = translation.gettext(english)
    client.force_login(admin_agent)
    response = client.post(
        reverse("api:webhook-new"),
        {"url": "http://example.com/hook", "events": EVENTS},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()
    page = response.content.decode()
    assert f'lang="{language}"' in page
    # The catalogue's text (the French one once the lead compiles /tmp/tr).
    assert escape(text) in page


def test_private_address_refused_on_the_page(client, admin_agent):
    client.force_login(admin_agent)
    response = client.post(
        reverse("api:webhook-new"),
        {"url": "https://169.254.169.254/latest", "events": EVENTS},
    )
    assert response.status_code == 400
    assert "private" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", [Role.SALES_AGENT, Role.HELPDESK_AGENT])
def test_other_roles_are_refused(client, partner, admin_agent, make_partner_user, role):
    endpoint = _endpoint(partner, admin_agent)
    client.force_login(make_partner_user(role, email=f"{role}@contoso.test"))
    assert client.get(reverse("api:webhooks")).status_code == 403
    assert client.get(reverse("api:webhook-new")).status_code == 403
    response = client.post(reverse("api:webhook-delete", args=[endpoint.pk]))
    assert response.status_code == 403
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_global_admin_may_manage(client, partner, make_partner_user):
    client.force_login(make_partner_user(Role.GLOBAL_ADMIN, email="g@contoso.test"))
    assert client.get(reverse("api:webhooks")).status_code == 200


def test_another_partners_endpoint_answers_404(client, admin_agent, other_partner):
    other = _endpoint(other_partner, factories.partner_user(other_partner))
    client.force_login(admin_agent)
    for name in ("webhook-detail", "webhook-edit", "webhook-delete"):
        assert client.get(reverse(f"api:{name}", args=[other.pk])).status_code == 404
    for name in ("webhook-delete", "webhook-test", "webhook-enable"):
        assert client.post(reverse(f"api:{name}", args=[other.pk])).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=other.pk).exists()
    assert not WebhookDelivery.objects.exists()
    assert "127.0.0.1:9" not in client.get(reverse("api:webhooks")).content.decode()


def test_posts_need_the_csrf_token(partner, admin_agent):
    from django.test import Client

    endpoint = _endpoint(partner, admin_agent)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_agent)
    response = client.post(reverse("api:webhook-delete", args=[endpoint.pk]))
    assert response.status_code == 403
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_send_test_event_queues_one_and_the_detail_lists_it(
    client, partner, admin_agent, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(partner, admin_agent)
    client.force_login(admin_agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("api:webhook-test", args=[endpoint.pk]))
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_name == "test-created"
    page = client.get(reverse("api:webhook-detail", args=[endpoint.pk]))
    assert "test-created" in page.content.decode()
    assert (
        client.get(reverse("api:webhook-test", args=[endpoint.pk])).status_code == 405
    )


def test_edit_and_delete(client, partner, admin_agent, allow_private):
    endpoint = _endpoint(partner, admin_agent)
    client.force_login(admin_agent)
    response = client.post(
        reverse("api:webhook-edit", args=[endpoint.pk]),
        {"url": "http://127.0.0.1:8/other", "events": ["service-request-updated"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == "http://127.0.0.1:8/other"
    assert endpoint.events == ["service-request-updated"]
    response = client.post(reverse("api:webhook-delete", args=[endpoint.pk]))
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_recent_deliveries_use_a_constant_number_of_queries(
    client, partner, admin_agent, django_assert_max_num_queries
):
    endpoint = _endpoint(partner, admin_agent)
    for _ in range(20):
        webhooks.send_test_event(endpoint=endpoint)
    client.force_login(admin_agent)
    client.get(reverse("api:webhook-detail", args=[endpoint.pk]))
    with django_assert_max_num_queries(15):
        response = client.get(reverse("api:webhook-detail", args=[endpoint.pk]))
    assert response.content.decode().count("test-created") >= 20


def test_header_links_to_webhooks_for_admins_only(
    client, admin_agent, make_partner_user
):
    client.force_login(admin_agent)
    link = reverse("api:webhooks")
    assert f'href="{link}"' in client.get(reverse("partners:overview")).content.decode()
    client.force_login(make_partner_user(Role.SALES_AGENT, email="s@contoso.test"))
    assert (
        f'href="{link}"'
        not in client.get(reverse("partners:overview")).content.decode()
    )


def test_endpoint_changes_are_in_the_activity_log(
    client, partner, admin_agent, make_partner_user, allow_private
):
    """R41: the webhook changes of 8.4, with who made them; not for a Sales agent
    (who cannot manage endpoints)."""
    client.force_login(admin_agent)
    client.post(
        reverse("api:webhook-new"),
        {"url": "http://127.0.0.1:9/audit", "events": ["service-request-updated"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    client.post(reverse("api:webhook-delete", args=[endpoint.pk]))

    page = client.get("/activity/").content.decode()
    assert "Webhook endpoint added" in page and "Webhook endpoint deleted" in page
    assert "http://127.0.0.1:9/audit" in page
    sales = make_partner_user(Role.SALES_AGENT, email="sam@contoso.test")
    client.force_login(sales)
    assert "Webhook endpoint added" not in client.get("/activity/").content.decode()
