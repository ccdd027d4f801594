"""Site URLs have one spelling; Frappe timestamps compare in time order."""

import pytest

from erp.normalise import ValueRejected, normalise_site_url, parse_modified, parse_percent


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://erp.example.com", "https://erp.example.com"),
        ("HTTPS://ERP.Example.COM/", "https://erp.example.com"),
        ("https://erp.example.com:443", "https://erp.example.com"),
        ("http://erp.example.com:80/", "http://erp.example.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://example.com/erp/", "https://example.com/erp"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_site_url_is_normalised(raw, expected):
    assert normalise_site_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-01-06 09:00:00.000001", "2025-01-06 09:00:00.000001"),
        ("2025-01-06 09:00:00", "2025-01-06 09:00:00.000000"),
        ("2025-01-06T09:00:00.5", "2025-01-06 09:00:00.500000"),
    ],
)
def test_modified_is_fixed_width(raw, expected):
    assert parse_modified(raw) == expected


def test_modified_strings_sort_in_time_order():
    stamps = ["2025-01-06 09:00:00", "2025-01-06 09:00:00.5", "2025-01-06 09:00:00.000002"]

    assert sorted(parse_modified(s) for s in stamps) == [
        "2025-01-06 09:00:00.000000",
        "2025-01-06 09:00:00.000002",
        "2025-01-06 09:00:00.500000",
    ]


@pytest.mark.parametrize("raw", [None, 5, "", "yesterday", "2025-13-01 00:00:00"])
def test_bad_modified_is_rejected(raw):
    with pytest.raises(ValueRejected):
        parse_modified(raw)


@pytest.mark.parametrize(("raw", "expected"), [(None, None), ("", None), (5, 5.0), ("12.5", 12.5)])
def test_percent(raw, expected):
    assert parse_percent(raw) == expected


@pytest.mark.parametrize("raw", [True, "x", float("nan"), [1]])
def test_bad_percent(raw):
    with pytest.raises(ValueRejected):
        parse_percent(raw)
