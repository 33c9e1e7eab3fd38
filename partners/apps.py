from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self):
        from core.timezones import register_zone_resolver
        from partners import passwords
        from partners.time_zones import partner_user_zone

        register_zone_resolver(partner_user_zone)
        # R26/R27: the worker fills in password links when it sends.
        passwords.register()
