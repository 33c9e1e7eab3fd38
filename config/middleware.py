import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.template.response import SimpleTemplateResponse

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Turn a database that does not answer into a 503 page, never a traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            return self._unavailable(exc)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            return self._unavailable(exception)
        if isinstance(exception, DatabaseError) and "connect" in str(exception):
            return self._unavailable(exception)
        return None

    def _unavailable(self, exc):
        logger.error("database unavailable: %s", exc.__class__.__name__)
        response = SimpleTemplateResponse("503.html", {}, status=503)
        response["Retry-After"] = "30"
        return response.render()
