"""Lists kept in Excel: recipients.xlsx, supporters.xlsx, outlets.xlsx … read like their CSV twins.

Every list the toolkit reads as CSV may be an .xlsx file of the same name instead. It is read here
into the same table the CSV reader gives (``tabular.CsvTable``), so the same checks run on it, and
the problems name the Excel file, its sheet, the row and the column letter as Excel shows them
("recipients.xlsx, ark «Mottakere», rad 14, kolonne F «email»").

Cells are turned into the text a user sees in Excel: a date typed as a date becomes 2026-11-25, a
postcode stored as the number 30 with the format 0000 becomes 0030 (and a number in a postcode
column always gets its four digits back), a phone number stored as 22245000.0 becomes 22245000.
Header cells are matched without case, extra spaces or line breaks; a title row (often merged
across the columns) above the header is skipped; a value merged down over several data rows
counts on each of them.

openpyxl reads the cells. pandas (which also reads .xlsx through openpyxl) is not used here: it
drops the number formats that tell a postcode 0030 from the number 30, and the merged ranges.
Both are imported only when an Excel file is there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from toolkit.core.errors import Problems
from toolkit.core.tabular import MAX_CSV_BYTES, CsvTable

# Sheet names tried before the first sheet, per list: the file's own name and the Norwegian one.
SHEET_NAMES = {
    "recipients": ("recipients", "mottakere"),
    "supporters": ("supporters", "underskrivere"),
    "outlets": ("outlets", "aviser", "medier"),
    "signatories": ("signatories", "skribenter", "underskrivere"),
    "opeds-status": ("opeds-status", "status"),
}
POSTCODE_COLUMNS = {"postcode", "postnummer", "postnr", "zip"}
HEADER_SEARCH_ROWS = 10
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZERO_PADDED = re.compile(r"^0+$")
SPACES = re.compile(r"\s+")


def excel_twin(path: Path) -> Path | None:
    """The .xlsx file beside a list's .csv name, if there is one."""
    if path.suffix.lower() != ".csv":
        return None
    twin = path.with_suffix(".xlsx")
    return twin if twin.is_file() else None


def list_path(folder: Path, csv_name: str) -> Path:
    """The file that holds a list: the .xlsx twin if only it exists, else the .csv name."""
    path = Path(folder) / csv_name
    twin = excel_twin(path)
    return twin if twin is not None and not path.exists() else path


def column_letter(index: int) -> str:
    """1 → A, 27 → AA, as Excel names columns."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class SheetSource:
    """Where a list read from Excel came from, to word its problems as Excel shows the place."""

    file: str
    sheet: str
    columns: dict[str, str] = field(default_factory=dict)  # header name -> column letter

    def locate(self, where: dict) -> tuple[str, dict]:
        where = dict(where)
        where["sheet"] = self.sheet
        column = self.columns.get(where.get("field") or "")
        if column:
            where["column"] = column
        return self.file, where


def header_name(value) -> str:
    """A header cell as a column name: text without case, line breaks or runs of spaces."""
    if value is None:
        return ""
    text = str(value).replace("\u00a0", " ")
    return SPACES.sub(" ", text).strip().lower()


def cell_text(value, number_format: str = "General", column: str = "") -> str:
    """A cell's value as the text the user typed or sees in Excel."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            return repr(value)
        number = int(value)
        width = 0
        pattern = (number_format or "").split(";")[0]
        if ZERO_PADDED.match(pattern):
            width = len(pattern)
        elif column in POSTCODE_COLUMNS:
            width = 4
        return str(number).zfill(width) if number >= 0 else str(number)
    return str(value).strip()


def _pick_sheet(workbook, stem: str):
    wanted = SHEET_NAMES.get(stem.lower(), (stem.lower(),))
    by_name = {sheet.title.strip().lower(): sheet for sheet in workbook.worksheets}
    for name in wanted:
        if name in by_name:
            return by_name[name]
    visible = [sheet for sheet in workbook.worksheets if sheet.sheet_state == "visible"]
    return (visible or workbook.worksheets)[0]


