"""The ERPNext double of the BOM tests: FrappeDouble with ERPNext's doctypes declared
(tests/erpnext_double/erpnext.py holds their rules and behaviour)."""

from __future__ import annotations

from typing import Any

from tests.erpnext_double import FrappeDouble
from tests.erpnext_double.erpnext import WHOLE_NUMBER_UOMS

__all__ = ["WHOLE_NUMBER_UOMS", "ErpnextStockDouble"]


class ErpnextStockDouble(FrappeDouble):
    """A FrappeDouble with ERPNext's Item, UOM, BOM (and buying) doctypes registered."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.register_stock_doctypes()

    def set_whole_number(self, uom: str, whole: bool = True) -> None:
        """Change a UOM's "must be whole number"."""
        with self._lock:
            self.patch_doc("UOM", uom, must_be_whole_number=int(whole))
