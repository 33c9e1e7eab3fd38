"""The product's URLs plus the benchmark's reference page (never in config.urls)."""

from django.urls import path

from bench.api_reference import MinimalApiView
from bench.reference import reference
from config.urls import handler403
from config.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    path("bench/reference/", reference, name="bench_reference"),
    # bench/api_list.py: the API's reference (a DRF view of one table).
    path("bench/api-minimal/", MinimalApiView.as_view(), name="bench_api_minimal"),
    *portal_urlpatterns,
]

__all__ = ["handler403", "urlpatterns"]
