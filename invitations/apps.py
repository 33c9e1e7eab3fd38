from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


def _in_days(params: dict) -> dict:
    """ "in 1 day" / "in 7 days", in the reader's language."""
    days = int(params.get("days") or 0)
    in_days = ngettext("in %(count)s day", "in %(count)s days", days) % {"count": days}
    return {**params, "in_days": in_days}


class InvitationsConfig(AppConfig):
    name = "invitations"
    verbose_name = _("Invitations")

    def ready(self):
        from core.mail import register_renderer
        from core.notifications import register_kind
        from invitations import overview
        from invitations.models import hide_link
        from invitations.services import INVITATION_RENDERER
        from invitations.tasks import render_invitation_email

        # R22/R7: the worker fills in the link only when it sends.
        register_renderer(
            INVITATION_RENDERER, render_invitation_email, redact=hide_link
        )

        # R42: the requests chart and the expiring links on the Overview.
        overview.register()

        # R10: what the partner is told when a customer answers a request.
        register_kind(
            "invitation_accepted",
            label=_("Invitation accepted"),
            message=_("%(customer)s accepted your reseller relationship request."),
            email_subject=_("%(customer)s accepted your reseller relationship request"),
            email_body=_(
                "%(customer)s accepted the reseller relationship request from "
                "%(partner)s. The customer now appears on your Customers page."
            ),
        )
        register_kind(
            "invitation_declined",
            label=_("Invitation declined"),
            message=_("%(customer)s declined your reseller relationship request."),
            email_subject=_("%(customer)s declined your reseller relationship request"),
            email_body=_(
                "%(customer)s declined the reseller relationship request from "
                "%(partner)s."
            ),
        )
        # R23: the partner user who made a request sent from the portal.
        register_kind(
            "invitation_expiring",
            label=_("Request expiring"),
            message=_(
                "Your request to %(recipient)s expires %(in_days)s: extend it if "
                "your customer needs more time."
            ),
            email_subject=_("Your request to %(recipient)s expires %(in_days)s"),
            email_body=_(
                "Your reseller relationship request to %(recipient)s expires "
                "%(in_days)s. A reminder was sent to the customer. Extend the "
                "request from the portal if they need more time."
            ),
            display_params=_in_days,
        )
