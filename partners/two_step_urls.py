"""URLs of two-step verification (R28)."""

from django.urls import path

from partners import two_step_views as views

# Namespaced "partners" (added to partners.portal_urls). Everything under
# account/two-step/ stays reachable for a person sent to set it up.
portal_patterns = [
    path("account/two-step/", views.two_step, name="two_step"),
    path(
        "account/two-step/authenticator/",
        views.two_step_confirm,
        name="two_step_confirm",
    ),
    path(
        "account/two-step/authenticator/remove/",
        views.two_step_remove,
        name="two_step_remove",
    ),
    path(
        "account/two-step/recovery-codes/",
        views.two_step_codes,
        name="two_step_codes",
    ),
    path(
        "account/two-step/passkeys/complete/",
        views.PasskeyRegistrationCompleteView.as_view(),
        name="two_step_passkey_complete",
    ),
    path(
        "account/two-step/passkeys/name/",
        views.two_step_passkey_name,
        name="two_step_passkey_name",
    ),
    path(
        "account/two-step/passkeys/<id:passkey_id>/remove/",
        views.two_step_passkey_remove,
        name="two_step_passkey_remove",
    ),
]
# Not namespaced (added to partners.urls): the sign-in's second step.
auth_patterns = [
    path("accounts/login/verify/", views.login_verify, name="login_verify"),
    path(
        "accounts/login/verify/passkey/",
        views.PasskeyVerifyCompleteView.as_view(),
        name="login_verify_passkey",
    ),
]
