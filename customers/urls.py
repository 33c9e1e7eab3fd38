from django.urls import path

from customers import activity_views, views

app_name = "customers"

urlpatterns = [
    # Partner side
    path("customers/", views.customer_list, name="list"),
    path("customers/<id:customer_id>/", views.customer_detail, name="detail"),
    path("customers/<id:customer_id>/card/", views.customer_card, name="card"),
    path(
        "customers/<id:customer_id>/service-requests/new/",
        views.service_request_new,
        name="service_request_new",
    ),
    path(
        "customers/<id:customer_id>/support-contacts/",
        views.support_contacts,
        name="support_contacts",
    ),
    path("customers/<id:customer_id>/end/", views.relationship_end, name="end"),
    path("service-requests/", views.service_request_list, name="service_requests"),
    path(
        "service-requests/<id:request_id>/",
        views.service_request_detail,
        name="service_request",
    ),
    # R41: the activity log.
    path("activity/", activity_views.activity_log, name="activity"),
    # Customer side
    path("customer/partners/", views.partner_relationships, name="partners"),
    path(
        "customer/partners/<id:relationship_id>/remove-admin-privileges/",
        views.customer_dap_remove,
        name="dap_remove",
    ),
    path(
        "customer/partners/<id:relationship_id>/end/",
        views.customer_relationship_end,
        name="customer_end",
    ),
    path(
        "customer/service-requests/",
        views.customer_service_request_list,
        name="customer_service_requests",
    ),
    path(
        "customer/service-requests/<id:request_id>/",
        views.customer_service_request_detail,
        name="customer_service_request",
    ),
    path(
        "customer/activity/",
        activity_views.customer_activity,
        name="customer_activity",
    ),
]
