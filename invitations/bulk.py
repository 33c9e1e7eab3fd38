"""Request in bulk (R25): check a CSV file, then make and send its requests.

All or nothing: every row is checked before anything is written, and one
invalid row refuses the whole file with the row numbers and reasons. Row
numbers count as a spreadsheet does: the header is row 1, the first request
row 2. A valid file becomes one request per row in one transaction, each sent
from the portal (R22) and paced by the hourly limit: a file bigger than what
is left of this hour goes out over the next hours instead of being refused.

Sections: the upload form, parsing (no database), the write service, the
reads the pages need.
"""

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.mail import paced_schedule
from core.models import OutgoingEmail
from invitations import services
from invitations.models import BulkRequest, Invitation
from partners.models import Cloud, Partner

MAX_ROWS = 1000
# 1,000 rows of long addresses fit in far less; a bigger file is not a list.
MAX_BYTES = 1024 * 1024
LANGUAGES = ("en", "fr", "de")
YES = {"yes", "y", "true", "1", "oui", "ja"}
NO = {"no", "n", "false", "0", "non", "nein"}
EmailStatus = OutgoingEmail.Status


# --- The upload form --------------------------------------------------------------


class BulkUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "One request a row, at most 1,000. Columns: email (required), "
            "language (en, fr or de; default en), include_dap (yes or no; "
            "default yes). Comma or semicolon, UTF-8."
        ),
        error_messages={
            "required": gettext_lazy("Choose a CSV file."),
            "empty": gettext_lazy("The file is empty."),
        },
    )


# --- Parsing and checking (no database) -------------------------------------------


@dataclass(frozen=True)
class BulkRow:
    row: int  # as a spreadsheet numbers it: the header is row 1
    email: str
    language: str
    include_dap: bool


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the file as a whole
    reason: str

    def __str__(self):
        if self.row is None:
            return self.reason
        return _("Row %(row)s: %(reason)s") % {"row": self.row, "reason": self.reason}


