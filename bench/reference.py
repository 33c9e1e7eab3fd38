"""The reference: the least a Django page of ours can do.

Same server, same process, same middleware, same base template and context
processors as the portal's pages; it renders 25 rows of one table with one query
and nothing else. The benchmark divides each portal page's figures by its figures.
"""

from django.shortcuts import render

from customers.models import Customer

ROWS = 25


def reference(request):
    rows = Customer.objects.order_by("name", "id").values_list("name", "domain")[:ROWS]
    return render(request, "bench/reference.html", {"rows": rows})
