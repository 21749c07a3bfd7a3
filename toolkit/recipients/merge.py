"""Bringing the Storting's representatives into recipients.csv without losing hand-made work.

Rows are matched by the Storting's person id (column ``person_id``). The import owns the columns in
``IMPORTED_COLUMNS`` plus ``verified_on`` and ``source``; everything else in a matched row is the
organiser's and is kept as it is: the row's id, e-mail address and its check, postal address, language,
notes and any extra column. New representatives come in without a verified address (letters for post
only). Members who left are only reported; the caller decides whether they go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from toolkit.core.campaign import EMAIL_PATTERN, ID_PATTERN, RECIPIENT_COLUMNS, RECIPIENT_REQUIRED
from toolkit.core.errors import Problems
from toolkit.core.fsutil import atomic_write_bytes, safe_stem
from toolkit.core.sources import read_csv
from toolkit.core.tabular import csv_bytes, neutralise
from toolkit.core.templates import format_date
from toolkit.recipients.stortinget import SOURCE, Representative, Roster

IMPORTED_COLUMNS = (
    "name", "title", "organisation", "committees", "committee_names", "party", "party_name",
    "county", "county_name", "person_id",
)
LIST_SEPARATORS = re.compile(r"[,;|]")


@dataclass(frozen=True)
class Change:
    """An existing row the import changes: which fields, from what to what."""

    row_id: str
    name: str
    fields: tuple[tuple[str, str, str], ...]


@dataclass
class ImportPlan:
    """What an import would do to recipients.csv; nothing is written until ``rows_to_write`` is."""

    header: list[str]
    rows: list[dict[str, str]]
    data_date: date | None  # None: the data had no date, and the rows get none ("ukjent dato")
    added: list[dict[str, str]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    refreshed: int = 0  # matched rows whose only change is the date they were checked
    removed: list[dict[str, str]] = field(default_factory=list)  # members no longer in the Storting's list
    look_alikes: list[tuple[dict[str, str], dict[str, str]]] = field(default_factory=list)  # (hand-made row, new row)
    bad_emails: list[tuple[str, str]] = field(default_factory=list)  # (name, address) the data gave but is no address

    def rows_to_write(self, remove: bool) -> list[dict[str, str]]:
        gone = {id(row) for row in self.removed} if remove else set()
        return [row for row in self.rows if id(row) not in gone]

    def has_changes(self, remove: bool) -> bool:
        return bool(self.added or self.changed or self.refreshed or (remove and self.removed))


@dataclass(frozen=True)
class FileStyle:
    """How recipients.csv was saved, so that writing it back keeps what can be kept."""

    excel: bool = False  # ';' and a BOM, as Norwegian Excel reads it
    crlf: bool = True


def _clean(text: str) -> str:
    """A value from the data as it goes into a cell: one line, and never a spreadsheet formula."""
    return neutralise(" ".join(text.split()))


def _list_cell(values) -> str:
    # Lists in a cell are split on , ; and |, so a name must not carry them.
    return ", ".join(_clean(LIST_SEPARATORS.sub(" ", value)) for value in values)


def representative_row(representative: Representative, data_date: date | None) -> dict[str, str]:
    """The imported columns of a representative's row."""

    title = "stortingsrepresentant"
    if representative.deputy:
        title = f"vararepresentant for {representative.deputy_for}" if representative.deputy_for else "vararepresentant"
    return {
        "name": _clean(representative.name),
        "title": _clean(title),
        "organisation": "Stortinget",
        "committees": _list_cell(c.id for c in representative.committees),
        "committee_names": _list_cell(c.name for c in representative.committees),
        "party": _clean(representative.party),
        "party_name": _clean(representative.party_name),
        "county": _clean(representative.county),
        "county_name": _clean(representative.county_name),
        "person_id": representative.person_id,
        # No date is better than a wrong one: an empty verified_on counts as never checked until someone does.
        "verified_on": data_date.isoformat() if data_date else "",
        "source": f"{SOURCE} – hentet {format_date(data_date)}" if data_date else f"{SOURCE} – ukjent dato",
    }


