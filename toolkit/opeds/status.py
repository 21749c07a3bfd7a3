"""The op-ed state file (opeds-status.csv): what was planned, sent, accepted, published or declined.

The organiser edits the file in Excel or a text editor; every run keeps what the organiser wrote and
rewrites only the rows still marked as planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from toolkit.core.campaign import parse_date
from toolkit.core.errors import Problems
from toolkit.core.excel_in import excel_twin
from toolkit.core.sources import read_csv
from toolkit.core.tabular import FORMULA_STARTS, csv_bytes

STATUS_COLUMNS = ("date", "outlet", "piece", "version", "language", "signatory", "status", "answered_on", "notes")
STATUS_REQUIRED = ("date", "outlet", "piece", "status")

# What the organiser may write in the status column, and what the toolkit writes back.
STATUS_WORDS = {
    "planlagt": "planned", "planned": "planned",
    "sendt": "pitched", "sendt inn": "pitched", "pitched": "pitched", "sent": "pitched",
    "antatt": "accepted", "godtatt": "accepted", "accepted": "accepted",
    "publisert": "published", "på trykk": "published", "published": "published",
    "avslått": "declined", "avslatt": "declined", "refusert": "declined", "avvist": "declined", "declined": "declined",
    "trukket": "withdrawn", "trukke": "withdrawn", "tatt tilbake": "withdrawn", "withdrawn": "withdrawn",
}
STATUS_NAMES = {
    "planned": "planlagt", "pitched": "sendt", "accepted": "antatt", "published": "publisert", "declined": "avslått",
    "withdrawn": "trukket",
}
# A pitch that is over: the outlet said no, or the organiser took the piece back.
CLOSED = ("declined", "withdrawn")
VERSION_WORDS = {"kronikk": "kronikk", "debatt": "debatt", "debattinnlegg": "debatt", "innlegg": "debatt"}


@dataclass(frozen=True)
class Submission:
    """One piece to one outlet on one day, signed by one person; ``row`` is its row in the status file (0 = new)."""

    day: date
    outlet: str
    piece: str
    version: str
    language: str
    signatory: str
    status: str = "planned"
    answered_on: date | None = None
    notes: str = ""
    row: int = 0
    extra: tuple[tuple[str, str], ...] = ()  # the organiser's own columns, kept as they are

    @property
    def placed(self) -> bool:
        """Accepted or published: the piece has found its outlet and goes nowhere else."""
        return self.status in ("accepted", "published")


def _cell(value: str) -> str:
    """Undo the apostrophe the toolkit puts before text Excel would run as a formula."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def load_status(path: Path, problems: Problems, setup, label: str = "opeds-status.csv") -> tuple[tuple[Submission, ...], str]:
    """Read the status file if there is one; return its rows and its separator (';' for a new file)."""

    if not path.exists() and excel_twin(path) is None:
        return (), ";"
    # No list of known columns: the organiser's own columns are kept, not warned about.
    table = read_csv(path, problems, label, STATUS_REQUIRED)
    if table is None:
        return (), ";"
    outlets = {o.id: o for o in setup.outlets}
    by_name = {o.name.lower(): o.id for o in setup.outlets}
    pieces = {p.id for p in setup.pieces}
    rows: list[Submission] = []
    for number, raw in table.rows:
        row = {key: _cell(value) for key, value in raw.items()}
        bad = problems.in_row(label, number)
        day = parse_date(row["date"])
        if day is None:
            bad("date", f"«{row['date']}» er ikke en dato.", "Skriv datoen som 2026-11-25 eller 25.11.2026.")
        outlet = row["outlet"] if row["outlet"] in outlets else by_name.get(row["outlet"].lower())
        if outlet is None:
            bad("outlet", f"Avisa «{row['outlet']}» finnes ikke i outlets.csv.", "Bruk avisas id eller navn slik det står i outlets.csv.")
        piece = row["piece"]
        if piece not in pieces:
            bad("piece", f"Innlegget «{piece}» finnes ikke.", f"Bruk en id fra opeds.pieces i campaign.yaml: {', '.join(sorted(pieces))}.")
        status = STATUS_WORDS.get(row["status"].lower())
        if status is None:
            bad("status", f"Ukjent status «{row['status']}».", "Skriv planlagt, sendt, antatt, publisert, avslått eller trukket.")
        version = VERSION_WORDS.get(row.get("version", "").lower(), "") if row.get("version") else ""
        if row.get("version") and not version:
            bad("version", f"Ukjent versjon «{row['version']}».", "Skriv kronikk eller debatt.")
        language = row.get("language", "").lower()
        if language and language not in ("nb", "nn"):
            bad("language", f"Ukjent språk «{row['language']}».", "Skriv nb eller nn.")
        signatory = setup.signatory(row.get("signatory", ""))
        if row.get("signatory") and signatory is None:
            bad("signatory", f"«{row['signatory']}» står ikke i signatories.csv.", "Legg personen til der, eller rett navnet.")
        if status == "planned" and not (version and language and signatory):
            missing = [name for name, value in (("version", version), ("language", language), ("signatory", signatory)) if not value]
            bad(missing[0], "En planlagt rad trenger versjon, språk og underskriver.",
                "Fyll inn feltet, eller slett raden så planlegger verktøyet dagen på nytt.")
        answered = None
        if row.get("answered_on"):
            answered = parse_date(row["answered_on"])
            if answered is None:
                bad("answered_on", f"«{row['answered_on']}» er ikke en dato.", "Skriv datoen som 2026-11-27 eller 27.11.2026.")
            elif day and answered < day:
                bad("answered_on", f"Svaret ({answered:%d.%m.%Y}) kom før innlegget ble sendt ({day:%d.%m.%Y}).", "Rett en av datoene.")
            elif status in ("planned", "pitched"):
                problems.warning(label, "Det står en svardato, men statusen sier ikke hva svaret var.",
                                 "Skriv antatt, publisert, avslått eller trukket i status.", row=number, field="status")
        if day is None or outlet is None or piece not in pieces or status is None:
            continue
        rows.append(
            Submission(
                day=day, outlet=outlet, piece=piece, version=version, language=language,
                signatory=signatory.name if signatory else row.get("signatory", ""), status=status,
                answered_on=answered, notes=row.get("notes", ""), row=number,
                extra=tuple((column, row[column]) for column in table.header if column and column not in STATUS_COLUMNS),
            )
        )
    _report_conflicts(rows, problems, label, setup.gap_days)
    return tuple(rows), table.separator


