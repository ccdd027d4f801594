"""What every API view shares."""

from openaec.exceptions import ApplicationError


def validated(serializer_class, data) -> dict:
    """The body validated by `serializer_class`; a body that is not a JSON object is a 400."""
    if not isinstance(data, dict):
        raise ApplicationError("The body must be a JSON object.")
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
