"""R40: the Webhooks pages: list, new (the secret shown once), detail with the
recent deliveries and Send test event, edit, enable and delete.

Global admins and Admin agents only; another partner's endpoint answers 404.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from api import webhooks
from api.models import WebhookEndpoint
from api.webhook_forms import WebhookEndpointForm
from core.exceptions import DomainError
from partners.permissions import (
    ADMINS,
    Action,
    partner_required,
    roles_needed_message,
)

RECENT_DELIVERIES = 25


def _admins_only(request):
    if not request.membership.role_set & ADMINS:
        # The same roles as admin relationships: Global admins and Admin agents.
        raise PermissionDenied(roles_needed_message(Action.MANAGE_ADMIN_RELATIONSHIPS))


def _endpoint(request, endpoint_id) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(
        partner=request.partner, pk=endpoint_id
    ).first()
    if endpoint is None:
        raise Http404
    return endpoint


@never_cache
@partner_required(Action.VIEW_OVERVIEW)
def webhook_list(request):
    _admins_only(request)
    endpoints = WebhookEndpoint.objects.filter(partner=request.partner).only(
        "id", "url", "description", "events", "is_active", "created_at"
    )
    return render(request, "api/webhooks.html", {"endpoints": endpoints})


def _form_page(request, form, *, endpoint=None, status=200):
    return render(
        request,
        "api/webhook_form.html",
        {"form": form, "endpoint": endpoint},
        status=status,
    )


@never_cache
@partner_required(Action.VIEW_OVERVIEW)
def webhook_new(request):
    _admins_only(request)
    if request.method != "POST":
        return _form_page(request, WebhookEndpointForm())
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    try:
        endpoint, secret = webhooks.endpoint_create(
            partner=request.partner, actor=request.user, **form.cleaned_data
        )
    except DomainError as error:
        form.add_error(
            "url" if error.code.startswith("webhook_") else None, error.message
        )
        return _form_page(request, form, status=400)
    # The secret on this response only (never in a URL, a message or the session).
    return _detail_page(request, endpoint, secret=secret)


def _detail_page(request, endpoint, *, secret=""):
    deliveries = endpoint.deliveries.order_by("-occurred_at", "-id")[:RECENT_DELIVERIES]
    return render(
        request,
        "api/webhook_detail.html",
        {
            "endpoint": endpoint,
            "deliveries": deliveries,
            "secret": secret,
            "event_labels": webhooks.EVENT_LABELS,
        },
    )


@never_cache
@partner_required(Action.VIEW_OVERVIEW)
def webhook_detail(request, endpoint_id):
    _admins_only(request)
    return _detail_page(request, _endpoint(request, endpoint_id))


@never_cache
@partner_required(Action.VIEW_OVERVIEW)
def webhook_edit(request, endpoint_id):
    _admins_only(request)
    endpoint = _endpoint(request, endpoint_id)
    if request.method != "POST":
        form = WebhookEndpointForm(
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "events": endpoint.events,
            }
        )
        return _form_page(request, form, endpoint=endpoint)
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, endpoint=endpoint, status=400)
    try:
        webhooks.endpoint_update(
            endpoint=endpoint, actor=request.user, **form.cleaned_data
        )
    except DomainError as error:
        form.add_error(
            "url" if error.code.startswith("webhook_") else None, error.message
        )
        return _form_page(request, form, endpoint=endpoint, status=400)
    messages.success(request, _("The endpoint was saved."))
    return redirect("api:webhook-detail", endpoint_id=endpoint.pk)


@never_cache
@partner_required(Action.VIEW_OVERVIEW)
def webhook_delete(request, endpoint_id):
    _admins_only(request)
    endpoint = _endpoint(request, endpoint_id)
    if request.method == "POST":
        webhooks.endpoint_delete(endpoint=endpoint, actor=request.user)
        messages.success(request, _("The endpoint was deleted."))
        return redirect("api:webhooks")
    return render(request, "api/webhook_delete.html", {"endpoint": endpoint})


@require_POST
@partner_required(Action.VIEW_OVERVIEW)
def webhook_test(request, endpoint_id):
    _admins_only(request)
    endpoint = _endpoint(request, endpoint_id)
    try:
        webhooks.send_test_event(endpoint=endpoint)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("A test event was queued."))
    return redirect("api:webhook-detail", endpoint_id=endpoint.pk)


@require_POST
@partner_required(Action.VIEW_OVERVIEW)
def webhook_enable(request, endpoint_id):
    _admins_only(request)
    endpoint = _endpoint(request, endpoint_id)
    webhooks.endpoint_enable(endpoint=endpoint, actor=request.user)
    messages.success(request, _("The endpoint was enabled."))
    return redirect("api:webhook-detail", endpoint_id=endpoint.pk)
