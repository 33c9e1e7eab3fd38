"""R39: every error is ``application/problem+json`` (RFC 9457) with a stable
``code``: the DomainError code of the service that refused (the same refusal as
the page's), or one of the codes below for the API's own errors."""

import math

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
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


def problem(
    status_code: int, code: str, detail, *, errors=None, headers=None
) -> Response:
    body = {
        "type": "about:blank",
        "title": _status_title(status_code),
        "status": status_code,
        "detail": str(detail),
        "code": code,
    }
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


def problem_handler(exc, context):
    if isinstance(exc, DomainError):
        return problem(status.HTTP_422_UNPROCESSABLE_ENTITY, exc.code, exc.message)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django's 500 handling (and logging) takes it
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF makes these 403 without an authenticate header: always 401 here.
        headers.setdefault("WWW-Authenticate", "Bearer")
        exc.status_code = status.HTTP_401_UNAUTHORIZED
    code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "error")
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
