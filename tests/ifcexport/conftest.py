"""Fixtures of the IFC cost export: those of purchase orders (the recorded site, a linked
project with Items, prices and rules)."""

from tests.orders.conftest import (  # noqa: F401 - fixtures
    buyer,
    erp_project,
    linked,
    masters,
    ready,
    restricted,
    rules,
    site,
    version,
)
