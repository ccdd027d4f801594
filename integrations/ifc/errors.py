"""Typed takeoff errors, each with a sentence a cost engineer can act on."""

from __future__ import annotations


class TakeoffError(Exception):
    """A model could not be taken off; `reason` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotIfcError(TakeoffError):
    """The file is not an IFC (STEP) file or an .ifczip holding one."""


class TruncatedIfcError(TakeoffError):
    """The file starts like IFC but is cut short or cannot be parsed."""


class UnsupportedSchemaError(TakeoffError):
    """The file declares a schema other than IFC2X3, IFC4 or IFC4X3."""


class EmptyModelError(TakeoffError):
    """The model holds no building elements to measure."""


class ArchiveTooLargeError(TakeoffError):
    """An .ifczip member expands past the allowed size (zip bomb guard)."""
