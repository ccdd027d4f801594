"""Writes of mapping rules: project rules (project editors) and shared defaults (admins)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from openaec.exceptions import AccessDeniedError, ApplicationError
from projects.models import Project
from projects.permissions import require_project_writer

from .. import validators
from ..models import MappingRule
from .uoms import rule_uom_check

RULE_FIELDS = (
    "ifc_class",
    "type_name",
    "material",
    "item_code",
    "item_name",
    "quantity",
    "uom",
    "waste_factor",
    "unit_factor",
    "rate",
    "priority",
    "supplier",
)
MAX_PRIORITY = 1_000_000

_CLEANERS = {
    "ifc_class": lambda v: validators.clean_pattern(v, label="IFC class"),
    "type_name": lambda v: validators.clean_pattern(v, label="Type name"),
    "material": lambda v: validators.clean_pattern(v, label="Material"),
    "item_code": lambda v: validators.clean_erpnext_name(v, label="Item code"),
    "item_name": lambda v: validators.clean_erpnext_name(v, label="Item name", required=False),
    "quantity": validators.clean_quantity,
    "uom": lambda v: validators.clean_erpnext_name(v, label="UOM"),
    "waste_factor": validators.clean_waste_factor,
    "unit_factor": validators.clean_unit_factor,
    "rate": validators.clean_rate,
    "priority": lambda v: _clean_priority(v),
    "supplier": lambda v: validators.clean_erpnext_name(v, label="Supplier", required=False),
}


def _clean_priority(value) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ValidationError("Priority must be a whole number.")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError("Priority must be a whole number.") from None
    if abs(number) > MAX_PRIORITY:
        raise ValidationError(f"Priority is between -{MAX_PRIORITY} and {MAX_PRIORITY}.")
    return number


def clean_rule_fields(data: dict, *, partial: bool = False) -> dict:
    """Validate rule fields (the one box every door uses); a 400 names each bad field."""
    unknown = sorted(set(data) - set(RULE_FIELDS))
    if unknown:
        raise ApplicationError(f"Unknown field(s): {', '.join(unknown)}.")
    required = () if partial else ("item_code", "quantity", "uom")
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    for name in RULE_FIELDS:
        if name not in data:
            if name in required:
                errors[name] = ["This field is required."]
            continue
        try:
            cleaned[name] = _CLEANERS[name](data[name])
        except ValidationError as exc:
            errors[name] = list(exc.messages)
    if errors:
        detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
        raise ApplicationError(detail, extra={"errors": errors})
    return cleaned


def _check_may_write(*, user, project: Project | None) -> None:
    if project is None and not user.is_admin:
        raise AccessDeniedError("Access denied: only administrators change the shared defaults.")
    if project is not None:
        require_project_writer(user=user, project=project, doing="changing mapping rules")


def mapping_rule_create(*, user, project: Project | None, data: dict) -> MappingRule:
    """Add a rule to the project, or a shared default when ``project`` is None.

    The UOM is checked against the user's ERPNext where it can be asked (rule_uom_check).
    """
    _check_may_write(user=user, project=project)
    fields = clean_rule_fields(data)
    fields["uom"] = rule_uom_check(user=user, project=project, uom=fields["uom"])
    with transaction.atomic():
        return MappingRule.objects.create(project=project, created_by=user, **fields)


def mapping_rule_update(*, user, rule: MappingRule, data: dict) -> MappingRule:
    """Change some fields of a rule (the others stay)."""
    _check_may_write(user=user, project=rule.project)
    fields = clean_rule_fields(data, partial=True)
    if "uom" in fields and fields["uom"] != rule.uom:
        fields["uom"] = rule_uom_check(user=user, project=rule.project, uom=fields["uom"])
    with transaction.atomic():
        for name, value in fields.items():
            setattr(rule, name, value)
        rule.save()
    return rule


def mapping_rule_delete(*, user, rule: MappingRule) -> None:
    """Remove a rule."""
    _check_may_write(user=user, project=rule.project)
    with transaction.atomic():
        rule.delete()
