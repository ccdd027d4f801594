"""Reading what clients send: JSON bodies and whole numbers in URLs and query strings."""

import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 64
_WHOLE_NUMBER = re.compile(r"[0-9]+")
_TOO_DEEP = f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels"


def whole_number(raw, *, max_digits: int = 9) -> int | None:
    """`raw` as an int if it is at most `max_digits` ASCII digits, else None.

    `str.isdigit()` is no test for `int()`: it accepts "²", which int() refuses, and any length,
    which the database cannot hold.
    """
    text = str(raw).strip()
    if len(text) > max_digits or not _WHOLE_NUMBER.fullmatch(text):
        return None
    return int(text)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with every malformed body a 400 rather than an error deeper down.

    It also refuses nesting deeper than MAX_JSON_DEPTH (the json module gives up with a
    RecursionError near 1,000 levels) and strings with unpaired surrogates ("\\ud800"), which
    no database or cache can store.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_TOO_DEEP) from None
        check_json(data)
        return data


def check_json(data) -> None:
    """Raise ParseError for what JSONParser refuses in parsed JSON: nesting deeper than
    MAX_JSON_DEPTH, strings with unpaired surrogates. For bodies read without the parser."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ParseError(_TOO_DEEP)
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                if key is not None:
                    _check_text(key)
                pending.append((item, depth + 1))


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ParseError("JSON parse error - a string has an unpaired surrogate escape") from None
