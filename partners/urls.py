from django.urls import path

from partners import account_urls, two_step_urls, views

# Not namespaced: "login" is Django's LOGIN_URL and every template's sign-in link.
urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("i18n/setlang/", views.set_language_view, name="set_language"),
]
urlpatterns += account_urls.auth_patterns + two_step_urls.auth_patterns