def _open_error(path: Path, label: str) -> str:
    try:
        start = path.read_bytes()[:8]
    except OSError:
        start = b""
    if start == OLE_MAGIC:
        return (f"{path.name} kan ikke leses: den er passordbeskyttet eller lagret i det gamle .xls-formatet. "
                "Fjern passordet (Fil → Info → Beskytt arbeidsbok) og lagre den som Excel-arbeidsbok (.xlsx).")
    return f"{path.name} er ikke en Excel-arbeidsbok (.xlsx) som kan leses. Åpne den i Excel og lagre den på nytt som .xlsx."


def read_xlsx(path: Path, problems: Problems, label: str, required: tuple[str, ...], known: tuple[str, ...] = ()):
    """Read a list from an .xlsx file into a ``tabular.CsvTable``, with Excel's row numbers."""
    # Imported here: openpyxl takes a while to import and only Excel users need it.
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        problems.error(path.name, f"Filen er {size // (1024 * 1024)} MB; grensen er {MAX_CSV_BYTES // (1024 * 1024)} MB.",
                       "Sjekk at det er riktig fil, eller del den opp.")
        return None
    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError):
        problems.error(path.name, _open_error(path, label))
        return None
    sheet = _pick_sheet(workbook, Path(label).stem)
    grid: dict[tuple[int, int], object] = {}
    formats: dict[tuple[int, int], str] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is not None:
                grid[(cell.row, cell.column)] = cell.value
                formats[(cell.row, cell.column)] = cell.number_format
    merged = [rng for rng in sheet.merged_cells.ranges]
    workbook.close()
    if not grid:
        problems.error(path.name, f"Arket «{sheet.title}» er tomt.", f"Første rad skal være overskriftene: {', '.join(required)}.")
        return None
    last_row = max(r for r, _ in grid)
    last_column = max(c for _, c in grid)

    def row_names(number: int) -> list[str]:
        return [header_name(grid.get((number, column))) for column in range(1, last_column + 1)]

    # The header is the first row that names every required column; a title row above it is skipped.
    # Failing that, the first row with anything in it (its missing columns are then reported).
    first = min(r for r, _ in grid)
    header_row = first
    for number in range(first, min(first + HEADER_SEARCH_ROWS, last_row + 1)):
        if set(required) <= set(row_names(number)):
            header_row = number
            break
    header = row_names(header_row)
    columns = {name: column_letter(index) for index, name in enumerate(header, start=1) if name}
    source = SheetSource(path.name, sheet.title, columns)
    problems.sheets[label] = source

    # A value merged down over several rows counts on each of them; merges in the header row stay
    # with their first column (a header merged across two columns names one column).
    for rng in merged:
        value = grid.get((rng.min_row, rng.min_col))
        if value is None or rng.max_row <= header_row:
            continue
        for number in range(max(rng.min_row, header_row + 1), rng.max_row + 1):
            for col in range(rng.min_col, rng.max_col + 1):
                if (number, col) not in grid:
                    grid[(number, col)] = value
                    formats[(number, col)] = formats.get((rng.min_row, rng.min_col), "General")

    seen: set[str] = set()
    for column in header:
        if column in seen and column:
            problems.error(label, f"Kolonnen «{column}» står to ganger.", "Fjern den ene.", row=header_row, field=column)
        seen.add(column)
    missing = [column for column in required if column not in header]
    for column in missing:
        problems.error(label, f"Kolonnen «{column}» mangler.",
                       f"Legg den til i overskriftsraden. Kolonnene som trengs: {', '.join(required)}.", row=header_row)
    if known:
        for column in header:
            if column and column not in known:
                problems.warning(label, f"Ukjent kolonne «{column}» blir ikke brukt.",
                                 "Sjekk stavemåten hvis den skulle vært brukt.", row=header_row, field=column)
    if missing:
        return None
    rows = []
    for number in range(header_row + 1, last_row + 1):
        values = {
            name: cell_text(grid.get((number, index)), formats.get((number, index), "General"), name)
            for index, name in enumerate(header, start=1)
            if name
        }
        if not any(values.values()):
            continue
        rows.append((number, values))
    return CsvTable(header=header, rows=rows, separator=";")
