"""`toolkit init MAPPE`: a new campaign folder from the shipped example.

The example campaign is packed into the toolkit (toolkit/data/example/, made by setup.py from the
repository's root); in a checkout it is read from the root itself. The copy gets:

- its dates moved to the chosen year's 25 November – 10 December (the period, the posts, the days the
  world marks, the op-eds' send windows; weekdays named in comments follow), the years of facts and
  sources left as they are;
- the organisation's fields (name, address, website, e-mail, who signs, the SMTP server) replaced by
  marked placeholders, «FYLL INN: …», which `toolkit validate` reports until they are filled in;
- a short LESMEG.md with the next steps.

It never writes into a folder that has anything in it.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

from toolkit.core.errors import Problems, ToolkitError
from toolkit.core.fsutil import atomic_write_text
from toolkit.core.sources import LineDict, LineList, _parse_yaml, load_yaml
from toolkit.core.templates import format_date

PACKAGED = Path(__file__).resolve().parent.parent / "data" / "example"
NAMES_FILE = Path(__file__).resolve().parent.parent / "data" / "example-files.txt"
REPOSITORY = Path(__file__).resolve().parents[2]
MARK = "FYLL INN"
MARK_PATTERN = re.compile(r"FYLL[ -]INN", re.IGNORECASE)
EXAMPLE_YEAR = 2026
WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS = {"november": 11, "desember": 12}
DATED_FILES = ("campaign.yaml", "posts.yaml", "observances.yaml")

# campaign.yaml's organisation fields and what stands in their place until they are filled in.
PLACEHOLDERS = {
    ("organisation", "name"): f"{MARK}: organisasjonens fulle navn",
    ("organisation", "address"): f'["{MARK}: postadresse", "{MARK}: postnummer og sted"]',
    ("organisation", "website"): "https://fyll-inn.example.org",
    ("organisation", "email"): "fyll-inn@example.org",
    ("smtp", "host"): "fyll-inn.example.org",
    ("smtp", "user"): "fyll-inn@example.org",
}
SIGNATORY_PLACEHOLDERS = {"name": f"{MARK}: navn", "role": f"{MARK}: rolle"}


class InitError(ToolkitError):
    exit_code = 1


def example_folder() -> Path:
    """Where the example campaign is: packed in the toolkit, or the repository's root in a checkout."""
    if (PACKAGED / "campaign.yaml").is_file():
        return PACKAGED
    if (REPOSITORY / "campaign.yaml").is_file() and (REPOSITORY / "letter_templates").is_dir():
        return REPOSITORY
    raise InitError("Fant ikke eksempelkampanjen i installasjonen. Installer toolkit på nytt (pip install --force-reinstall).")


def example_names() -> list[str]:
    lines = NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def default_year(today: date) -> int:
    """This year's campaign until it is over (10 December), then next year's."""
    return today.year if today <= date(today.year, 12, 10) else today.year + 1


def move_dates(text: str, year: int, *, comments_only_years: bool = False) -> str:
    """Move the example's dates of the campaign season (October–December 2026) to ``year``; weekdays in comments follow."""
    shift = year - EXAMPLE_YEAR

    def iso(match: re.Match) -> str:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        # The period and its run-up (op-eds sent from mid-November): October to December of the example year.
        if day.year == EXAMPLE_YEAR and day.month >= 10:
            return date(day.year + shift, day.month, day.day).isoformat()
        return match.group(0)

    text = re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b", iso, text)
    lines = []
    for line in text.split("\n"):
        if line.lstrip().startswith("#"):
            line = re.sub(
                rf"\b({'|'.join(WEEKDAYS)}) (\d{{1,2}})\. ({'|'.join(MONTHS)})",
                lambda m: f"{WEEKDAYS[date(year, MONTHS[m.group(3)], int(m.group(2))).weekday()]} {m.group(2)}. {m.group(3)}",
                line,
            )
            line = line.replace(str(EXAMPLE_YEAR), str(year))
        elif re.match(r"^year:\s*\d{4}\b", line):
            line = re.sub(r"\d{4}", str(year), line, count=1)
        lines.append(line)
    return "\n".join(lines)


def _replace_value(line: str, value: str) -> str:
    """The line ``key: old  # comment`` with ``value`` in place of ``old``, comment kept."""
    match = re.match(r"^(\s*(?:- )?[\w]+:\s*)(.*?)(\s+#.*)?$", line)
    if not match:
        return line
    return f"{match.group(1)}{value}{match.group(3) or ''}"


def placeholders(text: str) -> str:
    """campaign.yaml with the organisation's fields as marked placeholders."""

    data = _parse_yaml(text)
    lines = text.split("\n")
    for (section, key), value in PLACEHOLDERS.items():
        part = data.get(section)
        if part is not None and key in part:
            index = part.lines[key] - 1
            quoted = value if value.startswith("[") else f'"{value}"' if ":" in value else value
            lines[index] = _replace_value(lines[index], quoted)
    people = data.get("signatories") or []
    for position, person in enumerate(people):
        for key, value in SIGNATORY_PLACEHOLDERS.items():
            if isinstance(person, LineDict) and key in person:
                index = person.line_of(key) - 1
                lines[index] = _replace_value(lines[index], f'"{value} {position + 1}"')
    return "\n".join(lines)


