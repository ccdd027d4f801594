"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    """Expose the flags the page chrome needs."""
    return {"allow_registration": settings.ALLOW_REGISTRATION}
