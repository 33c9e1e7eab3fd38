from django.contrib import admin
from django.urls import include, path

from config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("partners.urls")),
    path("", include("partners.portal_urls")),
    # Each app owns its whole URL space (customers/ and customer/; invitations/
    # and portals/), so one namespace per app.
    path("", include("customers.urls")),
    path("", include("invitations.urls")),
    path("", include("gdap.urls")),
    path("", include("api.urls")),
    # R28 passkeys: the WebAuthn ceremonies' JSON endpoints (django-otp-webauthn).
    path("webauthn/", include("django_otp_webauthn.urls", namespace="otp_webauthn")),
    path("admin/", admin.site.urls),
]

handler403 = "partners.views.permission_denied"
handler500 = "config.views.server_error"
