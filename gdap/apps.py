from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GdapConfig(AppConfig):
    name = "gdap"
    verbose_name = _("Admin relationships")

    def ready(self):
        from customers.access import Source, register_source
        from gdap import (
            card,
            customer_views,
            notifications,
            overview,
            selectors,
            services,
        )
        from partners.signals import partner_user_removed

        # R34: the customer card's access reads the roles assigned to the user.
        register_source(
            Source(
                key="gdap",
                roles=selectors.granted_roles,
                active=selectors.active_relationships,
                # A page of cards reads both in one query.
                card=card.card_facts,
                # R36: the Customers list's "Admin relationship" badge.
                list_exists=card.list_exists,
                # R32/R36: the customer's "Partner relationships" lists them.
                customer_section=customer_views.partner_relationships_section,
                customer_template="gdap/customer_admin_relationships.html",
            )
        )
        from gdap import activity

        # R41: admin relationship events in the activity log.
        activity.register()
        # R42: admin relationships ending in the next 30 days.
        overview.register()
        # R43: approved, declined, expiring, expired, terminated, auto-extended.
        notifications.register_kinds()
        # R26: a removed partner user leaves every security group.
        partner_user_removed.connect(
            services.drop_removed_partner_user, dispatch_uid="gdap.drop_removed"
        )
