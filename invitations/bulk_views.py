"""Request in bulk (R25): the upload, the progress page, its JSON and summary CSV."""

import csv

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.admin_helpers import csv_cell
from core.exceptions import DomainError
from core.formatting import datetime_formatter
from core.models import OutgoingEmail
from invitations import bulk as bulk_requests
from partners.permissions import Action, partner_required


@require_http_methods(["GET", "POST"])
@partner_required(Action.REQUEST_RELATIONSHIP)
def bulk(request):
    """The upload; a refused file lists every invalid row and makes nothing."""
    form = bulk_requests.BulkUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            rows = bulk_requests.bulk_parse(
                data=form.cleaned_data["file"].read(), partner=request.partner
            )
            made = bulk_requests.bulk_request_create(
                partner=request.partner, created_by=request.user, rows=rows
            )
        except bulk_requests.BulkFileRefused as exc:
            errors = [str(error) for error in exc.errors]
        except DomainError as exc:
            errors = [str(exc)]
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s request was made: its email is queued.",
                    "%(count)s requests were made: their emails are queued.",
                    made.total,
                )
                % {"count": made.total},
            )
            return redirect("invitations:bulk_progress", bulk_id=made.pk)
    return render(
        request,
        "invitations/bulk.html",
        {"form": form, "errors": errors},
        status=400 if errors or form.errors else 200,
    )


@never_cache
@require_GET
@partner_required(Action.REQUEST_RELATIONSHIP)
def bulk_progress(request, bulk_id):
    """N of M sent; right on every reload, updated by bulk-progress.js."""
    made = bulk_requests.bulk_request_get(partner=request.partner, bulk_id=bulk_id)
    progress = bulk_requests.bulk_progress(bulk=made)
    return render(
        request,
        "invitations/bulk_progress.html",
        {
            "bulk": made,
            "progress": progress,
            # The same texts as the script fills in (data-*-text), made once here.
            "sent_text": _("{sent} of {total} sent").format(
                sent=progress.sent, total=progress.total
            ),
            "failed_text": _("{failed} failed").format(failed=progress.failed),
            "last_at": datetime_formatter()(progress.last_at),
            "limit": settings.SEND_LIMIT_PER_HOUR,
        },
    )


@never_cache
@require_GET
@partner_required(Action.REQUEST_RELATIONSHIP)
def bulk_status(request, bulk_id):
    made = bulk_requests.bulk_request_get(partner=request.partner, bulk_id=bulk_id)
    return JsonResponse(bulk_requests.bulk_progress(bulk=made).as_json())


@never_cache
@require_GET
@partner_required(Action.REQUEST_RELATIONSHIP)
def bulk_summary(request, bulk_id):
    """One row per request: email, language, include_dap, status, sent at, reason."""
    made = bulk_requests.bulk_request_get(partner=request.partner, bulk_id=bulk_id)
    labels = dict(OutgoingEmail.Status.choices)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="bulk-request-{made.pk}-summary.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(["email", "language", "include_dap", "status", "sent_at", "reason"])
    for invitation in bulk_requests.bulk_summary_rows(bulk=made):
        email = invitation.last_email
        status = email.status if email else "queued"
        writer.writerow(
            [
                csv_cell(value)
                for value in (
                    invitation.recipient_email,
                    invitation.email_language,
                    "yes" if invitation.include_dap else "no",
                    labels.get(status, status),
                    email.sent_at if email else None,
                    email.last_error if email and status == "failed" else "",
                )
            ]
        )
    return response
