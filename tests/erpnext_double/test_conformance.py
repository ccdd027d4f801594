"""The double against the real site: replay every recorded call, in order, on a double seeded
like the recorded ERPNext 15 site, and compare what it answers with what the site answered.

The recordings (recordings/*.json, copied by recordings/strip.py from the real site's
recorded-calls-*.json) are replayed into ONE double in their order, as they were made on one
site. Every call is sent (so later calls find what earlier ones made); the calls the double
supports are compared on:

* the HTTP status and ``exc_type``;
* the human messages decoded from ``_server_messages`` (generated names mapped, links'
  addresses and Frappe's exception ids left out), and ``_error_message``;
* the shape: the top-level keys; for documents and rows, every key the double answers exists
  in the recording with the same JSON type (the double models fewer fields than ERPNext's
  ~70 per document, never other ones); a list asked for with ``fields`` has the same keys.

Generated names (PROJ-0053 on the site may be PROJ-0004 here) are mapped from the recorded
answer to the double's as they appear, and replaced in later paths and bodies. The calls
the double does not support are listed in UNSUPPORTED with the reason, reported as skips.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from tests.erpnext_double.erpnext import (
    ADMIN_KEY,
    ADMIN_SECRET,
    RESTRICTED_KEY,
    RESTRICTED_SECRET,
    recorded_site,
)

RECORDINGS = Path(__file__).parent / "recordings"
FILES = ("recorded-calls-1.json", "recorded-calls-2.json", "recorded-calls-3.json")

# What the double does not do (yet), by label (its first word) or family ("B8."): these
# calls are still sent, in order, but not compared.
UNSUPPORTED: dict[str, str] = {
    "B11": "unknown fields are kept (the double does not list every field of a doctype)",
    "B12": "unknown fields are kept (the double does not list every field of a doctype)",
    "D9": "unknown fields are kept (the double does not list every field of a doctype)",
    "D10": "unknown fields are kept (the double does not list every field of a doctype)",
    "A3.11": "unknown fields are kept (the double does not list every field of a doctype)",
    "L3": "the v2 API (/api/v2/document)",
    "L4": "the v2 API (/api/v2/document)",
    "L5": "the v2 API (/api/v2/document)",
    "L6": "the v2 API (/api/v2/document)",
    "A1.19": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A1.20": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A3.57": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A3.58": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A3.59": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A3.63": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A3.66": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A3.69": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A3.70": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A3.71": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A3.72": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A3.73": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A3.74": "child doctypes through /api/resource or get_list (parent=...), dotted dict filters, aggregates",
    "A3.67": "frappe.desk.reportview",
    "A3.68": "frappe.desk.reportview",
    "A3.76": "frappe.desk.reportview",
    "A2.15": "get_item_details / apply_price_list",
    "A2.16": "get_item_details / apply_price_list",
    "A2.17": "get_item_details / apply_price_list",
    "A2.18": "get_item_details / apply_price_list",
    "A2.19": "get_item_details / apply_price_list",
    "A2.20": "get_item_details / apply_price_list",
    "A2.21": "get_item_details / apply_price_list",
    "A2.22": "get_item_details / apply_price_list",
    "A4.": "Custom Field (and the custom field bim_ref)",
    "A3.12": "Custom Field (and the custom field bim_ref)",
    "A3.13": "Custom Field (and the custom field bim_ref)",
    "A3.14": "Custom Field (and the custom field bim_ref)",
    "A3.16": "Custom Field (and the custom field bim_ref)",
    "A3.44": "Custom Field (and the custom field bim_ref)",
    "A3.79": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.5": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.7": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.8": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.9": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.9b": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.10": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.11": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.12": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.13": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.14": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.16": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.17": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.18": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.20": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "A5.21": "the mapping methods (make_purchase_order/receipt/invoice) and per_ordered on Material Request",
    "B7.": "Purchase Receipt, mapped Purchase Invoices, Stock Entry, Timesheet, project costs",
    "B8.2": "Budget Variance Report by month or quarter (the double answers Yearly)",
    "B8.3": "Budget Variance Report by month or quarter (the double answers Yearly)",
    "B8.8": "reports (frappe.desk.query_report.run)",
    "B8.9": "reports (frappe.desk.query_report.run)",
    "B8.10": "reports (frappe.desk.query_report.run)",
    "B8.11": "reports (frappe.desk.query_report.run)",
    "B8.12": "reports (frappe.desk.query_report.run)",
    "B8.13": "reports (frappe.desk.query_report.run)",
    "B8.14": "reports (frappe.desk.query_report.run)",
    "B8.15": "reports (frappe.desk.query_report.run)",
    "B9.": "GL Entry / Stock Ledger Entry",
    "B10.9": "Buying Settings / Stock Settings / Currency",
    "B10.10": "Buying Settings / Stock Settings / Currency",
    "B10.11": "Buying Settings / Stock Settings / Currency",
    "B10.12": "Buying Settings / Stock Settings / Currency",
}


def _calls() -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    for name in FILES:
        calls.extend(json.loads((RECORDINGS / name).read_text()))
    return calls


def _auth_header(auth: str | None) -> dict[str, str]:
    if auth is None:
        return {}
    if auth == "admin":
        return {"Authorization": f"token {ADMIN_KEY}:{ADMIN_SECRET}"}
    if auth == "restricted":
        return {"Authorization": f"token {RESTRICTED_KEY}:{RESTRICTED_SECRET}"}
    if auth.startswith("Basic "):  # base64 of the site's own key:secret
        token = base64.b64encode(f"{ADMIN_KEY}:{ADMIN_SECRET}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {"Authorization": auth.replace("<api-key>", ADMIN_KEY)}


def _reason(label: str) -> str | None:
    """Why the double does not support a call: by its label's first word, exactly, or by a
    family (a key ending in ".", e.g. "B8." for every report call)."""
    key = label.split(" ")[0]
    if key in UNSUPPORTED:
        return UNSUPPORTED[key]
    for family, reason in UNSUPPORTED.items():
        if family.endswith(".") and key.startswith(family):
            return reason
    return None


# ---------------------------------------------------------------------- name mapping


class Names:
    """Recorded generated names -> the double's, learnt from the answers."""

    PATTERN = re.compile(
        r"^(PROJ-\d+|PUR-ORD-\d{4}-\d+(-\d+)?|MAT-MR-\d{4}-\d+|BUDGET-\d{4}-\d+"
        r"|ACC-PINV-\d{4}-\d+(-\d+)?|BOM-.+-\d{3}|[0-9a-z]{10})$"
    )

    def __init__(self) -> None:
        self.forward: dict[str, str] = {}

    def learn(self, recorded: Any, got: Any) -> None:
        if isinstance(recorded, dict) and isinstance(got, dict):
            # "modified" too: a later frappe.client.submit sends the doc as it was read.
            stamp, my_stamp = recorded.get("modified"), got.get("modified")
            if isinstance(stamp, str) and isinstance(my_stamp, str) and stamp != my_stamp:
                self.forward[stamp] = my_stamp
            name, mine = recorded.get("name"), got.get("name")
            named = isinstance(name, str) and isinstance(mine, str) and name != mine
            if named and self.PATTERN.match(name):
                self.forward[name] = mine
            for key in ("data", "message"):
                if key in recorded and key in got:
                    self.learn(recorded[key], got[key])
        elif isinstance(recorded, list) and isinstance(got, list):
            for a, b in zip(recorded, got, strict=False):
                if isinstance(a, str) and isinstance(b, str) and self.PATTERN.match(a) and a != b:
                    self.forward[a] = b
                else:
                    self.learn(a, b)

    def apply(self, text: str) -> str:
        for old in sorted(self.forward, key=len, reverse=True):
            new = self.forward[old]
            text = re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-]|-\d)", new, text)
            text = text.replace(quote(old), quote(new))
        return text

    def back(self, text: str) -> str:
        for old, new in sorted(self.forward.items(), key=lambda kv: -len(kv[1])):
            text = re.sub(rf"(?<![\w-]){re.escape(new)}(?![\w-]|-\d)", old, text)
        return text


