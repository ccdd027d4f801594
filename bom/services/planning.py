"""From a project, a model version and the user's options to the Target of a sync."""

from django.core.exceptions import ValidationError

from openaec.exceptions import ApplicationError
from projects.models import ModelVersion, Project

from .. import selectors, validators
from ..constants import (
    ASSEMBLY_ITEM_PREFIX,
    DEFAULT_ITEM_GROUP,
    DEFAULT_PRICE_LIST,
    IMPLAUSIBLE_CHOICES,
    IMPLAUSIBLE_EXPORTED,
    IMPLAUSIBLE_MEASURED,
    MAX_NAME_LENGTH,
)
from ..links import ProjectLink
from ..mapping import KEY_FIELDS, BomLine, Line, MappingResult, Source, map_lines
from .engine import Target

OPTION_FIELDS = (
    "create_missing_items",
    "submit",
    "convert_to_stock_uom",
    "price_list",
    "assembly_item",
    "item_group",
    "company",
    "currency",
    "implausible_quantities",
)
_BOOLEAN = {True: True, False: False, "true": True, "false": False, "1": True, "0": False}


def clean_options(data: dict) -> dict:
    """Sync options (the one box for API and form): two switches and optional ERPNext names."""
    unknown = sorted(set(data) - set(OPTION_FIELDS))
    if unknown:
        raise ApplicationError(f"Unknown option(s): {', '.join(unknown)}.")
    errors: dict[str, list[str]] = {}
    options: dict = {}
    for name in ("create_missing_items", "submit", "convert_to_stock_uom"):
        raw = data.get(name, False)
        key = raw.strip().lower() if isinstance(raw, str) else raw
        if not isinstance(key, bool | str) or key not in _BOOLEAN:
            errors[name] = ["Must be true or false."]
        else:
            options[name] = _BOOLEAN[key]
    options["implausible_quantities"] = data.get("implausible_quantities") or IMPLAUSIBLE_MEASURED
    if options["implausible_quantities"] not in IMPLAUSIBLE_CHOICES:
        errors["implausible_quantities"] = [f"Must be one of: {', '.join(IMPLAUSIBLE_CHOICES)}."]
    labels = {
        "assembly_item": "Assembly item",
        "item_group": "Item group",
        "company": "Company",
        "currency": "Currency",
        "price_list": "Price list",
    }
    for name, label in labels.items():
        try:
            options[name] = validators.clean_erpnext_name(
                data.get(name), label=label, required=False
            )
        except ValidationError as exc:
            errors[name] = list(exc.messages)
    if errors:
        detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
        raise ApplicationError(detail, extra={"errors": errors})
    return options


def default_assembly_item(project: Project) -> str:
    """The item a project's BOM is for, unless the user names one: BIM-<slug>."""
    return f"{ASSEMBLY_ITEM_PREFIX}{project.slug}"[:MAX_NAME_LENGTH]


def mapping_for(
    *,
    project: Project,
    version: ModelVersion,
    lines: list[Line] | None = None,
    implausible: str = IMPLAUSIBLE_MEASURED,
) -> MappingResult:
    """The version's takeoff lines (or ``lines`` read already) through the project's rules;
    ``implausible`` picks the value of a flagged exported volume or area (see constants)."""
    if lines is None:
        lines = selectors.takeoff_mapping_lines(version=version, implausible=implausible)
    return map_lines(selectors.mapping_rules_for(project=project), lines)


def coverage(*, lines: list[Line], mapping: MappingResult) -> dict:
    """How much of the takeoff the rules map: lines and volume (m³), mapped and in all."""
    volume = sum(line.volume or 0.0 for line in lines)
    left = sum(item.quantities.get("volume") or 0.0 for item in mapping.unmapped)
    mapped_lines = len(lines) - len(mapping.unmapped)
    return {
        "lines": mapped_lines,
        "lines_total": len(lines),
        "lines_percent": percent(mapped_lines, len(lines)),
        "lines_unmapped": len(mapping.unmapped),
        "volume": round(volume - left, 3),
        "volume_total": round(volume, 3),
        "volume_percent": percent(volume - left, volume),
    }


def percent(part: float, whole: float) -> float | None:
    """part as a percentage of whole, to one decimal; None for nothing of nothing."""
    return round(100 * part / whole, 1) if whole else None


IMPLAUSIBLE_KINDS = (
    ("volume", "implausible_count", "m³"),
    ("area", "implausible_area_count", "m²"),
)


