"""Checks every request passes before any view sees it."""

from urllib.parse import unquote_plus

from django.http import HttpResponseBadRequest, JsonResponse

from openaec.exceptions import ApplicationError
from openaec.views import error_page

NUL_MESSAGE = "The URL contains a NUL byte (%00)."


class RejectNulBytesMiddleware:
    """A NUL byte in the path or the query string is a 400.

    No slug, id, token or filter value here contains one, and PostgreSQL refuses NUL in any
    text it is asked to compare, so letting it through would turn a typo into a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = unquote_plus(request.META.get("QUERY_STRING", ""))
        if "\x00" in request.path or "\x00" in query:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ApplicationErrorMiddleware:
    """An ApplicationError that escapes a view is its own answer, not a 500.

    The failed-login lockout is raised inside Django's `authenticate()`, so it reaches the
    /login page and the admin login this way (DRF's exception handler answers it on /api/).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError):
            return error_page(request, exception)
        return None
