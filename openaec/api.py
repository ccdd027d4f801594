"""What every API view shares."""

from collections.abc import Collection

from django.http import HttpRequest, JsonResponse
from rest_framework import serializers

from openaec.exceptions import ApplicationError


def validated(
    serializer_class,
    data,
    *,
    reject_unknown: bool = False,
    ignored: Collection[str] = (),
    only_sent: bool = False,
) -> dict:
    """The body validated by `serializer_class`; a body that is not a JSON object is a 400.

    - A text field given a number, boolean, list or object is a 400: the schema says string,
      and DRF's CharField would otherwise turn `123` into `"123"`.
    - `reject_unknown`: a field the serializer does not know is a 400 naming it, except the
      `ignored` ones (read-only fields a client may send back), which are dropped.
    - `only_sent`: absent fields stay absent, so a PUT changes only what it carries.
    """
    if not isinstance(data, dict):
        raise ApplicationError("The body must be a JSON object.")
    serializer = serializer_class(data={k: v for k, v in data.items() if k not in ignored})
    if reject_unknown:
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


def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any /api/ path no route matches: JSON like every other API answer, not an HTML page."""
    return JsonResponse({"detail": "Not found."}, status=404)