class BulkFileRefused(Exception):
    """The file was refused; ``errors`` says where and why. Nothing was made."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise BulkFileRefused(
            [RowError(None, _("The file is too large: at most 1 MB."))]
        )
    try:
        # utf-8-sig: a spreadsheet's "CSV UTF-8" starts with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BulkFileRefused(
            [
                RowError(
                    None,
                    _(
                        "The file is not UTF-8 text. Save it as “CSV UTF-8” and "
                        "upload it again."
                    ),
                )
            ]
        ) from None
    if not text.strip():
        raise BulkFileRefused([RowError(None, _("The file is empty."))])
    return text


def _reader(text: str):
    """Rows of cells, the delimiter (comma or semicolon) read from the header."""
    header = text.lstrip().splitlines()[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    return csv.reader(io.StringIO(text.lstrip()), delimiter=delimiter)


def _columns(header: list[str]) -> dict[str, int]:
    columns = {}
    for index, name in enumerate(header):
        columns.setdefault(name.strip().lower(), index)
    if "email" not in columns:
        raise BulkFileRefused(
            [
                RowError(
                    1,
                    _(
                        "there is no “email” column. The first row names the "
                        "columns: email, language, include_dap."
                    ),
                )
            ]
        )
    return columns


def _cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _check_email(value: str) -> str:
    if not value:
        raise ValidationError(_("the email address is missing."))
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not a valid email address.") % {"value": value}
        ) from None
    return value.lower()


def _check_language(value: str) -> str:
    language = value.lower() or "en"
    if language not in LANGUAGES:
        raise ValidationError(
            _("unknown language “%(value)s”: use en, fr or de.") % {"value": value}
        )
    return language


def _check_dap(value: str, *, partner: Partner) -> bool:
    word = value.lower()
    if not word or word in YES:
        return True
    if word not in NO:
        raise ValidationError(
            _("include_dap is “%(value)s”: use yes or no.") % {"value": value}
        )
    if Cloud.requires_dap(partner.cloud):
        raise ValidationError(Cloud.dap_required_message(partner.cloud))
    return False


def _check_row(number, cells, columns, *, partner, seen) -> BulkRow:
    """One row, or ValidationError with every reason it has."""
    reasons = []
    values = {}
    checks = {
        "email": lambda: _check_email(_cell(cells, columns, "email")),
        "language": lambda: _check_language(_cell(cells, columns, "language")),
        "include_dap": lambda: _check_dap(
            _cell(cells, columns, "include_dap"), partner=partner
        ),
    }
    for name, check in checks.items():
        try:
            values[name] = check()
        except ValidationError as exc:
            reasons.extend(exc.messages)
    email = values.get("email")
    if email in seen:
        reasons.append(
            _("%(email)s is already on row %(row)s.")
            % {"email": email, "row": seen[email]}
        )
    elif email:
        seen[email] = number  # also when the row is refused for another reason
    if reasons:
        raise ValidationError(reasons)
    return BulkRow(number, email, values["language"], values["include_dap"])


def bulk_parse(*, data: bytes, partner: Partner) -> list[BulkRow]:
    """The file's rows, each checked; BulkFileRefused lists every invalid one.

    Blank rows are skipped (a spreadsheet often ends with some) but still count
    in the numbering, so a row number is the one the person sees.
    """
    reader = _reader(_decode(data))
    columns = _columns(next(reader))
    rows, errors, seen = [], [], {}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            errors.append(
                RowError(
                    number,
                    _("a file holds at most 1,000 requests and this is request 1,001."),
                )
            )
            break
        try:
            rows.append(_check_row(number, cells, columns, partner=partner, seen=seen))
        except ValidationError as exc:
            errors.extend(RowError(number, message) for message in exc.messages)
            # A refused row still takes its place in the 1,000.
            rows.append(None)
    if errors:
        raise BulkFileRefused(errors)
    if not rows:
        raise BulkFileRefused(
            [RowError(None, _("The file has a header but no requests."))]
        )
    return rows


# --- The write --------------------------------------------------------------------


@transaction.atomic
def bulk_request_create(
    *, partner: Partner, created_by, rows: list[BulkRow]
) -> BulkRequest:
    """R25: one request per row, each sent from the portal, all in one
    transaction: if any fails, nothing was made and nothing goes out.

    The emails are paced by SEND_LIMIT_PER_HOUR (what is left of this hour
    goes now, the rest hour by hour), so a big file is never refused for it.
    """
    # The partner's row is locked so that two uploads at once do not both plan
    # their emails into the same free part of the hour.
    Partner.objects.select_for_update().filter(pk=partner.pk).first()
    slots = paced_schedule(sender_key=services.sender_key(partner.pk), count=len(rows))
    bulk = BulkRequest.objects.create(
        partner=partner, created_by=created_by, total=len(rows)
    )
    ids = []
    for row, slot in zip(rows, slots, strict=True):
        invitation = services.invitation_create(
            partner=partner,
            created_by=created_by,
            include_dap=row.include_dap,
            recipient_email=row.email,
            email_language=row.language,
        )
        services.invitation_send_email(
            invitation_id=invitation.pk,
            actor=created_by,
            to=row.email,
            scheduled_at=slot,
        )
        ids.append(invitation.pk)
    bulk.invitations.add(*ids)
    return bulk


# --- The reads --------------------------------------------------------------------


@dataclass(frozen=True)
class BulkProgress:
    total: int
    sent: int
    failed: int
    # Queued for a later hour (the hourly limit), and when the last one goes.
    later: int
    last_at: datetime | None

    @property
    def done(self) -> bool:
        return self.sent + self.failed >= self.total

    def as_json(self) -> dict:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "total": self.total,
            "done": self.done,
        }


def bulk_request_get(*, partner: Partner, bulk_id: int) -> BulkRequest:
    """One of the partner's bulk requests; another partner's id is a 404."""
    return get_object_or_404(BulkRequest, pk=bulk_id, partner=partner)


def bulk_progress(*, bulk: BulkRequest, now=None) -> BulkProgress:
    """Counts of the bulk's requests by their latest email: one query, whatever
    the number of rows."""
    now = now or timezone.now()
    later = Q(
        last_email__status=EmailStatus.QUEUED,
        last_email__scheduled_at__gt=now,
    )
    counts = Invitation.objects.filter(bulk_requests=bulk).aggregate(
        sent=Count("pk", filter=Q(last_email__status=EmailStatus.SENT)),
        failed=Count("pk", filter=Q(last_email__status=EmailStatus.FAILED)),
        later=Count("pk", filter=later),
        last_at=Max("last_email__scheduled_at", filter=later),
    )
    return BulkProgress(total=bulk.total, **counts)


def bulk_summary_rows(*, bulk: BulkRequest):
    """The bulk's requests in file order, with their latest email: one query."""
    return (
        Invitation.objects.filter(bulk_requests=bulk)
        .select_related("last_email")
        .order_by("pk")
    )
