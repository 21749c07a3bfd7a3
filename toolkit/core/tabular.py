"""Tables: the shape a list is read into (from CSV or Excel), and CSV exports that open cleanly in Excel
and cannot run as spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from toolkit.core.fsutil import atomic_writer

# The largest list file (CSV or Excel) the toolkit reads.
MAX_CSV_BYTES = 20 * 1024 * 1024


@dataclass
class CsvTable:
    """A list read as rows of stripped strings (from CSV or Excel), with the spreadsheet row number of each."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    separator: str


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = b"\xef\xbb\xbf"


def neutralise(value) -> str:
    """Prefix text a spreadsheet would run as a formula (OWASP's advice) with an apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_bytes(header: list[str] | None, rows, *, excel: bool = False, neutralise_cells: bool = True) -> bytes:
    """CSV as bytes: plain UTF-8 with ',' or, for Excel, UTF-8 with BOM and ';'; ``header=None`` for none."""
    buffer = io.StringIO(newline="")
    _write_rows(buffer, header, rows, excel, neutralise_cells)
    data = buffer.getvalue().encode("utf-8")
    return BOM + data if excel else data


def write_csv(path: Path, header: list[str] | None, rows, *, excel: bool = False) -> None:
    """Write a CSV export atomically; exports are made again by the next run, so they skip the flush to disk.

    The rows are written as they come, so an export of many thousand rows is never whole in memory.
    """
    with atomic_writer(path, durable=False) as handle:
        if excel:
            handle.write(BOM)
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        _write_rows(text, header, rows, excel)
        text.detach()  # flushes; the binary file is closed by atomic_writer


def _write_rows(stream, header: list[str] | None, rows, excel: bool, neutralise_cells: bool = True) -> None:
    writer = csv.writer(stream, delimiter=";" if excel else ",", lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) if neutralise_cells else cell for cell in row])
