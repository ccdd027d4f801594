"""An ApplicationError that escapes any HTML view is rendered by one middleware, not a decorator."""

import pytest
from django.http import HttpResponse
from django.urls import path

from openaec.exceptions import (
    AccessDeniedError,
    ConflictError,
    NotFoundError,
    TooManyRequestsError,
)
from openaec.urls import urlpatterns as site_urlpatterns

ERRORS = {
    "not-found": NotFoundError("Project not found"),
    "denied": AccessDeniedError("Access denied: viewers may not write."),
    "conflict": ConflictError("A sync is already running."),
    "slow-down": TooManyRequestsError("Too many attempts.", retry_after=60),
}


def raising_view(request, kind: str) -> HttpResponse:
    """A plain view, no decorator: it raises and leaves the answer to the middleware."""
    raise ERRORS[kind]


urlpatterns = [path("raise/<str:kind>", raising_view), *site_urlpatterns]


@pytest.mark.parametrize(
    ("kind", "status"), [("not-found", 404), ("denied", 403), ("conflict", 409), ("slow-down", 429)]
)
def test_an_html_view_raising_an_application_error_gets_the_error_page(
    db, client, settings, kind, status
):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False

    response = client.get(f"/raise/{kind}")

    assert response.status_code == status
    assert "error.html" in [t.name for t in response.templates]
    assert ERRORS[kind].message in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    for name, value in ERRORS[kind].headers().items():
        assert response[name] == value


def test_no_view_decorator_renders_application_errors_any_more():
    import openaec.views

    assert not hasattr(openaec.views, "application_errors")
