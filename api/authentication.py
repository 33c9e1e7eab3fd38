"""R38: ``Authorization: Bearer <key>``; the token acts as its user."""

from django.utils.translation import gettext_lazy as _
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
