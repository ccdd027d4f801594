"""Numbers as people type them in page forms: "350,00", "1.234,5", "1 234.5", "5 %".

The API takes JSON numbers; only the HTML forms read text. Either mark may be the decimal
separator: with both present the last one is ("1.234,5", "1,234.5"); a dot alone is the
decimal point, as on the rest of the pages; a comma alone is the decimal comma ("350,00"),
except "1,234" (three digits after a non-zero whole part), which is 1234 to an English reader
and 1.234 to a German one: it is refused, naming both readings.
"""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

_GROUPING = str.maketrans("", "", " \u00a0\u202f'\u2019")  # spaces, no-break spaces, Swiss 1'234
_GROUPED = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")


class NumberInputError(ValueError):
    """Text that is not a number; the message says what to type instead."""


def parse_decimal(text: str) -> Decimal:
    """The Decimal a person meant by ``text``; NumberInputError when it is not one."""
    raw = str(text).strip().translate(_GROUPING)
    sign = ""
    if raw[:1] in "+-":
        sign, raw = raw[0], raw[1:]
    mantissa, exponent = _split_exponent(raw)
    commas, dots = mantissa.count(","), mantissa.count(".")
    if commas and dots:
        decimal_mark = "," if mantissa.rfind(",") > mantissa.rfind(".") else "."
        whole, _, fraction = mantissa.rpartition(decimal_mark)
        grouping = "." if decimal_mark == "," else ","
        if decimal_mark in whole or not _GROUPED.match(whole.replace(grouping, ",") or "x"):
            raise NumberInputError(f"{text!s} mixes '.' and ',' in a way that is not a number.")
        mantissa = whole.replace(grouping, "") + "." + fraction
    elif commas + dots > 1:
        if not _GROUPED.match(mantissa):  # 1.234.567 or 1,234,567: grouping only
            raise NumberInputError(f"{text!s} is not a number.")
        mantissa = mantissa.replace(",", "").replace(".", "")
    elif commas == 1:
        whole, _, fraction = mantissa.partition(",")
        if len(fraction) == 3 and whole.lstrip("0") and not exponent:
            plain = f"{whole}{fraction}"
            raise NumberInputError(
                f"{text!s} could mean {plain} or {whole}.{fraction}: "
                f"type {plain} or {whole}.{fraction}0."
            )
        mantissa = f"{whole}.{fraction}"
    try:
        number = Decimal(sign + mantissa + exponent)
    except InvalidOperation:
        raise NumberInputError(f"{text!s} is not a number.") from None
    if not number.is_finite():
        raise NumberInputError(f"{text!s} is not a number.")
    return number


def _split_exponent(raw: str) -> tuple[str, str]:
    match = re.match(r"^(.*?)([eE][+-]?\d+)?$", raw)
    return match.group(1), match.group(2) or ""


class LocalDecimalField(forms.CharField):
    """A number typed either way (decimal comma or point); ``percent`` reads "5 %" as 0.05."""

    def __init__(self, *, percent: bool = False, **kwargs) -> None:
        self.percent = percent
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value) -> Decimal | None:
        text = super().to_python(value)
        if self.percent:
            text = text.removesuffix("%").strip()
        if text in self.empty_values:
            return None
        try:
            number = parse_decimal(text)
        except NumberInputError as exc:
            raise ValidationError(str(exc), code="invalid") from exc
        return number / 100 if self.percent else number

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            if self.percent:
                value = value * 100
            return format_decimal(value)
        return value


def format_decimal(value: Decimal) -> str:
    """A Decimal without trailing zeros or exponent: Decimal("5.000") -> "5", 1E+3 -> "1000"."""
    return format(value.normalize(), "f")
