"""Writes and ERPNext actions of the BOM app (a package: rules, planning, the sync engine)."""

from .rules import (
    clean_rule_fields,
    mapping_rule_create,
    mapping_rule_delete,
    mapping_rule_update,
)
from .sync import (
    bom_coverage,
    bom_preview,
    bom_suggestions,
    bom_sync_handle,
    bom_sync_may_resume,
    bom_sync_resume,
    bom_sync_start,
    require_sync_role,
)
from .uoms import UomChoices, rule_uom_check, uom_choices

__all__ = [
    "UomChoices",
    "bom_coverage",
    "bom_preview",
    "bom_suggestions",
    "bom_sync_handle",
    "bom_sync_may_resume",
    "bom_sync_resume",
    "bom_sync_start",
    "clean_rule_fields",
    "mapping_rule_create",
    "mapping_rule_delete",
    "mapping_rule_update",
    "require_sync_role",
    "rule_uom_check",
    "uom_choices",
]
