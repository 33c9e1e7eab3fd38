from django.urls import include, path

from api import webhook_urls
from api.v1 import urls as v1_urls

app_name = "api"

urlpatterns = [
    path("api/v1/", include(v1_urls.urlpatterns)),
    path("", include(webhook_urls.urlpatterns)),
]
