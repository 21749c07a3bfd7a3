"""Small helpers for tests: running the CLI and editing campaign files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from toolkit.cli import cli


def run(*args: str):
    """Run the CLI in-process; return the click Result (output includes stderr)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def write_rows(path: Path, rows: list[dict[str, str]], *, delimiter: str = ",", encoding: str = "utf-8") -> None:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def mp_row(**values: str) -> dict[str, str]:
    """A recipients.csv row for an MP, with Norwegian letters in it."""
    row = {
        "id": "mp-test", "kind": "mp", "name": "Åse Ærlig-Øvrebø", "title": "stortingsrepresentant",
        "organisation": "Stortinget", "ministry": "", "committees": "JUSTIS", "party": "A",
        "party_name": "Arbeiderpartiet", "county": "Øs", "county_name": "Østfold",
        "email": "ase@example.org", "email_verified": "ja", "email_verified_on": "2026-11-01",
        "postal_address": "Stortinget / 0026 Oslo", "language": "", "person_id": "AAE",
        "verified_on": "2026-11-01", "source": "test", "notes": "",
    }
    row.update(values)
    return row
