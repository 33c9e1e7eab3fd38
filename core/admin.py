"""Staff admin for what core keeps: the notices people were given (R10, R18)."""

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_tasks_db import admin as _library_admin  # noqa: F401  (registered first)
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from core.admin_helpers import (
    ChangedThroughActionsMixin,
    ChoicesFilter,
    PortalModelAdmin,
    report_outcome,
)
from core.mail import email_retry, shown_to_staff
from core.models import Notification, OutgoingEmail, UserSession
from core.notifications import KINDS, notice_kind, notice_text
from core.services import notification_email_send, recipient_language
from core.tasks import task_retry


class EmailStatusFilter(ChoicesFilter):
    title = _("email")
    parameter_name = "email"
    options = {
        "sent": (_("Sent"), Q(email_sent_at__isnull=False)),
        "failed": (_("Failed"), Q(email_sent_at__isnull=True) & ~Q(email_error="")),
        "waiting": (_("Not sent"), Q(email_sent_at__isnull=True, email_error="")),
    }


class ReadFilter(ChoicesFilter):
    title = _("read")
    parameter_name = "read"
    options = {
        "unread": (_("Unread"), Q(read_at__isnull=True)),
        "read": (_("Read"), Q(read_at__isnull=False)),
    }


class KindFilter(admin.SimpleListFilter):
    """The registered kinds, by their labels."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind, entry.label) for kind, entry in KINDS.items()]

    def queryset(self, request, queryset):
        if self.value() in KINDS:
            return queryset.filter(kind=self.value())
        return queryset


@admin.register(Notification)
class NotificationAdmin(ChangedThroughActionsMixin, PortalModelAdmin):
    """What each person was told; failed emails are retried from here."""

    list_display = [
        "kind_label",
        "recipient_email",
        "message",
        "link_column",
        "created_at",
        "read_at",
        "email_sent_at",
        "email_error",
    ]
    list_select_related = ["recipient"]
    list_filter = [KindFilter, ReadFilter, EmailStatusFilter]
    search_fields = ["recipient__email", "params"]
    date_hierarchy = "created_at"
    fields = list_display
    readonly_fields = fields
    actions = ["retry_email"]

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj):
        return notice_kind(obj).label

    @admin.display(description=_("user"), ordering="recipient__email")
    def recipient_email(self, obj):
        return obj.recipient.email

    @admin.display(description=_("message"))
    def message(self, obj):
        return notice_text(obj)

    @admin.display(description=_("link"))
    def link_column(self, obj):
        return (
            format_html('<a href="{}">{}</a>', obj.link, obj.link) if obj.link else "-"
        )

    @admin.action(description=_("Send the email again"), permissions=["change"])
    def retry_email(self, request, queryset):
        # Only the notices whose email has not gone out, and none already waiting
        # in the queue: never send one twice.
        pending = (
            queryset.filter(email_sent_at__isnull=True)
            .exclude(emails__status=OutgoingEmail.Status.QUEUED)
            .select_related("recipient__partner_membership")
        )
        queued = 0
        for notice in pending:
            notification_email_send(
                notification=notice, language=recipient_language(notice.recipient)
            )
            queued += 1
        report_outcome(
            self,
            request,
            done=queued,
            done_message=ngettext_lazy(
                "%(count)s email queued to be sent again.",
                "%(count)s emails queued to be sent again.",
                "count",
            ),
            refusals=[],
        )


class QueueAdmin(PortalModelAdmin):
    """Read-only pages of the queue's rows (R21): staff look, and Retry."""

    actions = ["retry"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request):
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(QueueAdmin):
    """Every email the portal sent or will send (R21), with Retry for failed ones.

    An invitation's email is kept with the link placeholder (R7): nothing here
    shows a working link.
    """

    list_display = [
        "to",
        "subject_shown",
        "status",
        "attempts",
        "last_error",
        "scheduled_at",
        "sent_at",
    ]
    list_filter = ["status"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    fields = [
        "to",
        "reply_to",
        "language",
        "subject_shown",
        "body_shown",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "scheduled_at",
        "sent_at",
    ]

    @admin.display(description=_("subject"), ordering="subject")
    def subject_shown(self, obj):
        return shown_to_staff(obj, obj.subject)

    @admin.display(description=_("email text"))
    def body_shown(self, obj):
        return format_html(
            '<pre class="admin-email">{}</pre>', shown_to_staff(obj, obj.body)
        )

    @admin.action(description=_("Retry"), permissions=["change"])
    def retry(self, request, queryset):
        queued = sum(
            email_retry(email_id=pk)
            for pk in queryset.filter(status=OutgoingEmail.Status.FAILED).values_list(
                "pk", flat=True
            )
        )
        report_outcome(
            self,
            request,
            done=queued,
            done_message=ngettext_lazy(
                "%(count)s email queued again.",
                "%(count)s emails queued again.",
                "count",
            ),
            refusals=[],
        )


class TaskNameFilter(admin.SimpleListFilter):
    title = _("task")
    parameter_name = "task"

    def lookups(self, request, model_admin):
        paths = DBTaskResult.objects.values_list("task_path", flat=True).distinct()
        return [(path, path.rsplit(".", 1)[-1]) for path in paths.order_by("task_path")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(task_path=self.value())
        return queryset


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskAdmin(QueueAdmin):
    """The job queue (R21): what ran, what waits, what failed, with Retry.

    Tasks carry ids, never links or texts: nothing here shows a secret.
    """

    list_display = [
        "task_label",
        "status",
        "attempt",
        "last_error",
        "enqueued_at",
        "run_after_column",
        "finished_at",
    ]
    list_filter = ["status", TaskNameFilter, "queue_name"]
    ordering = ["-enqueued_at"]
    date_hierarchy = "enqueued_at"
    fields = [
        "task_label",
        "status",
        "attempt",
        "args_kwargs",
        "enqueued_at",
        "run_after_column",
        "started_at",
        "finished_at",
        "worker_ids",
        "traceback_column",
    ]

    @admin.display(description=_("task"), ordering="task_path")
    def task_label(self, obj):
        return obj.task_path.rsplit(".", 1)[-1]

    @admin.display(description=_("attempt"))
    def attempt(self, obj):
        return (obj.args_kwargs or {}).get("kwargs", {}).get("attempt", 1)

    @admin.display(description=_("last error"))
    def last_error(self, obj):
        lines = obj.traceback.strip().splitlines()
        return lines[-1][:200] if lines else "-"

    @admin.display(description=_("run after"), ordering="run_after")
    def run_after_column(self, obj):
        if obj.run_after == get_date_max():
            return "-"
        return obj.run_after

    @admin.display(description=_("traceback"))
    def traceback_column(self, obj):
        return format_html("<pre>{}</pre>", obj.traceback) if obj.traceback else "-"

    @admin.action(description=_("Retry"), permissions=["change"])
    def retry(self, request, queryset):
        queued = 0
        for result in queryset.filter(status=TaskResultStatus.FAILED):
            queued += task_retry(result)
        report_outcome(
            self,
            request,
            done=queued,
            done_message=ngettext_lazy(
                "%(count)s task queued again.", "%(count)s tasks queued again.", "count"
            ),
            refusals=[],
        )


# R28: second factors, shown without their secrets (core/device_admin.py).
from core import device_admin  # noqa: E402, F401


@admin.register(UserSession)
class UserSessionAdmin(PortalModelAdmin):
    """Who is signed in where (R30): read-only; a session ends from My account,
    by removing the person, or when its limits pass."""

    list_display = ["user", "user_agent", "client_ip", "created_at", "last_seen_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "client_ip"]
    date_hierarchy = "created_at"
    fields = ["user", "user_agent", "client_ip", "created_at", "last_seen_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)
