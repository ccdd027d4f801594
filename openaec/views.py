"""What every HTML door shares: turning an ApplicationError into a page; the favicon.

Views raise ApplicationError freely: openaec.middleware.ApplicationErrorMiddleware renders it.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static

from openaec.exceptions import ApplicationError


def error_page(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    """The error's message on a page, with its status (404, 403, 409, 429, 502...)."""
    response = render(
        request,
        "error.html",
        {"message": exc.message, "status": exc.status_code},
        status=exc.status_code,
    )
    for name, value in exc.headers().items():
        response[name] = value
    return response


def favicon_view(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and feed readers ask for whatever the page says."""
    return redirect(static("favicon.ico"))
