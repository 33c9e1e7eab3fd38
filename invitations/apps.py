from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitationsConfig(AppConfig):
    name = "invitations"
    verbose_name = _("Invitations")

    def ready(self):
        from core.notifications import register_kind
        from invitations import overview

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
