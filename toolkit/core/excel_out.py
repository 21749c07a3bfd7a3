"""Overviews as Excel workbooks (.xlsx) beside their CSV files, for the organiser who reads them in Excel.

Each workbook has one sheet: a bold header row that stays in view (frozen), filters on every column,
column widths fitted to the text, dates and numbers as Excel's own types, and the rows that need the
organiser's attention filled in light red. The CSV files stay as they are, for scripts.

Rows are streamed: the first rows are held to fit the column widths, the rest are written as they
come, so an overview of many thousand supporters is never whole in memory. The workbook's XML is
written here (see write_xlsx); text a spreadsheet would run as a formula stays text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timezone
from itertools import chain, islice
from pathlib import Path

from toolkit.core.fsutil import atomic_writer
from toolkit.core.tabular import BOM, neutralise

WIDTH_SAMPLE = 200
MIN_WIDTH, MAX_WIDTH = 6, 60
HEADER_FILL = "FFE8E8E8"
PROBLEM_FILL = "FFF8D0D0"
DATE_FORMAT = "dd.mm.yyyy"
DATETIME_FORMAT = "dd.mm.yyyy hh:mm"


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


def column_name(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# The workbook's constant parts. Styles (cellXfs): 0 plain, 1 header (bold, grey), 2 date, 3 date and
# time, 4 number with two decimals; 5–8 the same four on the light red of a row that needs attention.
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/></Relationships>'
)
_XF = '<xf numFmtId="{fmt}" fontId="0" fillId="{fill}" borderId="0" xfId="0"{apply}/>'
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet {NS}>'
    f'<numFmts count="3"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DATETIME_FORMAT}"/><numFmt numFmtId="166" formatCode="0.00"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    f'<fill><patternFill patternType="solid"><fgColor rgb="{HEADER_FILL}"/><bgColor indexed="64"/></patternFill></fill>'
    f'<fill><patternFill patternType="solid"><fgColor rgb="{PROBLEM_FILL}"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="9">'
    + _XF.format(fmt=0, fill=0, apply="")
    + '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    + "".join(_XF.format(fmt=fmt, fill=fill, apply=' applyNumberFormat="1"' + (' applyFill="1"' if fill else ""))
              for fill in (0, 3) for fmt in ((164, 165, 166) if fill == 0 else (0, 164, 165, 166)))
    + "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
STYLE_OF = {"text": 0, "date": 2, "datetime": 3, "number": 4}
PROBLEM_STYLE = {"text": 5, "date": 6, "datetime": 7, "number": 8}
EXCEL_EPOCH = datetime(1899, 12, 30)
INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    value = INVALID_XML.sub("", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def _cell(ref: str, value, problem: bool) -> str:
    """One <c> element: text inline (never a formula), numbers and dates as numbers with their format."""
    styles = PROBLEM_STYLE if problem else STYLE_OF
    if value is None:
        return f'<c r="{ref}" s="{styles["text"]}"/>' if problem else ""
    if isinstance(value, datetime):
        serial = (value - EXCEL_EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{styles["datetime"]}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{styles["date"]}"><v>{(value - EXCEL_EPOCH.date()).days}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}" s="{styles["number"]}"><v>{value!r}</v></c>'
    if isinstance(value, int):
        style = f' s="{styles["text"]}"' if problem else ""
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    style = f' s="{styles["text"]}"' if problem else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'


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
    the rows to highlight (it is given the row as passed in). The workbook is written here, part by
    part, as the DOCX writer writes letters: openpyxl alone takes longer to import than a build's
    overviews take to write. Fixed zip times: the same rows always give the same bytes.
    """
    import zipfile

    kinds = ["date" if name in dates else "number" if name in numbers else "text" for name in header]
    columns = [column_name(index) for index in range(1, len(header) + 1)]
    rows = iter(rows)
    sample = list(islice(rows, WIDTH_SAMPLE))
    widths = [len(name) + 3 for name in header]  # room for the filter button
    for row in sample:
        for index, (value, kind) in enumerate(zip(row, kinds, strict=True)):
            widths[index] = max(widths[index], _width(_typed(value, kind) or ""))
    name = _text(sheet[:31].replace("'", ""))

    def entry(part: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(part, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    count = 0
    with atomic_writer(Path(path), durable=durable) as handle:
        with zipfile.ZipFile(handle, "w") as archive:
            archive.writestr(entry("[Content_Types].xml"), CONTENT_TYPES)
            archive.writestr(entry("_rels/.rels"), PACKAGE_RELS)
            archive.writestr(entry("xl/_rels/workbook.xml.rels"), WORKBOOK_RELS)
            archive.writestr(entry("xl/styles.xml"), STYLES)
            with archive.open(entry("xl/worksheets/sheet1.xml"), "w", force_zip64=True) as part:
                cols = "".join(
                    f'<col min="{i}" max="{i}" width="{min(max(w + 1, MIN_WIDTH), MAX_WIDTH)}" customWidth="1"/>'
                    for i, w in enumerate(widths, start=1)
                )
                head = "".join(f'<c r="{c}1" s="1" t="inlineStr"><is><t>{_text(str(h))}</t></is></c>'
                               for c, h in zip(columns, header, strict=True))
                part.write(
                    ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                     f'<worksheet {NS} {NS_R}><sheetViews><sheetView workbookViewId="0">'
                     '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                     '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                     f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData><row r="1">{head}</row>').encode()
                )
                for row in chain(sample, rows):
                    number = count + 2
                    flagged = bool(problem and problem(row))
                    cells = "".join(_cell(f"{c}{number}", _typed(v, k), flagged) for c, v, k in zip(columns, row, kinds, strict=True))
                    part.write(f'<row r="{number}">{cells}</row>'.encode())
                    count += 1
                last = f"{columns[-1] if columns else 'A'}{count + 1}"
                part.write(f'</sheetData><autoFilter ref="A1:{last}"/></worksheet>'.encode())
            archive.writestr(entry("xl/workbook.xml"), (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<workbook {NS} {NS_R}><sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>'
                f'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
                f"'{name}'!$A$1:${last.rstrip('0123456789')}${count + 1}</definedName></definedNames></workbook>"
            ))
    return count


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
