"""R38: ``Authorization: Bearer <key>``; the token acts as its user."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from partners import api_tokens


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(
            "latin-1", "replace"
        )
        if not header:
            return None
        scheme, _sep, key = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not key.strip():
            raise exceptions.AuthenticationFailed(
                _("Send the token as: Authorization: Bearer <token>.")
            )
        token = api_tokens.authenticate(key.strip())
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("This token is unknown, expired or revoked.")
            )
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The schema's security scheme: an HTTP bearer token (R38)."""

    target_class = TokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (Settings > API tokens): rp_...",
        }
