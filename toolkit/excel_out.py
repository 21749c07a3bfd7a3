"""Overviews as Excel workbooks (.xlsx) beside their CSV files, for the organiser who reads them in Excel.

Each workbook has one sheet: a bold header row that stays in view (frozen), filters on every column,
column widths fitted to the text, dates and numbers as Excel's own types, and the rows that need the
organiser's attention filled in light red. The CSV files stay as they are, for scripts.

Rows are streamed: the first rows are held to fit the column widths, the rest are written as they
come, so an overview of many thousand supporters is never whole in memory (openpyxl's write-only
mode). Text a spreadsheet would run as a formula stays text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timezone
from itertools import chain, islice
from pathlib import Path

from toolkit.fsutil import atomic_writer

WIDTH_SAMPLE = 200
MIN_WIDTH, MAX_WIDTH = 6, 60
HEADER_FILL = "FFE8E8E8"
PROBLEM_FILL = "FFF8D0D0"
DATE_FORMAT = "dd.mm.yyyy"
DATETIME_FORMAT = "dd.mm.yyyy hh:mm"
# The time written as the workbook's "created": a fixed one, like the DOCX writer's, so that the same
# rows always give byte-identical files (a rerun or worker processes change nothing).
FIXED_TIME = datetime(2000, 1, 1)


def xlsx_path(csv_path: Path) -> Path:
    return Path(csv_path).with_suffix(".xlsx")


def _typed(value, kind: str):
    """A cell's value as Excel should hold it: a date, a number or the text itself."""
    if value is None or value == "":
        return None
    if kind == "date":
        if isinstance(value, (date, datetime)):
            return value
        text = str(value).strip()
        try:
            value = datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
        except ValueError:
            return text
        if isinstance(value, datetime) and value.tzinfo is not None:
            # Excel has no time zones: the time is shown in UTC, as the column's name says.
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value
    if kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        try:
            return float(str(value).replace(",", "."))
        except ValueError:
            return str(value)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _width(value) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return max((len(line) for line in str(value).split("\n")), default=0)


def write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    sheet: str = "Oversikt",
    dates: Sequence[str] = (),
    numbers: Sequence[str] = (),
    problem: Callable[[Sequence], bool] | None = None,
    durable: bool = False,
) -> int:
    """Write ``rows`` under ``header`` as a workbook at ``path`` atomically; return the number of rows.

    ``dates`` and ``numbers`` name the columns written as Excel dates and numbers; ``problem`` picks
    the rows to highlight (it is given the row as passed in).
    """
    # Imported here: openpyxl takes a while to import and the CSV outputs need none of it.
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    kinds = ["date" if name in dates else "number" if name in numbers else "text" for name in header]
    rows = iter(rows)
    sample = list(islice(rows, WIDTH_SAMPLE))
    widths = [len(name) + 3 for name in header]  # room for the filter button
    for row in sample:
        for index, (value, kind) in enumerate(zip(row, kinds)):
            widths[index] = max(widths[index], _width(_typed(value, kind) or ""))

    workbook = openpyxl.Workbook(write_only=True)
    ws = workbook.create_sheet(sheet[:31])
    ws.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(max(width + 1, MIN_WIDTH), MAX_WIDTH)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    problem_fill = PatternFill("solid", fgColor=PROBLEM_FILL)
    wrap = Alignment(vertical="top", wrap_text=False)

    def header_cell(name: str):
        cell = WriteOnlyCell(ws, name)
        cell.data_type = "s"
        cell.font = bold
        cell.fill = header_fill
        return cell

    ws.append([header_cell(name) for name in header])
    count = 0
    for row in chain(sample, rows):
        flagged = bool(problem and problem(row))
        cells = []
        for value, kind in zip(row, kinds):
            typed = _typed(value, kind)
            cell = WriteOnlyCell(ws, typed)
            if isinstance(typed, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(typed, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(typed, date):
                cell.number_format = DATE_FORMAT
            elif isinstance(typed, float):
                cell.number_format = "0.00"
            cell.alignment = wrap
            if flagged:
                cell.fill = problem_fill
            cells.append(cell)
        ws.append(cells)
        count += 1
    last_column = get_column_letter(max(len(header), 1))
    ws.auto_filter.ref = f"A1:{last_column}{count + 1}"
    with atomic_writer(Path(path), durable=durable) as handle:
        handle.write(_fixed_times(workbook))
    return count


def _fixed_times(workbook) -> bytes:
    """The workbook's bytes with fixed zip and document times, so the same rows give the same file."""
    import io
    import zipfile

    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    workbook.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                # openpyxl stamps the time of saving as "modified", whatever the properties say.
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            target.writestr(info, data)
    return out.getvalue()


def write_table(
    csv_path: Path,
    header: list[str],
    rows: Iterable[Sequence],
    *,
    sheet: str = "Oversikt",
    dates: Sequence[str] = (),
    numbers: Sequence[str] = (),
    problem: Callable[[Sequence], bool] | None = None,
) -> None:
    """Write an overview as Excel's CSV (``;``, BOM) and as an .xlsx beside it, from one pass over ``rows``.

    Each row goes to the CSV file as the workbook takes it, so a long overview is streamed, not held.
    """
    import csv
    import io

    from toolkit.fsutil import atomic_writer
    from toolkit.tabular import BOM, neutralise

    with atomic_writer(Path(csv_path), durable=False) as handle:
        handle.write(BOM)
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)

        def passing():
            for row in rows:
                writer.writerow([neutralise(cell) for cell in row])
                yield row

        write_xlsx(xlsx_path(csv_path), header, passing(), sheet=sheet, dates=dates, numbers=numbers, problem=problem)
        text.detach()  # flushes; the binary file is closed by atomic_writer
