"""CSV exports that open cleanly in Excel and cannot run as spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from toolkit.fsutil import atomic_write_bytes

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """Prefix text a spreadsheet would run as a formula (OWASP's advice) with an apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_bytes(header: list[str] | None, rows, *, excel: bool = False, neutralise_cells: bool = True) -> bytes:
    """CSV as bytes: plain UTF-8 with ',' or, for Excel, UTF-8 with BOM and ';'; ``header=None`` for none."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";" if excel else ",", lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) if neutralise_cells else cell for cell in row])
    data = buffer.getvalue().encode("utf-8")
    return b"\xef\xbb\xbf" + data if excel else data


def write_csv(path: Path, header: list[str] | None, rows, *, excel: bool = False) -> None:
    """Write a CSV export atomically; exports are made again by the next run, so they skip the flush to disk."""
    atomic_write_bytes(path, csv_bytes(header, rows, excel=excel), durable=False)
