"""Validation of mapping rules and sync options, shared by the API, the HTML forms and the admin."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from .constants import MAX_NAME_LENGTH, MAX_PATTERN_LENGTH, MAX_WASTE_FACTOR, QUANTITY_KINDS

# The columns hold 18 digits, 6 after the point.
MAX_NUMBER = Decimal("1e12")
MAX_NUMBER_TEXT = "1,000,000,000,000"

# Frappe refuses these in document names (frappe.model.naming: "Name cannot contain...").
_NAME_FORBIDDEN = set("<>\"'\\") | {chr(c) for c in range(32)} | {"\x7f"}


def clean_pattern(value, *, label: str) -> str:
    """A key pattern: one line, * and ? as wildcards, blank meaning any (stored as "*")."""
    text = "" if value is None else str(value).strip()
    if len(text) > MAX_PATTERN_LENGTH:
        raise ValidationError(f"{label} is at most {MAX_PATTERN_LENGTH} characters.")
    if any(ch in text for ch in "\r\n\x00"):
        raise ValidationError(f"{label} must be a single line.")
    return text or "*"


def clean_erpnext_name(value, *, label: str, required: bool = True) -> str:
    """An ERPNext document name (Item code, UOM, Item Group, Company): exact, as a Link needs."""
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise ValidationError(f"{label} is required.")
        return ""
    if len(text) > MAX_NAME_LENGTH:
        raise ValidationError(f"{label} is at most {MAX_NAME_LENGTH} characters.")
    bad = sorted({ch for ch in text if ch in _NAME_FORBIDDEN})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        raise ValidationError(f"{label} cannot contain {shown}.")
    if "*" in text or "?" in text:
        raise ValidationError(f"{label} is an exact ERPNext name: no wildcards.")
    return text


def clean_quantity(value) -> str:
    """One of count, length, area, volume, weight."""
    text = "" if value is None else str(value).strip().lower()
    if text not in QUANTITY_KINDS:
        raise ValidationError(f"Quantity must be one of {', '.join(QUANTITY_KINDS)}.")
    return text


def clean_waste_factor(value) -> Decimal:
    """0 to 1: 0.05 adds 5 %."""
    number = _decimal(value, "Waste factor", default=Decimal(0))
    if number > MAX_WASTE_FACTOR:
        raise ValidationError(
            f"Waste factor is too large: at most {MAX_WASTE_FACTOR} (doubles the quantity); "
            "0.05 adds 5 %."
        )
    if number < 0:
        raise ValidationError(
            f"Waste factor is a fraction from 0 to {MAX_WASTE_FACTOR} (0.05 adds 5 %)."
        )
    return number.quantize(Decimal("0.0001"))


def clean_unit_factor(value) -> Decimal:
    """A positive multiplier from the SI quantity to the UOM."""
    number = _decimal(value, "Unit factor", default=Decimal(1))
    if number <= 0:
        raise ValidationError("Unit factor must be a positive number (1 keeps the SI quantity).")
    if number >= MAX_NUMBER:
        raise ValidationError(f"Unit factor is too large: it must be below {MAX_NUMBER_TEXT}.")
    if number != number.quantize(Decimal("0.000001")):
        raise ValidationError("Unit factor has at most 6 decimals.")
    return number


def clean_rate(value) -> Decimal | None:
    """An optional rate, 0 or more."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = _decimal(value, "Rate", default=None)
    if number < 0:
        raise ValidationError("Rate must be 0 or more.")
    if number >= MAX_NUMBER:
        raise ValidationError(f"Rate is too large: it must be below {MAX_NUMBER_TEXT}.")
    return number.quantize(Decimal("0.000001"))


def _decimal(value, label: str, *, default) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise ValidationError(f"{label} is required.")
        return default
    if isinstance(value, bool):
        raise ValidationError(f"{label} must be a number.")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{label} must be a number.") from None
    if number.is_infinite() and number > 0:  # a JSON number beyond float's range is inf
        raise ValidationError(f"{label} is too large.")
    if not number.is_finite():
        raise ValidationError(f"{label} must be a number.")
    return number
