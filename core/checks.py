"""System checks for the sign-in throttling settings (R29).

``config.settings.production`` already refuses to start with a per-process cache;
these checks say the same to ``check --deploy`` under any settings module, and
catch limits that would switch throttling off or make it refuse everyone.
"""

from django.conf import settings
from django.core import checks

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
}

POSITIVE_SETTINGS = (
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_IP_FAILURE_LIMIT",
    "LOGIN_LOCKOUT_SECONDS",
    "CODE_FAILURE_LIMIT",
)


@checks.register(checks.Tags.security, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in PER_PROCESS_CACHES:
        return [
            checks.Error(
                f"The default cache ({backend}) is not shared between processes: "
                "each worker would count sign-in attempts alone.",
                hint="Set CACHE_URL=redis://HOST:6379/0.",
                id="core.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_throttle_settings(app_configs, **kwargs):
    errors = []
    for name in POSITIVE_SETTINGS:
        value = getattr(settings, name, None)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors.append(
                checks.Error(
                    f"{name} must be a whole number of at least 1, not {value!r}.",
                    id="core.E002",
                )
            )
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if not isinstance(proxies, int) or isinstance(proxies, bool) or proxies < 0:
        errors.append(
            checks.Error(
                "TRUSTED_PROXY_COUNT must be 0 (no proxy) or the number of proxies "
                f"that append to X-Forwarded-For, not {proxies!r}.",
                id="core.E003",
            )
        )
    return errors
