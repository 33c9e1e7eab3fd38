"""URLs of Users (R26), My account (R30) and passwords (R27)."""

from django.urls import path

from partners import account_views as views
from partners import token_views

# Namespaced "partners" (added to partners.portal_urls).
portal_patterns = [
    path("partner/users/", views.users, name="users"),
    path("partner/users/add/", views.user_add, name="user_add"),
    path("partner/users/two-step/", views.users_two_step, name="users_two_step"),
    path("partner/users/<id:user_id>/roles/", views.user_roles, name="user_roles"),
    path("partner/users/<id:user_id>/remove/", views.user_remove, name="user_remove"),
    path("account/", views.account, name="account"),
    path("account/password/", views.account_password, name="account_password"),
    path("account/tokens/", token_views.tokens, name="tokens"),
    path(
        "account/tokens/<id:token_id>/revoke/",
        token_views.token_revoke,
        name="token_revoke",
    ),
    path(
        "account/sessions/sign-out-others/",
        views.account_sessions_end,
        name="account_sessions_end",
    ),
]
# Not namespaced (added to partners.urls): Django's password-reset names.
auth_patterns = [
    path(
        "accounts/password-reset/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/done/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password-reset/complete/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/set-password/complete/",
        views.SetPasswordCompleteView.as_view(),
        name="set_password_complete",
    ),
    path(
        "accounts/set-password/<uidb64>/<token>/",
        views.SetPasswordConfirmView.as_view(),
        name="set_password_confirm",
    ),
]