def _report_conflicts(rows: list[Submission], problems: Problems, label: str, gap_days: int) -> None:
    """Warn where the organiser's own record has a piece with two outlets at once, or an outlet with two
    pieces fewer than ``gap_days`` days apart."""
    done = [r for r in rows if r.status != "planned"]
    for index, first in enumerate(done):
        for second in done[index + 1:]:
            if first.piece == second.piece and first.outlet != second.outlet:
                earlier, later = sorted((first, second), key=lambda r: (r.day, r.row))
                closed_on = earlier.answered_on or earlier.day if earlier.status in CLOSED else None
                if closed_on is None or later.day < closed_on:
                    problems.warning(
                        label,
                        f"«{later.piece}» ble sendt til {later.outlet} mens {earlier.outlet} fortsatt hadde det (rad {earlier.row}).",
                        "Si fra til en av avisene, så innlegget ikke trykkes to steder. Skriv «trukket» med dato på raden "
                        "til avisa som ikke skal ha det.", row=later.row, field="outlet",
                    )
            if first.outlet == second.outlet and first.piece != second.piece and abs((first.day - second.day).days) < gap_days:
                problems.warning(
                    label, f"{first.outlet} fikk to innlegg med under {gap_days} dagers mellomrom (også rad {first.row}).",
                    "Aviser tar sjelden to innlegg fra samme avsender så tett; neste innlegg dit planlegges med avstand.",
                    row=second.row, field="date",
                )


def status_bytes(rows: list[Submission], separator: str) -> bytes:
    """The status file's content: every row in date order, with Norwegian status words and the organiser's own columns."""
    ordered = sorted(rows, key=lambda r: (r.day, r.outlet, r.piece))
    extra = list(dict.fromkeys(column for r in ordered for column, _ in r.extra))
    cells = [
        [
            r.day.isoformat(), r.outlet, r.piece, r.version, r.language, r.signatory, STATUS_NAMES[r.status],
            r.answered_on.isoformat() if r.answered_on else "", r.notes,
        ] + [dict(r.extra).get(column, "") for column in extra]
        for r in ordered
    ]
    return csv_bytes(list(STATUS_COLUMNS) + extra, cells, excel=separator == ";")

