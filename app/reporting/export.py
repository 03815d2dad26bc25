"""CSV (streamed row by row) and XLSX (one sheet per table, typed cells, a chart) exports."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter

from app.reporting.service import Report, Table

PERCENT_SUFFIXES = ("_rate", "_share", "retention_12_months", "retention_24_months")
RATE_COLUMNS = {"targeted_rate", "control_rate", "uplift", "lower", "upper", "orphan_share"}


def _is_rate(column: str) -> bool:
    return column.endswith(PERCENT_SUFFIXES) or column in RATE_COLUMNS


def csv_lines(table: Table) -> Iterator[str]:
    """The table as CSV text, one line at a time (so a large export is never held in memory)."""

    class _Line:
        value = ""

        def write(self, text: str) -> int:
            self.value = text
            return len(text)

    line = _Line()
    writer = csv.writer(line, lineterminator="\n")
    writer.writerow(table.columns)
    yield line.value
    for row in table.rows:
        writer.writerow(["" if v is None else v for v in row])
        yield line.value


def write_csv(table: Table, stream: IO[str]) -> None:
    for text in csv_lines(table):
        stream.write(text)


def _cell_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def write_xlsx(report: Report, path: Path | IO[bytes]) -> None:
    """One sheet per table; numbers, dates and booleans stay typed; rates formatted as
    percentages and amounts with two decimals; a bar chart where the table defines one."""
    book = Workbook()
    book.remove(book.active)
    for table in report.tables:
        sheet = book.create_sheet(title=table.name[:31])
        sheet.append(table.columns)
        for row in table.rows:
            sheet.append([_cell_value(v) for v in row])
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(10, min(28, len(column) + 2))
            number_format = None
            if _is_rate(column):
                number_format = "0.0%"
            elif column.startswith("revenue") or column in ("current", "previous", "change"):
                number_format = "#,##0.00"
            elif any(isinstance(r[index - 1], date) for r in table.rows):
                number_format = "yyyy-mm-dd"
            if number_format:
                for cell in sheet[letter][1:]:
                    cell.number_format = number_format
        sheet.freeze_panes = "A2"
        if table.chart and table.rows:
            category, values = table.chart
            chart = BarChart()
            chart.title = table.name
            rows = len(table.rows) + 1
            for name in values:
                col = table.columns.index(name) + 1
                chart.add_data(
                    Reference(sheet, min_col=col, min_row=1, max_row=rows), titles_from_data=True
                )
            cat = table.columns.index(category) + 1
            chart.set_categories(Reference(sheet, min_col=cat, min_row=2, max_row=rows))
            chart.width, chart.height = 24, 12
            sheet.add_chart(chart, f"A{rows + 3}")
    book.save(path)
