"""IFC quantity takeoff with IfcOpenShell: pure Python, no Django, no ERPNext."""

from .aggregate import TakeoffLine, aggregate
from .diff import QuantityDelta, TakeoffLineDiff, diff
from .errors import (
    ArchiveTooLargeError,
    EmptyModelError,
    NotIfcError,
    TakeoffError,
    TruncatedIfcError,
    UnsupportedSchemaError,
)
from .model_file import ModelInfo, read_model_info
from .takeoff import ElementQuantity, Takeoff, take_off
from .units import UnitScale

__all__ = [
    "ArchiveTooLargeError",
    "ElementQuantity",
    "EmptyModelError",
    "ModelInfo",
    "NotIfcError",
    "QuantityDelta",
    "Takeoff",
    "TakeoffError",
    "TakeoffLine",
    "TakeoffLineDiff",
    "TruncatedIfcError",
    "UnitScale",
    "UnsupportedSchemaError",
    "aggregate",
    "diff",
    "read_model_info",
    "take_off",
]