README = """# Kampanjen {year}: slik kommer du i gang

Denne mappen er laget av `toolkit init` fra eksempelkampanjen som følger med verktøyet: 16 dager
mot vold mot kvinner, {start} – {end}, med menneskehandel som tema. Alt er vanlige filer du kan
endre i en tekstbehandler eller i Excel.

1. **Fyll inn organisasjonen.** Åpne `campaign.yaml` og bytt ut alt som står «FYLL INN» (navn,
   adresse, nettsted, e-postadresse, hvem som skriver under og e-postserveren). Kjør
   `toolkit validate --campaign {folder}`: den viser hver linje som mangler, til alt er fylt inn.
2. **Hent Stortinget.** `toolkit recipients import-stortinget --campaign {folder}` henter dagens
   stortingsrepresentanter inn i `recipients.csv` (kilde: data.stortinget.no).
3. **Sjekk adressene.** Departementenes og komiteenes e-postadresser i `recipients.csv` er ikke
   sjekket. Kontroller hver av dem på regjeringen.no og stortinget.no, og skriv `ja` i
   `email_verified` og datoen i `verified_on`. Verktøyet sender aldri til en adresse som ikke er sjekket.
4. **Legg til brevhodet.** Legg organisasjonens Word-brevmal i mappen som `letterhead.docx`, så blir
   brevene skrevet på den, med logo, topptekst og bunntekst. Logoen til bildene i sosiale medier
   legges i mappen og skrives inn under `images:` i `campaign.yaml`.
5. **Se over tekstene.** Kravene står i `demands.yaml`, tallene med kilder i `facts.yaml`, innleggene
   i `posts.yaml` og brevene i `letter_templates/`. Sjekk at tallene fortsatt er de nyeste.
6. **Lag pakken.** `toolkit build --campaign {folder}` skriver brev, e-post, kronikker og
   postkalender i mappen `ut/`. `toolkit send --campaign {folder}` viser hva som ville blitt sendt;
   først med `--send` går noe ut.

Hjelp til hver kommando: `toolkit KOMMANDO --help`.
"""


def init_campaign(target: Path, year: int) -> list[Path]:
    """Write a new campaign folder at ``target``; raise InitError if it has anything in it."""
    target = Path(target)
    if target.exists():
        if not target.is_dir():
            raise InitError(f"{target} finnes allerede og er en fil. Velg et navn på en ny mappe.")
        if any(target.iterdir()):
            raise InitError(f"Mappen {target} har allerede filer i seg, og toolkit init skriver aldri over noe. "
                            "Velg en ny eller tom mappe.")
    if not 2000 <= year <= 2100:
        raise InitError(f"Året {year} er ikke et kampanjeår. Skriv et år som 2027.")
    source = example_folder()
    names = example_names()
    missing = [name for name in names if not (source / name).exists()]
    if missing:
        raise InitError(f"Eksempelkampanjen i installasjonen mangler {', '.join(missing)}. Installer toolkit på nytt.")

    target.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for name in names:
            path = source / name
            if path.is_dir():
                shutil.copytree(path, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                written.append(target / name)
                continue
            data = path.read_bytes()
            if name in DATED_FILES:
                text = move_dates(data.decode("utf-8"), year)
                if name == "campaign.yaml":
                    text = placeholders(text)
                data = text.encode("utf-8")
            (target / name).write_bytes(data)
            written.append(target / name)
        start, end = date(year, 11, 25), date(year, 12, 10)

        atomic_write_text(target / "LESMEG.md", README.format(
            year=year, start=format_date(start), end=format_date(end), folder=_shown(target)))
        written.append(target / "LESMEG.md")
    except BaseException:
        # Nothing half-written: the folder was empty (or new) before, so it is emptied again.
        for path in written:
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        raise
    return written


def _shown(target: Path) -> str:
    text = str(target)
    return f'"{text}"' if " " in text else text


def check_placeholders(campaign, problems: Problems) -> None:
    """`toolkit validate`: every «FYLL INN» left in campaign.yaml is an error on its line."""

    def walk(value, where: str, line: int) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                inner_line = value.line_of(key) if isinstance(value, LineDict) else lines.get(key, line)
                walk(inner, f"{where}.{key}" if where else str(key), inner_line)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(inner, f"{where}[{index + 1}]", value.line_of(index) if isinstance(value, LineList) else line)
        elif isinstance(value, str) and MARK_PATTERN.search(value):
            problems.error("campaign.yaml", f"«{value}» er ikke fylt inn.",
                           "Skriv inn organisasjonens egne opplysninger (se LESMEG.md).", line=line or None, field=where)

    # campaign.config is a plain copy of the top level; its lines are on the LineDict it was made from.
    lines = getattr(campaign.config, "lines", None) or _top_lines(campaign)
    walk(campaign.config, "", 0)


def _top_lines(campaign) -> dict:

    data = load_yaml(campaign.folder / "campaign.yaml", Problems(), "campaign.yaml")
    return dict(data.lines) if data is not None else {}
