"""API authentication: Bearer JWTs and personal `ifcgit_` tokens, then the browser session."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework_simplejwt.authentication import JWTAuthentication

from . import selectors

PERSONAL_TOKEN_PREFIX = "ifcgit_"


class BearerAuthentication(JWTAuthentication):
    """`Authorization: Bearer <JWT access token | personal API token>`."""

    www_authenticate_realm = "api"

    def authenticate(self, request):
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        if raw_token.startswith(PERSONAL_TOKEN_PREFIX.encode()):
            user = selectors.user_for_api_token(raw_token.decode("ascii", "replace"))
            if user is None:
                raise exceptions.AuthenticationFailed(_("Invalid or expired API token"))
            return user, None
        return super().authenticate(request)


class CsrfSessionAuthentication(SessionAuthentication):
    """The browser session (Swagger UI); DRF enforces CSRF for it."""
