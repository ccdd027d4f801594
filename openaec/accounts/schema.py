"""OpenAPI descriptions of our authentication classes (drf-spectacular extensions)."""

from drf_spectacular import openapi
from drf_spectacular.authentication import SessionScheme as SpectacularSessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.fields import CharField
from rest_framework.permissions import AllowAny


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


def document_parameters(result, generator, request, public):
    """Parameters as the server reads them. `{version}` in a path is a model version's number,
    a whole number of 1 or more (projects.selectors.parse_version_number), not any string; no
    text parameter holds a NUL (RejectNulBytesMiddleware answers 400 to one in the URL)."""
    from openaec.api import MAX_WHOLE_NUMBER

    version = {"type": "integer", "minimum": 1, "maximum": MAX_WHOLE_NUMBER}
    for item in result["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter["schema"]
                if parameter["in"] == "path" and parameter["name"] == "version":
                    parameter["schema"] = dict(version)
                elif schema.get("type") == "string" and not {"pattern", "enum"} & set(schema):
                    schema["pattern"] = r"^[^\x00]*$"
    return result


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, plus the error answers every view can give.

    Each operation lists 400 (bad body or query, malformed request), 401 when it needs
    credentials, 404 when its path names an object, and 429 when it is throttled, all as
    `{"detail": ...}`, unless the view describes that status itself.
    """

    def get_operation(self, *args, **kwargs):
        from openaec.accounts.api.serializers import DetailSerializer

        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        codes = ["400"]
        if any(not isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes.append("401")
        if "{" in self.path:
            codes.append("404")
        if self.view.get_throttles():
            codes.append("429")
        responses = operation["responses"]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(DetailSerializer, code)
        return operation

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        from openaec.api import ClosedSerializer

        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(serializer, ClosedSerializer):
            schema["additionalProperties"] = False
            for name in serializer.ignored_fields:
                schema["properties"][name] = {"description": "Read-only: accepted and ignored."}
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and isinstance(field, CharField) and "pattern" not in schema:
            # DRF refuses NUL in any text, and strips it before the blank check.
            blank_ok = field.allow_blank or not field.trim_whitespace
            schema["pattern"] = r"^[^\x00]*$" if blank_ok else r"^[^\x00]*[^\x00\s][^\x00]*$"
        return schema
