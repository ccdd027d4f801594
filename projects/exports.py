"""Takeoff lines as CSV rows, Excel workbooks and text tables, for the API, the pages and
`manage.py takeoff`."""

import io
from dataclasses import replace

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from . import selectors
from .takeoff_query import QUANTITIES

QUANTITY_UNITS = {"count": "pcs", "length": "m", "area": "m²", "volume": "m³", "weight": "kg"}
# Decimals a spreadsheet gets per quantity: millimetres, 10 cm², 0.1 litre, 10 grams; enough
# to price from, and no binary float noise (21.599999999999998 is 21.6).
QUANTITY_DECIMALS = {"count": 3, "length": 3, "area": 3, "volume": 4, "weight": 2}

# Beside an exported volume or area the takeoff flagged as larger than the body allows: the
# line's value with the measured ones in place (empty on lines without a flag).
MEASURED = (("measured_volume", "volume"), ("measured_area", "area"))

# A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """A cell value a spreadsheet will not run: text starting with a formula trigger gets a
    leading single quote (OWASP's rule). Numbers, and text that is a plain number such as
    "-1.5", stay as they are. Every CSV and spreadsheet export writes its cells through this.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value if value.strip() == value else "'" + value


def line_as_dict(line) -> dict:
    """An integrations.ifc TakeoffLine in the dict shape the selectors return."""
    return {
        **line.key,
        **{name: getattr(line, name) for name in QUANTITIES},
        "element_count": line.element_count,
        "sources": list(line.sources),
    }


def quantity_header(name: str) -> str:
    """'volume' -> 'volume (m³)': a spreadsheet column says its unit."""
    return f"{name} ({QUANTITY_UNITS[name]})"


def rounded_quantity(value: float | None, name: str) -> float | None:
    """The quantity rounded to its kind's decimals (QUANTITY_DECIMALS); None stays None."""
    return None if value is None else round(float(value), QUANTITY_DECIMALS[name]) + 0.0


def quantity_text(value: float | None, name: str, *, decimal: str = ".") -> str:
    """21.599999999999998 -> '21.6', 487.0 -> '487' (plain digits, no thousands separator,
    which a spreadsheet of another locale would misread); empty where there is no value."""
    number = rounded_quantity(value, name)
    if number is None:
        return ""
    text = f"{number:.{QUANTITY_DECIMALS[name]}f}".rstrip("0").rstrip(".")
    text = "0" if text in ("", "-0") else text
    return text.replace(".", decimal)


def csv_header(group_by: tuple[str, ...]) -> list[str]:
    """Column names: the group fields, the quantities with their units, element_count,
    sources, and the measured volume and area of lines with an implausible exported one."""
    return [
        *group_by,
        *(quantity_header(name) for name in QUANTITIES),
        "element_count",
        "sources",
        *(f"{field.replace('_', ' ')} ({QUANTITY_UNITS[name]})" for field, name in MEASURED),
    ]


def csv_row(line: dict, group_by: tuple[str, ...], *, decimal: str = ".") -> list:
    """One line as CSV cells; quantities rounded per kind (quantity_text), empty where the
    model has none. Names from the model are made safe for spreadsheets (spreadsheet_cell)."""
    return [
        *("" if line[field] is None else spreadsheet_cell(line[field]) for field in group_by),
        *(quantity_text(line[name], name, decimal=decimal) for name in QUANTITIES),
        line["element_count"],
        spreadsheet_cell("+".join(line["sources"])),
        *(quantity_text(line.get(field), name, decimal=decimal) for field, name in MEASURED),
    ]


def text_table(lines: list[dict], group_by: tuple[str, ...], totals: dict | None = None) -> str:
    """A plain aligned table for a terminal, with a total row when given."""
    header = csv_header(group_by)[: -len(MEASURED)]
    body = [_text_cells(line, group_by) for line in lines]
    if totals is not None:
        body.append(["TOTAL", *[""] * (len(group_by) - 1), *_text_cells(totals, ())])
    widths = [max(len(str(row[i])) for row in [header, *body]) for i in range(len(header))]
    numeric = set(range(len(group_by), len(group_by) + len(QUANTITIES) + 1))

    def fmt(row) -> str:
        cells = [
            str(cell).rjust(widths[i]) if i in numeric else str(cell).ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    rows = [fmt(header), rule, *(fmt(row) for row in body)]
    if totals is not None:
        rows.insert(-1, rule)
    return "\n".join(rows)


def _text_cells(line: dict, group_by: tuple[str, ...]) -> list[str]:
    return [
        *("—" if line[field] is None else str(line[field]) for field in group_by),
        *(_text_quantity(line[name], name) for name in QUANTITIES),
        str(line["element_count"]),
        "+".join(line["sources"]),
    ]


def _text_quantity(value: float | None, name: str) -> str:
    if value is None:
        return ""
    if name == "count" and float(value).is_integer():
        return f"{int(value):,}"  # pieces are whole: "4", not "4.000"
    return f"{value:,.3f}"


# Excel

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_SHEETS = (
    ("By class", ("ifc_class",)),
    ("By class and type", ("ifc_class", "type_name")),
    ("By material", ("material",)),
    ("By class and material", ("ifc_class", "material")),
    ("By storey", ("storey",)),
    ("By storey and class", ("storey", "ifc_class")),
)
# Adding a wall's length to a pipe's, or a wall's face area once per layer, gives no number to
# price from: length and area get no total. Pieces, volume, weight and elements add up.
TOTALLED_QUANTITIES = ("count", "volume", "weight")
FIELD_TITLES = {
    "ifc_class": "IFC class",
    "predefined_type": "Predefined type",
    "type_name": "Type",
    "storey": "Storey",
    "material": "Material",
    "layer": "Layer",
    "source": "Source",
    "global_id": "GlobalId",
}
_NUMBER_FORMATS = {name: "#,##0." + "0" * places for name, places in QUANTITY_DECIMALS.items()}


def takeoff_xlsx(*, project, version, query) -> bytes:
    """The takeoff as an Excel workbook: the asked grouping first, then one sheet per common
    grouping (XLSX_SHEETS), each with a total row; the query's filters apply to every sheet.
    Numbers are numbers, units are in the headers, text cells are neutralised formulas."""
    workbook = Workbook(write_only=True)
    totals = selectors.takeoff_totals(version=version, query=query)
    sheets = list(XLSX_SHEETS)
    if query.group_by not in {fields for _, fields in sheets}:
        sheets.insert(0, ("Takeoff", query.group_by))
    else:  # the page's grouping opens first
        sheets.sort(key=lambda sheet: sheet[1] != query.group_by)
    for title, group_by in sheets:
        lines = selectors.takeoff_lines(version=version, query=replace(query, group_by=group_by))
        _xlsx_sheet(workbook, title, group_by, lines, totals)
    _xlsx_about(workbook, project, version, query)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_sheet(workbook, title: str, group_by, lines, totals: dict) -> None:
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    widths = [*(40 if f in ("type_name", "material") else 22 for f in group_by)]
    for index, width in enumerate([*widths, *[14] * (len(QUANTITIES) + 1), 18], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)

    def cell(value, number_format: str | None = None, *, strong: bool = False):
        item = WriteOnlyCell(sheet, value=value)
        if number_format:
            item.number_format = number_format
        if strong:
            item.font = bold
        return item

    header = [
        *(FIELD_TITLES[f] for f in group_by),
        *(f"{name.capitalize()} ({QUANTITY_UNITS[name]})" for name in QUANTITIES),
        "Elements",
        "Sources",
        *(
            f"{field.replace('_', ' ').capitalize()} ({QUANTITY_UNITS[name]})"
            for field, name in MEASURED
        ),
    ]
    sheet.append([cell(text, strong=True) for text in header])
    rows = 0
    for line in lines:
        sheet.append(
            [
                *(cell(spreadsheet_cell(line[f])) for f in group_by),
                *(_xlsx_quantity(cell, line[name], name) for name in QUANTITIES),
                cell(line["element_count"], "#,##0"),
                cell(spreadsheet_cell(", ".join(line["sources"]))),
                *(_xlsx_quantity(cell, line.get(field), name) for field, name in MEASURED),
            ]
        )
        rows += 1
    label = ["Total", *[""] * (len(group_by) - 1)]
    sheet.append(
        [
            *(cell(text, strong=True) for text in label),
            *(
                _xlsx_quantity(cell, totals[name], name, strong=True)
                if name in TOTALLED_QUANTITIES
                else cell(None)
                for name in QUANTITIES
            ),
            cell(totals["element_count"], "#,##0", strong=True),
            cell(None),
        ]
    )
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{rows + 1}"


def _xlsx_quantity(cell, value, name: str, *, strong: bool = False):
    number = rounded_quantity(value, name)
    if number is None:
        return cell(None)
    whole = name == "count" and float(number).is_integer()
    return cell(
        int(number) if whole else number, "#,##0" if whole else _NUMBER_FORMATS[name], strong=strong
    )


def _xlsx_about(workbook, project, version, query) -> None:
    sheet = workbook.create_sheet("About")
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 90
    filters = "; ".join(f"{name}: {' or '.join(values)}" for name, values in query.filters.items())
    for key, value in (
        ("Project", project.name),
        ("Model version", version.number),
        ("File", version.original_filename),
        ("Schema", version.schema),
        ("SHA-256", version.sha256),
        ("Exported", timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        ("Filters", filters or "none (every element)"),
        ("Units", "SI: m, m², m³, kg; count in pieces"),
        (
            "Totals",
            "Count, volume, weight and elements are totalled on every sheet. Length and area "
            "are not: a wall's length added to a pipe's, or a wall's face area once per "
            "layer, is no number to price from.",
        ),
    ):
        sheet.append([key, spreadsheet_cell(value)])
