from django.apps import AppConfig
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app shares; it imports no other app of the portal."""

    name = "core"
    verbose_name = _("Portal")

    def ready(self):
        from core import (
            checks,  # noqa: F401  (registers the R29 system checks)
            sessions,  # noqa: F401  (R30: sign-in/out receivers)
        )
        from core.converters import IdConverter

        # Before any URLconf is loaded: the apps' URLs use <id:...>.
        register_converter(IdConverter, "id")
