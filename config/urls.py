from django.contrib import admin
from django.urls import include, path, register_converter

from config import views
from config.converters import IdConverter
from partners import views as partner_views

# Registered before the apps' URLconfs are included: they use <id:...>.
register_converter(IdConverter, "id")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", partner_views.login_view, name="login"),
    path("accounts/logout/", partner_views.logout_view, name="logout"),
    path("i18n/setlang/", partner_views.set_language_view, name="set_language"),
    # Each app owns its whole URL space (customers/ and customer/; invitations/
    # and portals/), so one namespace per app.
    path("", include("customers.urls")),
    path("", include("invitations.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "partners.views.permission_denied"
handler500 = "config.views.server_error"
