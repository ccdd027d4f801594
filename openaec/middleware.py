"""Checks every request passes before any view sees it."""

from urllib.parse import unquote_plus

from django.http import HttpResponseBadRequest, JsonResponse

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
