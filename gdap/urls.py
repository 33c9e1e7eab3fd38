from django.urls import path

from gdap import approval, customer_views, views

app_name = "gdap"

urlpatterns = [
    # R36: the partner's side.
    path("admin-relationships/", views.relationship_list, name="list"),
    path("admin-relationships/new/", views.relationship_new, name="new"),
    path(
        "admin-relationships/<id:relationship_id>/",
        views.relationship_detail,
        name="detail",
    ),
    path(
        "admin-relationships/<id:relationship_id>/terminate/",
        views.relationship_terminate,
        name="terminate",
    ),
    path(
        "admin-relationships/<id:relationship_id>/remove-global-administrator/",
        views.relationship_remove_global_admin,
        name="remove_global_admin",
    ),
    path(
        "admin-relationships/<id:relationship_id>/auto-extend/",
        views.relationship_auto_extend,
        name="auto_extend",
    ),
    path(
        "admin-relationships/<id:relationship_id>/assignments/",
        views.assignment_save,
        name="assignment_save",
    ),
    path(
        "admin-relationships/<id:relationship_id>/assignments/<id:assignment_id>/delete/",
        views.assignment_delete,
        name="assignment_delete",
    ),
    # The request's draft page (invitations) comes back here with "OK".
    path(
        "admin-relationships/request/<id:invitation_id>/",
        views.relationship_for_request,
        name="for_request",
    ),
    # R32: the customer's approval link.
    path(
        "admin-relationships/approve/<str:token>/",
        approval.approve,
        name="approve",
    ),
    # R33: security groups.
    path("security-groups/", views.group_list, name="groups"),
    path("security-groups/<id:group_id>/", views.group_edit, name="group"),
    path(
        "security-groups/<id:group_id>/delete/", views.group_delete, name="group_delete"
    ),
    # R32/R35: the customer administrator's side.
    path(
        "customer/admin-relationships/<id:relationship_id>/terminate/",
        customer_views.terminate,
        name="customer_terminate",
    ),
    path(
        "customer/admin-relationships/<id:relationship_id>/auto-extend/",
        customer_views.auto_extend,
        name="customer_auto_extend",
    ),
]
