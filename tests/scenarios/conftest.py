"""``erpnext_target``: the ERPNext the scenario tests run against.

Each scenario runs twice: against the double seeded like the recorded ERPNext 15 site (always),
and against a live ERPNext (marker ``live``; ``make test-live``) when ERPNEXT_LIVE_URL,
ERPNEXT_LIVE_KEY and ERPNEXT_LIVE_SECRET are set (ERPNEXT_LIVE_RESTRICTED_KEY/_SECRET add a
restricted user), else skipped with that reason. Documents get unique names and every one a
scenario makes is removed at teardown (submitted ones cancelled first).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from integrations.erpnext.client import ErpnextClient
from integrations.erpnext.errors import ErpnextError, ErpnextNotFound
from integrations.policy import outbound_policy
from openaec.accounts.services import integration_settings_update

LIVE = ("ERPNEXT_LIVE_URL", "ERPNEXT_LIVE_KEY", "ERPNEXT_LIVE_SECRET")
RESTRICTED = ("ERPNEXT_LIVE_RESTRICTED_KEY", "ERPNEXT_LIVE_RESTRICTED_SECRET")


@dataclass
class ErpnextTarget:
    """One ERPNext for a scenario: where it is, its API users, and what to clean up."""

    kind: str  # "double" or "live"
    url: str
    key: str
    secret: str
    restricted: tuple[str, str] | None = None
    double: object | None = None
    token: str = field(default_factory=lambda: secrets.token_hex(4).upper())
    made: list[tuple[str, str]] = field(default_factory=list)

    def unique(self, prefix: str) -> str:
        """A name no other run uses (live sites keep what earlier runs could not remove)."""
        return f"{prefix}-{self.token}"

    def client(self) -> ErpnextClient:
        """A client as the System Manager API user (to look, and to clean up)."""
        return ErpnextClient(self.url, self.key, self.secret, policy=outbound_policy())

    def connect(self, user, *, restricted: bool = False):
        """Point ``user``'s ERPNext settings at this target."""
        if restricted and self.restricted is None:
            pytest.skip("no restricted API user for this ERPNext (ERPNEXT_LIVE_RESTRICTED_*)")
        key, secret = self.restricted if restricted else (self.key, self.secret)
        integration_settings_update(
            user=user,
            changes={"erpnext_url": self.url, "erpnext_api_key": key, "erpnext_api_secret": secret},
        )
        user.refresh_from_db()
        return user

    def remember(self, doctype: str, name: str) -> None:
        """Remove this document at teardown."""
        self.made.append((doctype, name))

    def company(self) -> str:
        with self.client() as client:
            rows = list(client.list_docs("Company", fields=["name"], page_size=20))
        return str(sorted(r["name"] for r in rows)[0])

    def clean_up(self) -> list[str]:
        left = []
        with self.client() as client:
            for doctype, name in reversed(self.made):
                try:
                    doc = client.get_doc(doctype, name)
                    if doc.get("docstatus") == 1:
                        client.call_method("frappe.client.cancel", doctype=doctype, name=name)
                    client.delete_doc(doctype, name)
                except ErpnextNotFound:
                    continue
                except ErpnextError as exc:
                    left.append(f"{doctype} {name}: {exc.message}")
        return left


@pytest.fixture(params=["double", pytest.param("live", marks=pytest.mark.live)])
def erpnext_target(request, allow_private) -> Iterator[ErpnextTarget]:
    """The recorded site's double, or the live ERPNext of ERPNEXT_LIVE_*."""
    if request.param == "double":
        from tests.erpnext_double.erpnext import (
            ADMIN_KEY,
            ADMIN_SECRET,
            RESTRICTED_KEY,
            RESTRICTED_SECRET,
            recorded_site,
        )

        with recorded_site() as double:
            target = ErpnextTarget(
                "double",
                double.url,
                ADMIN_KEY,
                ADMIN_SECRET,
                (RESTRICTED_KEY, RESTRICTED_SECRET),
                double=double,
            )
            yield target
            assert target.clean_up() == []
        return
    missing = [name for name in LIVE if not os.environ.get(name)]
    if missing:
        pytest.skip(f"no live ERPNext: set {', '.join(missing)}")
    restricted = tuple(os.environ.get(name, "") for name in RESTRICTED)
    target = ErpnextTarget(
        "live",
        os.environ["ERPNEXT_LIVE_URL"].rstrip("/"),
        os.environ["ERPNEXT_LIVE_KEY"],
        os.environ["ERPNEXT_LIVE_SECRET"],
        restricted if all(restricted) else None,  # type: ignore[arg-type]
    )
    yield target
    left = target.clean_up()
    assert left == [], f"left behind on the live ERPNext: {left}"