def implausible_notes(
    *, version: ModelVersion, mapping: MappingResult, choice: str, storey: str | None = None
) -> list[dict]:
    """Per takeoff line and quantity (volume, area) with a flagged exported value that a BOM
    line uses: both values, the item it goes to and which value the BOM takes. Lines that no
    rule maps by that quantity do not change the BOM and are left out."""
    used_by = {
        (_key_tuple(source.key), source.quantity): line.item_code
        for line in mapping.lines
        for source in line.sources
    }
    notes = []
    for line in selectors.takeoff_implausible_lines(version=version, storey=storey):
        key = {name: line[name] for name in KEY_FIELDS}
        for quantity, flagged, unit in IMPLAUSIBLE_KINDS:
            item_code = used_by.get((_key_tuple(key), quantity))
            if not line[flagged] or item_code is None:
                continue
            notes.append(
                {
                    **key,
                    "quantity": quantity,
                    "unit": unit,
                    "elements": line[flagged],
                    "exported": line[quantity],
                    "measured": line[f"measured_{quantity}"],
                    "used": choice,
                    "item_code": item_code,
                }
            )
    return notes


def implausible_warning(notes: list[dict], choice: str) -> str | None:
    """One sentence for the preview's warnings: what is flagged and which value is used."""
    if not notes:
        return None
    other = IMPLAUSIBLE_EXPORTED if choice == IMPLAUSIBLE_MEASURED else IMPLAUSIBLE_MEASURED
    listed = "; ".join(
        f"{note['item_code']} from {note['ifc_class'] or '—'} / {note['type_name'] or '—'} / "
        f"{note['material'] or '—'}: {note['exported']:,.3f} {note['unit']} exported, "
        f"{note['measured']:,.3f} {note['unit']} measured"
        for note in notes[:10]
    ) + ("; ..." if len(notes) > 10 else "")
    return (
        f"{len(notes)} BOM source line(s) hold an exported volume or area larger than the "
        f"elements' bodies allow. This BOM uses the {choice} values (choose "
        f"implausible_quantities={other} for the {other} ones): {listed}."
    )


def _key_tuple(key: dict) -> tuple:
    return tuple(key.get(name) for name in KEY_FIELDS)


def plan_as_json(result: MappingResult) -> dict:
    """The mapping, stored with a run so a resume writes exactly what was planned."""
    return {
        "lines": [
            {
                "item_code": line.item_code,
                "uom": line.uom,
                "qty": line.qty,
                "rate": line.rate,
                "item_name": line.item_name,
                "sources": [
                    {
                        **source.key,
                        "rule_id": source.rule_id,
                        "quantity": source.quantity,
                        "base_qty": source.base,
                        "qty": source.qty,
                        "si_qty": source.si_qty,
                    }
                    for source in line.sources
                ],
            }
            for line in result.lines
        ],
        "unmapped": [
            {
                **item.key,
                "reason": item.reason,
                "rule_id": item.rule_id,
                "element_count": item.element_count,
                **item.quantities,
            }
            for item in result.unmapped
        ],
    }


def lines_from_plan(plan: dict) -> tuple[BomLine, ...]:
    """The BOM lines of a stored plan."""
    return tuple(
        BomLine(
            item_code=line["item_code"],
            uom=line["uom"],
            qty=float(line["qty"]),
            rate=line.get("rate"),
            item_name=line.get("item_name") or "",
            sources=[
                Source(
                    key={k: s.get(k) for k in ("ifc_class", "type_name", "material")},
                    rule_id=s.get("rule_id"),
                    quantity=s["quantity"],
                    base=s["base_qty"],
                    qty=s["qty"],
                    si_qty=s.get("si_qty"),
                )
                for s in line.get("sources", [])
            ],
        )
        for line in plan.get("lines", [])
    )


def target_for(
    *, project: Project, options: dict, link: ProjectLink | None, lines: tuple[BomLine, ...]
) -> Target:
    """The BOM a sync aims at: the options first, then the ERPNext link, then defaults."""
    return Target(
        assembly_item=options.get("assembly_item") or default_assembly_item(project),
        assembly_item_name=project.name[:MAX_NAME_LENGTH],
        lines=lines,
        item_group=options.get("item_group") or DEFAULT_ITEM_GROUP,
        company=options.get("company") or (link.company if link else ""),
        currency=options.get("currency") or "",
        erpnext_project=link.erpnext_project if link else "",
        submit=bool(options.get("submit")),
        create_missing_items=bool(options.get("create_missing_items")),
        convert_to_stock_uom=bool(options.get("convert_to_stock_uom")),
        price_list=options.get("price_list") or DEFAULT_PRICE_LIST,
    )
