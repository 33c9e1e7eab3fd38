"""The API's reference: the least a DRF view of ours can do.

Same server, same middleware, same token authentication, scope check and
per-token throttle (REST_FRAMEWORK's defaults) as /api/v1/; it answers 25 rows
of one table with one query, as JSON, and nothing else. bench/api_list.py
divides the API customers list's figures by its figures.
"""

from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer

ROWS = 25


class MinimalApiView(APIView):
    def get(self, request):
        rows = Customer.objects.order_by("id").values("id", "name", "domain")[:ROWS]
        return Response({"results": list(rows)})
