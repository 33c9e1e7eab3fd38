from django.urls import path

from invitations import views

app_name = "invitations"

urlpatterns = [
    path("invitations/", views.invitation_list, name="list"),
    path("invitations/new/", views.invitation_new, name="new"),
    path("invitations/<id:invitation_id>/email/", views.invitation_email, name="email"),
    path(
        "invitations/<id:invitation_id>/revoke/",
        views.invitation_revoke,
        name="revoke",
    ),
    path(
        "invitations/<id:invitation_id>/new-link/",
        views.invitation_new_link,
        name="new_link",
    ),
    path("invitations/accept/<str:token>/", views.accept, name="accept"),
    path(
        "portals/office/<str:token>/",
        views.experience,
        {"slug": "office"},
        name="office",
    ),
    path(
        "portals/store/<str:token>/", views.experience, {"slug": "store"}, name="store"
    ),
]
