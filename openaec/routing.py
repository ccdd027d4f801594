"""URL helpers."""

import re

from django.urls import re_path

_CONVERTERS = {
    "uuid": r"[0-9a-fA-F-]{36}",
    "int": r"[0-9]+",
    "slug": r"[-a-zA-Z0-9_]+",
    "": r"[^/]+",
}
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def api_path(route: str, view, name: str | None = None):
    """Match `route` with and without a trailing slash, so no client gets redirected.

    Parameters are written as in `path()`: `<slug:slug>`, `<uuid:id>`, `<int:n>`, `<name>`.
    Values arrive as strings.
    """

    def group(match: re.Match) -> str:
        return f"(?P<{match.group(2)}>{_CONVERTERS[match.group(1) or '']})"

    return re_path(rf"^{_PARAM.sub(group, route)}/?$", view, name=name)
