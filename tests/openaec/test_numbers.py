"""openaec.numbers: numbers as people type them in page forms."""

from decimal import Decimal

import pytest

from openaec.numbers import LocalDecimalField, NumberInputError, parse_decimal


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("350,00", "350.00"),
        ("350.00", "350.00"),
        ("1.234,5", "1234.5"),
        ("1,234.5", "1234.5"),
        ("1 234,5", "1234.5"),
        ("1\u00a0234,5", "1234.5"),
        ("1'234.50", "1234.50"),
        ("1.234.567", "1234567"),
        ("1,234,567", "1234567"),
        ("0,125", "0.125"),
        ("1.234", "1.234"),
        ("-2,5", "-2.5"),
        ("1e23", "1E+23"),
        ("7", "7"),
    ],
)
def test_parse_decimal_reads_both_conventions(text, number):
    assert parse_decimal(text) == Decimal(number)


@pytest.mark.parametrize("text", ["1,234", "12,500"])
def test_a_lone_comma_before_three_digits_is_refused_naming_both_readings(text):
    with pytest.raises(NumberInputError) as exc:
        parse_decimal(text)
    whole, fraction = text.split(",")
    assert f"{whole}{fraction}" in str(exc.value) and f"{whole}.{fraction}" in str(exc.value)


@pytest.mark.parametrize("text", ["abc", "1.2,3,4", "1,2.3.4", "nan", "inf", "1..2", "12,34,5"])
def test_parse_decimal_refuses_what_is_not_a_number(text):
    with pytest.raises(NumberInputError):
        parse_decimal(text)


def test_percent_field_reads_percent_and_shows_percent():
    field = LocalDecimalField(percent=True, required=False)
    assert field.clean("5 %") == Decimal("0.05")
    assert field.clean("2,5%") == Decimal("0.025")
    assert field.clean("") is None
    assert field.prepare_value(Decimal("0.0500")) == "5"
