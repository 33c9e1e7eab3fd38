"""R39: every error is ``application/problem+json`` (RFC 9457) with a stable
``code``: the DomainError code of the service that refused (the same refusal as
the page's), or one of the codes below for the API's own errors."""

import logging
import math

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from core.exceptions import DomainError

PROBLEM = "application/problem+json"

# DRF's exceptions, by class, to our stable codes.
_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
    exceptions.ParseError: "malformed_request",
    exceptions.ValidationError: "invalid",
}


logger = logging.getLogger("django.request")


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """An error (RFC 9457): ``code`` is stable, ``detail`` is for people (in
    the token user's language)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = FieldErrorSerializer(many=True, required=False)


def problem(
    status_code: int, code: str, detail, *, errors=None, headers=None
) -> Response:
    body = _body(status_code, code, detail)
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM)


def _status_title(status_code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def _field_errors(detail) -> list[dict]:
    """DRF's nested error detail as a flat list of ``{field, code, message}``."""
    out = []

    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, [*path, str(key)])
        elif isinstance(value, list):
            for index, item in enumerate(value):
                nested = isinstance(item, dict | list)
                walk(item, [*path, str(index)] if nested else path)
        else:
            out.append(
                {
                    "field": ".".join(path) or None,
                    "code": getattr(value, "code", "invalid"),
                    "message": str(value),
                }
            )

    walk(detail, [])
    return out


def _body(status_code: int, code: str, detail) -> dict:
    return {
        "type": "about:blank",
        "title": _status_title(status_code),
        "status": status_code,
        "detail": str(detail),
        "code": code,
    }


@csrf_exempt  # any method: a DELETE to a wrong path is a 404 too, not a 403
def not_found(request, *args, **kwargs):
    """Any other path under /api/v1/: a problem, not the portal's HTML page."""
    return JsonResponse(
        _body(404, "not_found", _("There is no such API endpoint.")),
        status=404,
        content_type=PROBLEM,
    )


def _code(exc) -> str:
    """The refusal's own code (e.g. a permission's ``code``), else the class's."""
    detail_code = getattr(exc.detail, "code", None)
    if detail_code and detail_code != exc.default_code:
        return detail_code
    mapped = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), None)
    return mapped or exc.default_code or "error"


def problem_handler(exc, context):
    if isinstance(exc, DomainError):
        return problem(status.HTTP_422_UNPROCESSABLE_ENTITY, exc.code, exc.message)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        # A real bug: logged with its traceback, answered as a problem too.
        logger.error("API error: %s", exc, exc_info=(type(exc), exc, exc.__traceback__))
        return problem(
            status.HTTP_500_INTERNAL_SERVER_ERROR,
            "server_error",
            _("Something went wrong on our side. Please try again later."),
        )
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF makes these 403 without an authenticate header: always 401 here.
        headers.setdefault("WWW-Authenticate", "Bearer")
        exc.status_code = status.HTTP_401_UNAUTHORIZED
    code = _code(exc)
    if isinstance(exc, exceptions.ValidationError):
        return problem(
            exc.status_code,
            "invalid",
            _("The request has invalid fields."),
            errors=_field_errors(exc.detail),
            headers=headers,
        )
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return problem(exc.status_code, code, detail, headers=headers)
