"""OpenAPI descriptions of our authentication classes (drf-spectacular extensions)."""

from drf_spectacular.authentication import SessionScheme as SpectacularSessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "openaec.accounts.authentication.BearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT or personal token (ifcgit_...)",
        }


class SessionScheme(SpectacularSessionScheme):
    target_class = "openaec.accounts.authentication.CsrfSessionAuthentication"


def strip_trailing_slashes(result, generator, request, public):
    """Show paths as OpenAEC documents them; both forms are served."""
    result["paths"] = {path.rstrip("/") or "/": item for path, item in result["paths"].items()}
    return result
