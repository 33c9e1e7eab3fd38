"""Staff admin for what core keeps: the notices people were given (R10, R18)."""

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.admin_helpers import (
    ChangedThroughActionsMixin,
    ChoicesFilter,
    PortalModelAdmin,
    report_outcome,
)
from core.models import Notification
from core.notifications import KINDS, notice_kind, notice_text
from core.services import notification_email_send, recipient_language


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
        sent, refusals = 0, []
        # Only the notices whose email has not gone out: never send one twice.
        pending = queryset.filter(email_sent_at__isnull=True).select_related(
            "recipient__partner_membership"
        )
        for notice in pending:
            ok = notification_email_send(
                notification=notice, language=recipient_language(notice.recipient)
            )
            if ok:
                sent += 1
            else:
                refusals.append(
                    _("The email to %(email)s failed again.")
                    % {"email": notice.recipient.email}
                )
        report_outcome(
            self,
            request,
            done=sent,
            done_message=ngettext_lazy(
                "%(count)s email sent.", "%(count)s emails sent.", "count"
            ),
            refusals=refusals,
        )
