"""What every /api/v1/ view shares: the token's partner, Idempotency-Key on POST
and the documented error responses.

Every API view subclasses :class:`PartnerAPIView` (or a generic/viewset built on
:class:`PartnerMixin`): ``self.partner`` and ``self.membership`` are the token's.
A POST sent with ``Idempotency-Key`` runs at most once (api/idempotency.py);
views do nothing for it.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import generics, viewsets
from rest_framework.response import Response

from api import idempotency
from api.errors import PROBLEM, ProblemSerializer
from api.permissions import PartnerRole, TokenScope

# The errors any operation can answer, and those of operations that write.
READ_ERRORS = ("400", "401", "403", "404", "406", "429")
WRITE_ERRORS = ("409", "415", "422")


class ApiSchema(AutoSchema):
    """Documents the problem+json errors and the Idempotency-Key header of every
    operation, so a view documents only its own request and response."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    idempotency.HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    pattern=idempotency.PATTERN,
                    description=(
                        "Any unique string (e.g. a UUID): the same key again "
                        "answers the first call's response without running it "
                        "twice; with a different request it is a 422 "
                        "(idempotency_key_reused). Kept 24 hours."
                    ),
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = READ_ERRORS
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes = READ_ERRORS + WRITE_ERRORS
        for code in codes:
            problem = self._get_response_for_code(
                ProblemSerializer, code, media_types=[PROBLEM], direction=direction
            )
            if code in responses:
                responses[code].setdefault("content", {}).update(problem["content"])
            else:
                responses[code] = problem
        return responses

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if status_code == "429":
            headers["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": "Seconds to wait before the next call.",
            }
        return headers


class _Replay(Exception):
    def __init__(self, stored):
        self.stored = stored


class PartnerMixin:
    """``required_action`` (or ``required_actions`` by method): the partner
    action (partners.permissions.Action) the view's page needs, R1."""

    schema = ApiSchema()
    permission_classes = [TokenScope, PartnerRole]
    _idempotency = None  # (record, key) while a claimed POST runs

    @property
    def token(self):
        return self.request.auth

    @property
    def membership(self):
        return self.request.user.partner_membership

    @property
    def partner(self):
        return self.membership.partner

    # Idempotency-Key: claimed after authentication, permissions and throttling
    # (a refused call claims nothing), answered again before the handler runs.
    def initial(self, request, *args, **kwargs):
        self._idempotency = None
        super().initial(request, *args, **kwargs)
        if request.method != "POST" or request.auth is None:
            return
        key = idempotency.clean_key(request.headers.get(idempotency.HEADER))
        if key is None:
            return
        result = idempotency.claim(
            token=request.auth,
            key=key,
            fingerprint=idempotency.fingerprint(
                request.method, request.get_full_path(), request.body
            ),
        )
        if isinstance(result, idempotency.Stored):
            raise _Replay(result)
        self._idempotency = (result, key)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            response = Response(exc.stored.data, status=exc.stored.status_code)
            for name, value in exc.stored.headers.items():
                response[name] = value
            response["Idempotent-Replayed"] = "true"
            if response.status_code >= 400:
                response.content_type = PROBLEM
            return response
        try:
            return super().handle_exception(exc)
        except BaseException:
            self._release()
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotency is not None:
            record, key = self._idempotency
            self._idempotency = None
            if response.status_code >= 500:
                idempotency.release(record)
            else:
                idempotency.complete(record, key=key, response=response)
        return response

    def _release(self):
        if self._idempotency is not None:
            idempotency.release(self._idempotency[0])
            self._idempotency = None


class PartnerAPIView(PartnerMixin, generics.GenericAPIView):
    pass


class PartnerViewSet(PartnerMixin, viewsets.GenericViewSet):
    pass