# ---------------------------------------------------------------------- comparing


def _messages(body: Any) -> list[str]:
    if not isinstance(body, dict) or "_server_messages" not in body:
        return []
    out = []
    for raw in json.loads(body["_server_messages"]):
        entry = json.loads(raw)
        message = re.sub(r"href='[^']*'|href=\"[^\"]*\"", "href", str(entry.get("message", "")))
        message = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+", "<time>", message)
        out.append(f"{entry.get('title')}: {message}")
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _shape_errors(recorded: Any, got: Any, where: str, exact: bool) -> list[str]:
    if _kind(recorded) != _kind(got):
        if _kind(recorded) == "null" or _kind(got) == "null":
            return []  # a field null on one site and set on the other is data, not shape
        return [f"{where}: {_kind(got)} where the site has {_kind(recorded)}"]
    errors: list[str] = []
    if isinstance(recorded, dict):
        extra = {k for k in got if not k.startswith("__")} - set(recorded)
        if extra:
            errors.append(f"{where}: keys the site does not send: {sorted(extra)}")
        if exact:
            missing = set(recorded) - set(got)
            if missing:
                errors.append(f"{where}: keys missing: {sorted(missing)}")
        for key in set(recorded) & set(got):
            errors.extend(_shape_errors(recorded[key], got[key], f"{where}.{key}", exact))
    elif isinstance(recorded, list) and recorded and got:
        errors.extend(_shape_errors(recorded[0], got[0], f"{where}[0]", exact))
    return errors


