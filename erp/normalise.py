"""Pure conversions of ERPNext values: site URLs, Frappe timestamps, dates, percentages."""

import datetime as dt
import html
import math
import re
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from integrations.netguard import validate_url

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Frappe writes `modified` as "YYYY-MM-DD HH:MM:SS.ffffff" (frappe.utils.now), naive, in the
# site's time zone; some payloads use a "T" or drop the fraction.
_MODIFIED = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$")


class ValueRejected(ValueError):
    """A value from ERPNext (or a webhook) that does not have the expected form."""


def normalise_site_url(url: str) -> str:
    """One spelling per site: lower-case scheme and host, no default port, no trailing slash.

    Raises integrations.netguard.UrlRejected for a URL that is not http(s) with a host.
    """
    parts = urlsplit(validate_url(url))
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS.get(parts.scheme)) else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


def desk_url(site: str, doctype: str, name: str) -> str:
    """A document's page in ERPNext's desk: ("BOM", "BOM-0001") -> {site}/app/bom/BOM-0001."""
    slug = doctype.strip().lower().replace(" ", "-")
    return f"{site.rstrip('/')}/app/{quote(slug)}/{quote(str(name), safe='')}"


def erpnext_text(value: Any) -> str:
    """A Data value as ERPNext returns it, unescaped: Frappe stores a Data field that looks like
    HTML escaped ("Haus A&B <Nord>" as "Haus A&amp;B &lt;Nord&gt;"); pages escape it once."""
    return "" if value is None else html.unescape(str(value))


def as_stored_by_frappe(text: str) -> str:
    """`text` as Frappe stores it in a Data field (BaseDocument._sanitize_content applies
    frappe.utils.html_utils.escape_html to values containing < or >)."""
    if "<" not in text and ">" not in text:
        return text
    table = {"&": "&amp;", '"': "&quot;", "'": "&apos;", ">": "&gt;", "<": "&lt;"}
    return "".join(table.get(ch, ch) for ch in text)


def like_pattern(text: str) -> str:
    """`%text%` for a LIKE filter, with the user's own % and _ matched literally (MariaDB's
    escape character is the backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def parse_modified(value: Any) -> str:
    """Frappe's `modified` as a fixed-width string, so string order is time order."""
    match = _MODIFIED.match(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueRejected(f"'modified' is not a Frappe timestamp: {str(value)[:40]!r}")
    day, time, fraction = match.groups()
    try:
        dt.datetime.fromisoformat(f"{day} {time}")
    except ValueError as exc:
        raise ValueRejected(f"'modified' is not a valid date and time: {value[:40]!r}") from exc
    return f"{day} {time}.{(fraction or '').ljust(6, '0')}"


def parse_date(value: Any, *, field: str) -> dt.date | None:
    """A Frappe Date field ("YYYY-MM-DD" or empty)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueRejected(f"'{field}' is not a date: {str(value)[:40]!r}")
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise ValueRejected(f"'{field}' is not a date: {value[:40]!r}") from exc


def parse_percent(value: Any) -> float | None:
    """A Frappe Percent field (a number, possibly sent as a string)."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueRejected("'percent_complete' is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueRejected(f"'percent_complete' is not a number: {str(value)[:40]!r}") from exc
    if not math.isfinite(number):
        raise ValueRejected("'percent_complete' is not a finite number")
    return number


def as_text(value: Any) -> str:
    """A value as the status history shows it ("" for none)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:255]