def new_id(person_id: str, taken: set[str]) -> str:
    """``mp-`` and the person id made safe (``ÅSE`` → ``mp-ase``), unique among ``taken``."""
    stem = re.sub(r"[^a-z0-9-]+", "-", safe_stem(person_id)).strip("-") or "uten-id"
    base = f"mp-{stem}"[:60].rstrip("-")
    candidate, number = base, 1
    while candidate in taken or not ID_PATTERN.match(candidate):
        number += 1
        candidate = f"{base}-{number}"
    taken.add(candidate)
    return candidate


def read_existing(path: Path, problems: Problems) -> tuple[list[str], list[dict[str, str]], FileStyle]:
    """The current recipients.csv as header and rows (empty if there is none yet), and how it was saved."""
    if not path.exists():
        return list(RECIPIENT_COLUMNS), [], FileStyle()
    table = read_csv(path, problems, path.name, RECIPIENT_REQUIRED, RECIPIENT_COLUMNS)
    if table is None:
        return list(RECIPIENT_COLUMNS), [], FileStyle()
    raw = path.read_bytes()
    style = FileStyle(excel=table.separator == ";", crlf=b"\r\n" in raw or b"\n" not in raw)
    return table.header, [row for _, row in table.rows], style


def plan_import(header: list[str], rows: list[dict[str, str]], roster: Roster, today: date) -> ImportPlan:
    """Merge the roster into the existing rows (left as they are); report what would change."""
    # A live answer without a date is today's list; a saved one without a date has the file's date or none.
    data_date = roster.data_date or (today if roster.date_from == "svaret" else None)
    header = list(header) + [c for c in RECIPIENT_COLUMNS if c not in header]
    merged = [dict(row) for row in rows]
    plan = ImportPlan(header=header, rows=merged, data_date=data_date)
    by_person = {row["person_id"]: row for row in merged if row.get("kind", "").lower() == "mp" and row.get("person_id")}
    hand_made = {row["name"].casefold(): row for row in merged if row.get("kind", "").lower() == "mp" and not row.get("person_id")}
    taken = {row.get("id", "") for row in merged}
    for representative in roster.representatives:
        fresh = representative_row(representative, data_date)
        email = _clean(representative.email)
        if email and not EMAIL_PATTERN.match(email):
            plan.bad_emails.append((fresh["name"], email))
            email = ""
        row = by_person.pop(representative.person_id, None)
        if row is None:
            row = {column: "" for column in header}
            row.update(fresh)
            row.update(id=new_id(representative.person_id, taken), kind="mp", email_verified="nei")
            if email:
                row["email"] = email
            merged.append(row)
            plan.added.append(row)
            twin = hand_made.get(row["name"].casefold())
            if twin is not None:
                plan.look_alikes.append((twin, row))
            continue
        updates = {column: fresh[column] for column in IMPORTED_COLUMNS if row.get(column, "") != fresh[column]}
        if email and not row.get("email"):
            # An address from the data is a lead, not a check: it stays unverified.
            updates.update(email=email, email_verified="nei")
        if updates:
            plan.changed.append(Change(
                row.get("id", ""), fresh["name"],
                tuple((column, row.get(column, ""), value) for column, value in updates.items()),
            ))
        elif (row.get("verified_on"), row.get("source")) != (fresh["verified_on"], fresh["source"]):
            plan.refreshed += 1
        row.update(updates, verified_on=fresh["verified_on"], source=fresh["source"])
    plan.removed = list(by_person.values())
    return plan


def write_recipients(path: Path, plan: ImportPlan, style: FileStyle, *, remove: bool) -> None:
    """Write the merged recipients.csv atomically, in UTF-8 with the file's separator and line ends."""
    rows = [[row.get(column, "") for column in plan.header] for row in plan.rows_to_write(remove)]
    # Cells are written as they are: imported values were made formula-safe when read, and the
    # organiser's own cells must come back unchanged.
    data = csv_bytes(plan.header, rows, excel=style.excel, neutralise_cells=False)
    if not style.crlf:
        data = data.replace(b"\r\n", b"\n")
    atomic_write_bytes(path, data)
