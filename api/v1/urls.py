"""R39: the partner API under /api/v1/, its OpenAPI 3 schema and its docs.

Each resource module holds its views and its ``urlpatterns``; this file only
puts them together (namespace ``api``, as the Webhooks page).
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from api.errors import not_found
from api.v1 import (
    activity,
    admin_relationships,
    customers,
    invitations,
    relationships,
    security_groups,
    service_requests,
)
from api.v1.root import ApiRoot

RESOURCES = (
    customers,
    invitations,
    relationships,
    admin_relationships,
    security_groups,
    service_requests,
    activity,
)

urlpatterns = [
    path("", ApiRoot.as_view(), name="root"),
    path(
        "schema/",
        SpectacularAPIView.as_view(
            authentication_classes=[], permission_classes=[AllowAny]
        ),
        name="schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema",
            # Without drf-spectacular's inline <style> (the portal's CSP).
            template_name="api/swagger_ui.html",
            authentication_classes=[],
            permission_classes=[AllowAny],
        ),
        name="docs",
    ),
]
for _module in RESOURCES:
    urlpatterns += _module.urlpatterns
# Last: any other path under /api/v1/ is a problem+json 404, not the HTML page.
urlpatterns.append(re_path(r"^[\s\S]*$", not_found, name="not-found"))
