"""What every HTML door shares: turning an ApplicationError into a page; the favicon."""

from functools import wraps

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


def application_errors(view):
    """Render any ApplicationError the view raises with error_page()."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as exc:
            return error_page(request, exc)

    return wrapper


def favicon_view(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and feed readers ask for whatever the page says."""
    return redirect(static("favicon.ico"))