def _compare(call: dict[str, Any], status: int, body: Any, names: Names) -> list[str]:
    errors = []
    if status != call["status"]:
        errors.append(f"status {status}, the site {call['status']}")
    recorded = call["json"]
    if not isinstance(recorded, dict) or not isinstance(body, dict):
        if _kind(recorded) != _kind(body):
            errors.append(f"body {_kind(body)}, the site {_kind(recorded)}")
        return errors
    if recorded.get("exc_type") != body.get("exc_type"):
        errors.append(f"exc_type {body.get('exc_type')}, the site {recorded.get('exc_type')}")
    mine = [names.back(m) for m in _messages(body)]
    if mine != _messages(recorded):
        errors.append(f"messages {mine}, the site {_messages(recorded)}")
    if recorded.get("_error_message") != body.get("_error_message"):
        errors.append(f"_error_message {body.get('_error_message')!r}")
    top_mine = set(body) - {"_debug_messages"}
    top_site = set(recorded) - {"_debug_messages"}
    if top_mine != top_site:
        errors.append(f"top-level keys {sorted(top_mine)}, the site {sorted(top_site)}")
    asked_fields = "fields=" in call["path"] or "fields" in str(call.get("request_body") or "")
    for key in ("data", "message"):
        if key not in recorded or key not in body:
            continue
        exact = asked_fields and isinstance(recorded[key], list)
        errors.extend(_shape_errors(recorded[key], body[key], key, exact))
    return errors


# ---------------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def replay() -> dict[str, list[str]]:
    """Send every recorded call to one double; per label, what differs (empty: agrees)."""
    results: dict[str, list[str]] = {}
    names = Names()
    with recorded_site() as double:
        session = requests.Session()
        for call in _calls():
            path = names.apply(call["path"])
            headers = {"Accept": "application/json", **_auth_header(call["auth"])}
            kwargs: dict[str, Any] = {}
            body = call["request_body"]
            if body is not None:
                if isinstance(body, str):  # the invalid JSON body (D12), sent as is
                    headers["Content-Type"] = "application/json"
                    kwargs["data"] = body.encode()
                elif set(body) in ({"docs"}, {"data"}) and isinstance(
                    next(iter(body.values())), str
                ):  # a JSON string in a form field (J5, L7)
                    kwargs["data"] = {k: names.apply(v) for k, v in body.items()}
                else:
                    kwargs["json"] = json.loads(names.apply(json.dumps(body)))
            response = session.request(
                call["method"], double.url + path, headers=headers, timeout=30, **kwargs
            )
            try:
                got = response.json()
            except ValueError:
                got = response.text or None
            if isinstance(call["json"], dict) and isinstance(got, dict):
                names.learn(call["json"], got)
            results[call["label"]] = _compare(call, response.status_code, got, names)
    return results


CALLS = _calls()


@pytest.mark.parametrize("label", [c["label"] for c in CALLS])
def test_the_double_answers_like_the_recorded_site(replay, label):
    reason = _reason(label)
    if reason is not None:
        pytest.skip(f"not supported by the double: {reason}")
    assert replay[label] == [], f"{label}: " + "; ".join(replay[label])


def test_every_recorded_call_is_replayed():
    assert len(CALLS) == 458
    assert len({c["label"] for c in CALLS}) == len(CALLS)
