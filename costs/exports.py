"""The numbers behind every chart of the cost dashboard, as CSV and as an Excel workbook,
from the cached figures (an export never asks ERPNext). Text cells go through
``spreadsheet_cell`` so an account or material name cannot run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from openaec.exceptions import ConflictError
from projects.exports import spreadsheet_cell
from projects.models import Project

from .models import CostSnapshot

MONEY_FORMAT = "#,##0.00"
NO_FIGURES = "No cost figures have been read for this project yet: refresh them first."


def cost_tables(figures: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """(title, header, rows) per chart: budget vs estimate vs committed vs actual per account,
    cost over time, the model estimate by material, by ERPNext Item and by storey."""
    totals = figures["totals"]
    accounts = [
        [row["account"], row["budget"], None, row["committed"], row["actual"], row["left"]]
        for row in figures["accounts"]
    ]
    accounts.append(
        [
            "Total",
            totals["budget"],
            totals["estimate"],
            totals["committed"],
            totals["actual"],
            None
            if totals["budget"] is None
            else round(totals["budget"] - totals["committed"] - totals["actual"], 2),
        ]
    )
    running = 0.0
    months = []
    for row in figures.get("actual_by_month") or []:
        running += row["amount"]
        months.append([row["month"], row["amount"], round(running, 2)])
    estimate = figures.get("estimate") or {}
    return [
        (
            "Accounts",
            ["Account", "Budget", "Model estimate", "Committed", "Actual", "Left"],
            accounts,
        ),
        ("Cost over time", ["Month", "Actual", "Cumulative"], months),
        (
            "Materials",
            ["Material", "Model estimate"],
            [[row["material"], row["amount"]] for row in estimate.get("by_material", [])],
        ),
        (
            "Items",
            ["ERPNext Item", "Model estimate", "Committed"],
            [[row["item_code"], row["estimate"], row["committed"]] for row in figures["items"]],
        ),
        (
            "Storeys",
            ["Storey", "Model estimate"],
            [[row["storey"], row["amount"]] for row in estimate.get("by_storey", [])],
        ),
    ]


def _snapshot(project: Project) -> CostSnapshot:
    snapshot = CostSnapshot.objects.filter(project=project).first()
    if snapshot is None:
        raise ConflictError(NO_FIGURES)
    return snapshot


def costs_csv_rows(*, project: Project) -> Iterator[list[Any]]:
    """One long table: chart, row, column, value (every number of every chart)."""
    snapshot = _snapshot(project)
    yield ["Chart", "Row", "Column", "Value"]
    for title, header, rows in cost_tables(snapshot.figures):
        for row in rows:
            for column, value in zip(header[1:], row[1:], strict=True):
                yield [title, spreadsheet_cell(str(row[0])), column, value]


def costs_csv(*, project: Project) -> str:
    """The cached figures as CSV text."""
    out = io.StringIO()
    csv.writer(out).writerows(costs_csv_rows(project=project))
    return out.getvalue()


def costs_xlsx(*, project: Project) -> bytes:
    """The cached figures as a workbook: one sheet per chart, money as numbers, and an About
    sheet saying where and when they were read."""
    snapshot = _snapshot(project)
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    currency = (snapshot.figures.get("estimate") or {}).get("currency", "")
    for title, header, rows in cost_tables(snapshot.figures):
        sheet = workbook.create_sheet(title)
        sheet.column_dimensions["A"].width = 40
        heads = []
        for text in header:
            cell = WriteOnlyCell(sheet, value=text if text == header[0] else f"{text} {currency}")
            cell.font = bold
            heads.append(cell)
        sheet.append(heads)
        for row in rows:
            cells = [WriteOnlyCell(sheet, value=spreadsheet_cell(str(row[0])))]
            for value in row[1:]:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = MONEY_FORMAT
                cells.append(cell)
            sheet.append(cells)
    about = workbook.create_sheet("About")
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 60
    for key, value in (
        ("Project", project.name),
        ("ERPNext site", snapshot.erpnext_site),
        ("ERPNext Project", snapshot.erpnext_project),
        ("Read", timezone.localtime(snapshot.fetched_at).strftime("%Y-%m-%d %H:%M")),
        ("Exported", timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        ("Actual from", snapshot.figures["totals"]["actual_source"]),
    ):
        about.append([key, spreadsheet_cell(value)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
