from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


class ApiRoot(APIView):
    """The API's entry point: where its schema and docs are."""

    @extend_schema(exclude=True)
    def get(self, request):
        return Response(
            {
                "schema": reverse("api:schema", request=request),
                "docs": reverse("api:docs", request=request),
            }
        )
