"""R39: each token has its own rate limit, in the shared cache (one counter for
every process); over it the API answers 429 with ``Retry-After``."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class PerTokenThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self):
        return f"{settings.API_RATE_LIMIT_PER_MINUTE}/min"

    def get_cache_key(self, request, view):
        if request.auth is None:
            return self.cache_format % {
                "scope": "anon",
                "ident": self.get_ident(request),
            }
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
