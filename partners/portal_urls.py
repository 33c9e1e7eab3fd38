from django.urls import path

from partners import account_urls, two_step_urls, views

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
urlpatterns += account_urls.portal_patterns + two_step_urls.portal_patterns
