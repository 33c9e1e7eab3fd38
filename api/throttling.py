"""R39: each token has its own rate limit, in the shared cache (one counter for
every process); over it the API answers 429 with ``Retry-After``.

A fixed window of one minute, counted with the cache's atomic ``add`` + ``incr``
(as core.throttle counts sign-in attempts): one or two cache calls a request,
whatever the limit. DRF's own throttle keeps every request's time of the
window in one cached list, read and written back on each call: its cost grows
with the limit, and two processes writing it at once lose counts.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

WINDOW_SECONDS = 60


class PerTokenThrottle(BaseThrottle):
    def allow_request(self, request, view):
        limit = settings.API_RATE_LIMIT_PER_MINUTE
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        ident = (
            f"token:{request.auth.pk}"
            if request.auth is not None
            else f"anon:{self.get_ident(request)}"
        )
        key = f"api-throttle:{ident}:{window}"
        # The first call of the window creates the counter; it expires with the
        # window (plus a margin for clocks that differ a little between hosts).
        cache.add(key, 0, WINDOW_SECONDS + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW_SECONDS + 5)
            count = 1
        self._wait = (window + 1) * WINDOW_SECONDS - now
        return count <= limit

    def wait(self):
        return self._wait
