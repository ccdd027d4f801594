"""The order options: the one box the API and the page share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from bom import validators
from bom.constants import IMPLAUSIBLE_CHOICES, IMPLAUSIBLE_MEASURED
from openaec.exceptions import ApplicationError

from ..constants import DEFAULT_LEAD_DAYS, DELIVERIES, DELIVERY_PROJECT, DOCTYPES, PURCHASE_ORDER

DEFAULT_PRICE_LIST = "Standard Buying"
OPTION_FIELDS = (
    "doctype",
    "price_list",
    "warehouse",
    "schedule_date",
    "delivery",
    "schedule_dates",
    "suppliers",
    "submit",
    "convert_to_stock_uom",
    "implausible_quantities",
)


def clean_options(data: dict) -> dict:
    """The order options; a 400 names each bad field."""
    unknown = sorted(set(data) - set(OPTION_FIELDS))
    if unknown:
        raise ApplicationError(f"Unknown option(s): {', '.join(unknown)}.")
    errors: dict[str, list[str]] = {}
    options: dict[str, Any] = {}

    def check(name: str, clean) -> None:
        try:
            options[name] = clean(data.get(name))
        except ValidationError as exc:
            errors[name] = list(exc.messages)

    check("doctype", lambda v: _choice(v or PURCHASE_ORDER, DOCTYPES, "Document type"))
    check("delivery", lambda v: _choice(v or DELIVERY_PROJECT, DELIVERIES, "Delivery"))
    check("price_list", lambda v: _name(v, "Price list") or DEFAULT_PRICE_LIST)
    check("warehouse", lambda v: _name(v, "Warehouse"))
    check("schedule_date", lambda v: _date(v, "Required-by date") or _default_date())
    check("schedule_dates", lambda v: _mapping(v, "Required-by dates", _date))
    check("suppliers", lambda v: _mapping(v, "Suppliers", _name))
    check("submit", lambda v: _bool(v, "Submit"))
    check("convert_to_stock_uom", lambda v: _bool(v, "Convert to stock UOM"))
    check(
        "implausible_quantities",
        lambda v: _choice(v or IMPLAUSIBLE_MEASURED, IMPLAUSIBLE_CHOICES, "Implausible quantities"),
    )
    if errors:
        detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
        raise ApplicationError(detail, extra={"errors": errors})
    return options


def _choice(value, choices, label: str) -> str:
    if value not in choices:
        raise ValidationError(f"{label} is one of: {', '.join(choices)}.")
    return value


def _name(value, label: str) -> str:
    return validators.clean_erpnext_name(value, label=label, required=False)


def _date(value, label: str) -> str:
    if value in (None, ""):
        return ""
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValidationError(f"{label}: {value!r} is not a date (YYYY-MM-DD).") from None


def _default_date() -> str:
    return (timezone.localdate() + dt.timedelta(days=DEFAULT_LEAD_DAYS)).isoformat()


def _mapping(value, label: str, clean) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"{label} must be an object.")
    out = {}
    for key, item in value.items():
        cleaned = clean(item, f"{label} ({key})")
        if cleaned:
            out[str(key)] = cleaned
    return out


def _bool(value, label: str) -> bool:
    table = {True: True, False: False, None: False, "true": True, "false": False, "": False}
    key = value.strip().lower() if isinstance(value, str) else value
    if isinstance(key, int | float) and not isinstance(key, bool):
        raise ValidationError(f"{label} must be true or false.")
    if key not in table:
        raise ValidationError(f"{label} must be true or false.")
    return table[key]
