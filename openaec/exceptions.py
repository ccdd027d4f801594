"""Application errors and their translation into the API's `{"detail": ...}` shapes."""

import logging

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A failure a user can act on; `message` is shown to them as it is."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides the body."""
        return {}


class NotFoundError(ApplicationError):
    """The object does not exist, or the user may not know it does."""

    status_code = status.HTTP_404_NOT_FOUND


class AccessDeniedError(ApplicationError):
    """The user is known but their role does not allow the action."""

    status_code = status.HTTP_403_FORBIDDEN


class ConflictError(ApplicationError):
    """The action clashes with the current state (already linked, running...)."""

    status_code = status.HTTP_409_CONFLICT


class TooManyRequestsError(ApplicationError):
    """Slow down: the answer is 429 with `Retry-After: retry_after`."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class UpstreamError(ApplicationError):
    """An external system (ERPNext, Nextcloud) failed; the message says how."""

    status_code = status.HTTP_502_BAD_GATEWAY


def exception_handler(exc, context):
    """DRF exception handler: ApplicationError -> {"detail": message, ...extra}."""
    if isinstance(exc, ApplicationError):
        return Response(
            {"detail": exc.message, **exc.extra}, status=exc.status_code, headers=exc.headers()
        )
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        exc = exceptions.ParseError(f"Request body too large: the limit is {limit} KiB.")
    elif isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        exc = exceptions.ParseError(f"Too many parameters: the limit is {limit}.")
    elif isinstance(exc, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        exc = exceptions.ParseError(f"Too many files: the limit is {limit}.")
    elif isinstance(exc, SuspiciousOperation):
        # Django answers these 400 outside DRF; inside a DRF view they would be a 500.
        logger.warning("Refused a malformed request: %s", type(exc).__name__)
        exc = exceptions.ParseError("Malformed request.")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(response.data)
    return response


def _validation_body(data) -> dict:
    """Give validation errors a `detail` sentence as well as the per-field errors."""
    if isinstance(data, dict) and "detail" in data:
        return data
    if isinstance(data, list):
        return {"detail": " ".join(str(item) for item in data)}
    parts = []
    for field, errors in data.items():
        messages = errors if isinstance(errors, list) else [errors]
        text = " ".join(str(m) for m in messages)
        parts.append(text if field == "non_field_errors" else f"{field}: {text}")
    return {"detail": "; ".join(parts), "errors": data}
