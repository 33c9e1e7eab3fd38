from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """R38–R40: the partner API and webhooks, at the top of the layers.

    It holds no business rule: every endpoint calls the service or selector the
    portal's page calls, so a refusal of the page is the same refusal here.
    """

    name = "api"
    verbose_name = _("API and webhooks")

    def ready(self):
        from api import signals  # noqa: F401  (webhook events from the apps below)
        from api.webhook_notifications import register_kinds

        register_kinds()

        from api.activity import register as register_activity

        register_activity()
