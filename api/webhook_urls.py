"""R40: the Webhooks pages."""

from django.urls import path

from api import webhook_views as views

ONE = "webhooks/<id:endpoint_id>/"
urlpatterns = [
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_new, name="webhook-new"),
    path(ONE, views.webhook_detail, name="webhook-detail"),
    path(ONE + "edit/", views.webhook_edit, name="webhook-edit"),
    path(ONE + "delete/", views.webhook_delete, name="webhook-delete"),
    path(ONE + "test/", views.webhook_test, name="webhook-test"),
    path(ONE + "enable/", views.webhook_enable, name="webhook-enable"),
]
