"""Takeoff lines as CSV rows and text tables, for the API, the pages and `manage.py takeoff`."""

from .takeoff_query import QUANTITIES

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


def csv_header(group_by: tuple[str, ...]) -> list[str]:
    """Column names: the group fields, the quantities (SI units), element_count, sources."""
    return [*group_by, *QUANTITIES, "element_count", "sources"]


def csv_row(line: dict, group_by: tuple[str, ...]) -> list:
    """One line as CSV cells; quantities at full precision, empty where the model has none.
    Names from the model are made safe for spreadsheets (spreadsheet_cell)."""
    return [
        *("" if line[field] is None else spreadsheet_cell(line[field]) for field in group_by),
        *("" if line[name] is None else repr(float(line[name])) for name in QUANTITIES),
        line["element_count"],
        spreadsheet_cell("+".join(line["sources"])),
    ]


def text_table(lines: list[dict], group_by: tuple[str, ...], totals: dict | None = None) -> str:
    """A plain aligned table for a terminal, with a total row when given."""
    header = csv_header(group_by)
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
        *("" if line[name] is None else f"{line[name]:,.3f}" for name in QUANTITIES),
        str(line["element_count"]),
        "+".join(line["sources"]),
    ]
