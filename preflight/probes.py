"""Cheap, read-only questions to one ERPNext site, each asked once per preflight.

What really works on a real Frappe (v14-v16) for a user who may not read ``User`` or
``Role``: a read permission is proven by a list call of one row (``limit_page_length=1``);
any other permission is asked through ``frappe.client.has_permission`` with an empty
``docname``, which Frappe answers from the doctype's role permissions without writing
(frappe/client.py has_permission -> frappe.permissions.has_permission with no doc). When a
site does not answer that method, the permission is reported as not checked, never guessed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bom.erpnext import BomGateway
from integrations.erpnext.client import ErpnextClient
from integrations.erpnext.errors import (
    ErpnextError,
    ErpnextNotFound,
    ErpnextPermissionError,
    ErpnextValidationError,
)

METHOD_HAS_PERMISSION = "frappe.client.has_permission"  # frappe/client.py, whitelisted
METHOD_FISCAL_YEAR = "erpnext.accounts.utils.get_fiscal_year"  # 417 FiscalYearError if none


@dataclass(frozen=True)
class Answer:
    """One probe's outcome: ``ok`` True/False, or None when it could not be asked."""

    ok: bool | None
    detail: str = ""  # ERPNext's own words when it refused or failed
    value: Any = None


class BudgetExceeded(Exception):
    """The preflight's time budget is used up; the remaining checks are not asked."""


class Probe:
    """Asks one ERPNext site what the preflight needs, remembering every answer."""

    def __init__(self, client: ErpnextClient, *, budget_s: float | None = None) -> None:
        self.client = client
        self._deadline = time.monotonic() + budget_s if budget_s else None
        self._answers: dict[tuple, Answer] = {}

    @property
    def requests(self) -> int:
        """HTTP requests sent so far."""
        return self.client.requests_made

    def _ask(self, key: tuple, question) -> Answer:
        if key in self._answers:
            return self._answers[key]
        if self._deadline is not None and time.monotonic() > self._deadline:
            return Answer(None, "not asked: the check's time budget was used up")
        try:
            answer = question()
        except ErpnextError as exc:
            answer = Answer(None, _words(exc))
        self._answers[key] = answer
        return answer

    def can(self, doctype: str, op: str) -> Answer:
        """Whether the user may ``op`` ("read", "create", "write", "submit", ...) ``doctype``."""
        if op == "read":
            return self._ask((doctype, op), lambda: self._can_read(doctype))
        return self._ask((doctype, op), lambda: self._has_permission(doctype, op))

    def _can_read(self, doctype: str) -> Answer:
        try:
            rows = self.client.list_docs(doctype, fields=["name"], page_size=1)
            first = next(iter(rows), None)
        except ErpnextPermissionError as exc:
            return Answer(False, _words(exc) or f"No permission for {doctype}")
        except ErpnextNotFound as exc:
            return Answer(None, _words(exc) or f"DocType {doctype} not found")
        return Answer(True, value=first)

    def _has_permission(self, doctype: str, op: str) -> Answer:
        try:
            message = self.client.call_method(
                METHOD_HAS_PERMISSION,
                http_method="GET",
                doctype=doctype,
                docname="",
                perm_type=op,
            )
        except (ErpnextNotFound, ErpnextValidationError, ErpnextPermissionError) as exc:
            return Answer(None, f"{METHOD_HAS_PERMISSION} did not answer: {_words(exc)}")
        if not isinstance(message, dict) or not isinstance(message.get("has_permission"), bool):
            return Answer(None, f"{METHOD_HAS_PERMISSION} gave no answer")
        return Answer(message["has_permission"])

    def names(self, doctype: str, wanted: list[str], **extra_filters: Any) -> Answer:
        """Which of ``wanted`` exist (value: a set of names); False when unreadable."""

        def question() -> Answer:
            filters = [["name", "in", sorted(wanted)]]
            filters += [[k, "=", v] for k, v in extra_filters.items()]
            try:
                rows = list(
                    self.client.list_docs(
                        doctype, fields=["name"], filters=filters, page_size=len(wanted) + 1
                    )
                )
            except ErpnextPermissionError as exc:
                return Answer(False, _words(exc) or f"No permission for {doctype}")
            return Answer(True, value={str(row["name"]) for row in rows})

        if not wanted:
            return Answer(True, value=set())
        return self._ask(("names", doctype, tuple(sorted(wanted)), tuple(extra_filters)), question)

    def rows(self, doctype: str, *, fields: list[str], filters: Any = None, limit: int = 50):
        """Up to ``limit`` rows of a doctype (value: the rows); False when unreadable."""

        def question() -> Answer:
            try:
                found = []
                for row in self.client.list_docs(
                    doctype, fields=fields, filters=filters, page_size=limit
                ):
                    found.append(row)
                    if len(found) >= limit:
                        break
            except ErpnextPermissionError as exc:
                return Answer(False, _words(exc) or f"No permission for {doctype}")
            return Answer(True, value=found)

        key = ("rows", doctype, tuple(fields), repr(filters), limit)
        return self._ask(key, question)

    def logged_user(self) -> Answer:
        """Who the API key belongs to (frappe.auth.get_logged_user)."""
        return self._ask(("user",), lambda: Answer(True, value=self.client.get_logged_user()))

    def fiscal_year(self, *, company: str, date: str) -> Answer:
        """The Fiscal Year of ``date`` for ``company``; False (with ERPNext's words) if none."""

        def question() -> Answer:
            try:
                found = self.client.call_method(
                    METHOD_FISCAL_YEAR, http_method="GET", date=date, company=company
                )
            except ErpnextValidationError as exc:
                return Answer(False, _words(exc))
            name = found[0] if isinstance(found, list) and found else found
            return Answer(True, value=str(name))

        return self._ask(("fiscal_year", company, date), question)

    def exchange_rate(self, from_currency: str, to_currency: str) -> Answer:
        """ERPNext's exchange rate between two currencies; False when it has none (0)."""

        def question() -> Answer:
            value = BomGateway(self.client).exchange_rate(from_currency, to_currency)
            return Answer(value > 0, value=value)

        return self._ask(("rate", from_currency, to_currency), question)


def _words(exc: ErpnextError) -> str:
    return (exc.message or "").strip() or f"HTTP {exc.status}"
