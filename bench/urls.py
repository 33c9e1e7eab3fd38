"""The product's URLs plus the benchmark's reference page (never in config.urls)."""

from django.urls import path

from bench.reference import reference
from config.urls import handler403
from config.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    path("bench/reference/", reference, name="bench_reference"),
    *portal_urlpatterns,
]

__all__ = ["handler403", "urlpatterns"]
