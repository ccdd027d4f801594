"""Copy the recorded calls of the real ERPNext 15 site into this folder, smaller.

    python tests/erpnext_double/recordings/strip.py ../shared/erpnext-real

Keeps every call and every key; replaces what the conformance test does not compare:
the ``exc`` tracebacks and ``_debug_messages`` (kept as the key, with "<stripped>"), ``text``
cut to 200 characters, and any list longer than 5 items in a success body cut to 5 (the
shape of its items stays; the 150-row order and the 200-doc insert_many are long).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
FILES = ("recorded-calls-1.json", "recorded-calls-2.json", "recorded-calls-3.json")
LIST_LIMIT = 5


def _shrink(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shrink(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shrink(v) for v in value[:LIST_LIMIT]]
    return value


def strip_call(call: dict[str, Any]) -> dict[str, Any]:
    """One recorded call, without tracebacks and long lists."""
    out = dict(call)
    body = out.get("json")
    if isinstance(body, dict):
        body = {k: "<stripped>" if k in ("exc", "_debug_messages") else v for k, v in body.items()}
        if "_server_messages" not in body:
            body = _shrink(body)
        else:  # keep every message; shrink only the data
            body = {k: v if k == "_server_messages" else _shrink(v) for k, v in body.items()}
    out["json"] = body
    if isinstance(out.get("text"), str):
        out["text"] = out["text"][:200]
    return out


def main(source: str) -> None:
    for name in FILES:
        calls = json.loads((Path(source) / name).read_text())
        stripped = [strip_call(c) for c in calls]
        (HERE / name).write_text(json.dumps(stripped, indent=0, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/erpnext-real")
