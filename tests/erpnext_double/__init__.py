"""Loopback test doubles: FrappeDouble speaks Frappe's REST API; LoopbackDouble is the base."""

from tests.erpnext_double.frappe_double import DocTypeSpec, FrappeDouble, FrappeException
from tests.erpnext_double.loopback import Fault, LoopbackDouble, RecordedRequest, Reply

__all__ = [
    "DocTypeSpec",
    "Fault",
    "FrappeDouble",
    "FrappeException",
    "LoopbackDouble",
    "RecordedRequest",
    "Reply",
]
