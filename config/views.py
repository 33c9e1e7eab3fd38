import sys

from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.middleware import database_unavailable, unavailable_response


@never_cache
@require_GET
def healthz(request):
    """200 when the database answers a query, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure to reach the database is "unavailable"
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok"})


def home(request):
    """Send each person to the page that is theirs."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if hasattr(user, "partner_membership"):
        return redirect("partners:overview")
    if hasattr(user, "customer_membership"):
        return redirect("customers:partners")
    if user.is_staff:
        return redirect("admin:index")
    return redirect("customers:list")


def server_error(request):
    """The 500 page, or the 503 page when the cause is a database that does not
    answer (raised in a middleware, e.g. while loading the session).

    Like Django's own handler it renders without a request context, so that it
    cannot fail on the database itself.
    """
    exc = sys.exception()  # Django calls this inside its ``except`` block
    if database_unavailable(exc):
        return unavailable_response(exc)
    return HttpResponseServerError(loader.get_template("500.html").render())
