import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponseBadRequest, JsonResponse
from django.template.response import SimpleTemplateResponse
from django.utils import translation
from django.utils.translation import gettext as _

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


def _has_nul(data) -> bool:
    """True when any key or value of a QueryDict carries a NUL character."""
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in data.lists()
    )


class RejectNulBytesMiddleware:
    """R20: a NUL character in a query string or form is a 400, never a 500.

    PostgreSQL refuses NUL in a text parameter (DataError), so ``?status=%00`` on
    any filtered page would otherwise crash. No legitimate value carries one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            "\x00" in request.path_info
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            # This runs before LocaleMiddleware: answer in the visitor's language,
            # not whichever one the worker thread last served.
            with translation.override(translation.get_language_from_request(request)):
                message = _("Bad request.")
            if request.path_info.startswith("/api/"):
                # R39: the API's errors are problem+json (api.errors' shape).
                return JsonResponse(
                    {
                        "type": "about:blank",
                        "title": "Bad Request",
                        "status": 400,
                        "detail": str(message),
                        "code": "malformed_request",
                    },
                    status=400,
                    content_type="application/problem+json",
                )
            return HttpResponseBadRequest(
                message, content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)


class PrivateCacheForSignedInMiddleware:
    """Pages shown to a signed-in user are theirs alone: no shared cache and no
    browser cache keeps them (back button after sign-out, a shared computer).
    A response that already says how to cache it is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        try:
            signed_in = request.user.is_authenticated
        except (AttributeError, DatabaseError):
            # No user (a page answered before authentication), or a database
            # that does not answer (the 503 page already went out).
            signed_in = False
        if signed_in:
            response["Cache-Control"] = "private, no-store"
        return response
