"""What every API view shares."""

import re
from collections.abc import Collection

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from openaec.exceptions import ApplicationError

# whole_number() reads at most 9 digits.
MAX_WHOLE_NUMBER = 999_999_999


class ClosedSerializer(serializers.Serializer):
    """An input body whose unknown fields are a 400 naming them.

    The schema says so too (`additionalProperties: false`). `ignored_fields` are accepted and
    dropped unvalidated: read-only fields a client sends back with what it read.
    """

    ignored_fields: Collection[str] = ()


def validated(serializer_class, data, *, only_sent: bool = False) -> dict:
    """The body validated by `serializer_class`; a body that is not a JSON object is a 400.

    - A text field given a number, boolean, list or object is a 400: the schema says string,
      and DRF's CharField would otherwise turn `123` into `"123"`.
    - A ClosedSerializer refuses the fields it does not know.
    - `only_sent`: absent fields stay absent, so a PUT changes only what it carries.
    """
    if not isinstance(data, dict):
        raise ApplicationError("The body must be a JSON object.")
    ignored = getattr(serializer_class, "ignored_fields", ())
    serializer = serializer_class(data={k: v for k, v in data.items() if k not in ignored})
    if issubclass(serializer_class, ClosedSerializer):
        unknown = sorted(set(data) - set(serializer.fields) - set(ignored))
        if unknown:
            raise ApplicationError(f"Unknown fields: {', '.join(unknown)}")
    _refuse_non_strings(serializer, data)
    serializer.is_valid(raise_exception=True)
    return {k: v for k, v in serializer.validated_data.items() if k in data or not only_sent}


def _refuse_non_strings(serializer: serializers.Serializer, data: dict) -> None:
    errors = {
        name: ["Must be a string."]
        for name, field in serializer.fields.items()
        if isinstance(field, serializers.CharField)
        and not field.read_only
        and data.get(name) is not None
        and not isinstance(data[name], str)
    }
    if errors:
        raise serializers.ValidationError(errors)


@csrf_exempt  # a 404 for every method, not the CSRF failure page for a DELETE
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any /api/ path no route matches: JSON like every other API answer, not an HTML page."""
    return JsonResponse({"detail": "Not found."}, status=404)


def integer_parameter(
    name: str,
    *,
    minimum: int = 1,
    maximum: int = MAX_WHOLE_NUMBER,
    location: str = OpenApiParameter.QUERY,
    **options,
) -> OpenApiParameter:
    """A whole-number parameter documented with the bounds the server checks, so that a client
    (or schemathesis) that follows the schema is never refused: page=0 is invalid in both."""
    schema = {"type": "integer", "minimum": minimum, "maximum": maximum}
    return OpenApiParameter(name, schema, location, **options)


def choices_parameter(name: str, choices: Collection[str], **options) -> OpenApiParameter:
    """A comma-separated list of `choices` (blanks between commas allowed), as the parsers
    accept it; anything else is a 400 there and schema-invalid here."""
    one = "|".join(re.escape(choice) for choice in choices)
    pattern = rf"^\s*(?:{one})?\s*(?:,\s*(?:{one})?\s*)*$"
    return OpenApiParameter(name, {"type": "string", "pattern": pattern}, **options)
