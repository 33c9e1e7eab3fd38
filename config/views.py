from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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
        return redirect("customers:list")
    if hasattr(user, "customer_membership"):
        return redirect("customers:partners")
    if user.is_staff:
        return redirect("admin:index")
    return redirect("customers:list")
