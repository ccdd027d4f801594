"""Throttles shared by the API and the HTML pages."""

from rest_framework.throttling import UserRateThrottle


class ConnectionTestThrottle(UserRateThrottle):
    """30 connection tests per user per minute, whichever door they come through."""

    scope = "connection_test"
