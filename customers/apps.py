from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from core.timezones import register_zone_resolver
        from customers.time_zones import customer_member_zone

        # R45: after the partners' resolver (INSTALLED_APPS order).
        register_zone_resolver(customer_member_zone)

        from customers.notifications import register_kinds

        # R43: DAP removed / relationship ended by the customer, request updated.
        register_kinds()

        from customers import overview

        # R42: recent activity and open service requests on the Overview.
        overview.register()

        from customers import activity

        # R41: relationship events and people changes in the activity log
        # (before gdap's, which INSTALLED_APPS readies later).
        activity.register()

        from customers import people

        # R26: a removed partner user leaves every support contact list.
        people.connect()
