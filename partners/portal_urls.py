from django.urls import path

from partners import views

# The partner user's own pages (DESIGN 8.7), namespaced "partners".
app_name = "partners"

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("notifications/", views.notifications, name="notifications"),
    path(
        "notifications/read/",
        views.notifications_read,
        name="notifications_read",
    ),
]
