"""Throttles shared by the API and the HTML pages."""

from rest_framework.throttling import UserRateThrottle

from openaec.exceptions import TooManyRequestsError


class ConnectionTestThrottle(UserRateThrottle):
    """30 connection tests per user per minute, whichever door they come through."""

    scope = "connection_test"


class ApiTokenCreateThrottle(UserRateThrottle):
    """New personal tokens per user (30 an hour), whichever door they come through."""

    scope = "api_token_create"


def page_throttle_check(throttle: UserRateThrottle, request, what: str) -> None:
    """For an HTML door: raise a 429 (with Retry-After) when `throttle` refuses the request."""
    if not throttle.allow_request(request, None):
        wait = int(throttle.wait() or 60) + 1
        raise TooManyRequestsError(
            f"Too many {what}. Try again in {wait} seconds.", retry_after=wait
        )
