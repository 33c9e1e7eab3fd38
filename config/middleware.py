import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.template.response import SimpleTemplateResponse

logger = logging.getLogger(__name__)


def database_unavailable(exc: BaseException | None) -> bool:
    """True when ``exc`` means the database does not answer."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    return isinstance(exc, DatabaseError) and "connect" in str(exc)


def unavailable_response(exc: BaseException):
    """The 503 page, rendered without a request context: nothing in it may need
    the database (no user, no session)."""
    logger.error("database unavailable: %s", exc.__class__.__name__)
    response = SimpleTemplateResponse("503.html", {}, status=503)
    response["Retry-After"] = "30"
    return response.render()


class DatabaseUnavailableMiddleware:
    """Turn a database that does not answer into a 503 page, never a traceback.

    This catches what views raise. Django turns an exception raised inside a
    middleware (the session or the user loaded on the way in) into the 500
    handler's response before it gets here, so config.views.server_error makes
    the same choice for those.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            return unavailable_response(exc)

    def process_exception(self, request, exception):
        if database_unavailable(exception):
            return unavailable_response(exception)
        return None
