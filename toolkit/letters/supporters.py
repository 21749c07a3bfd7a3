"""Supporters' letters: people who sign, as themselves, letters to the representatives of their district.

supporters.csv holds personal data: it stays in the campaign folder and the outputs stay in the
output folder; nothing here is logged. The letters are rendered and written one at a time, so a
run over thousands of supporters holds one supporter's letters in memory, never all of them.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import shutil
from array import array
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from toolkit.core import markup
from toolkit.core.campaign import EMAIL_PATTERN, ID_PATTERN, one_line_cells
from toolkit.core.docx import build_docx
from toolkit.core.errors import Problems, ToolkitError
from toolkit.core.excel_in import excel_twin
from toolkit.core.fsutil import atomic_write_bytes, atomic_write_text, safe_stem
from toolkit.core.model import LANGUAGES, Campaign, Recipient, Supporter
from toolkit.core.sources import (
    LINE,
    SEP_LINE,
    open_binary,
    read_csv,
    report_bad_utf16,
    report_not_text,
    report_unknown_encoding,
    sniff_separator,
    utf16_codec,
)
from toolkit.core.templates import Templates
from toolkit.letters.check import SimilarityReport, check_similarity, write_report
from toolkit.letters.pack import file_stem, letter_fingerprint, remove_stale, templates_for, write_letter_files
from toolkit.letters.render import (
    LETTER_TEMPLATES,
    LETTER_VARIABLES,
    ContextCache,
    lookup_names,
)
from toolkit.letters.similarity import Fingerprints, Result, give_back_free_memory

if TYPE_CHECKING:
    from toolkit.letters.check import SimilarityReport

SUPPORTERS_FILE = "supporters.csv"
SUPPORTER_COLUMNS = ("id", "name", "email", "county", "place", "personal_paragraph", "language", "address")
SUPPORTER_REQUIRED = ("id", "name", "email", "county")
MAX_PARAGRAPH_CHARS = 1500
OUTPUT_FOLDER = "supporters"
MANIFEST_FILE = "manifest.json"
PRINT_FILE = "alle-brev.docx"
OVERVIEW_FILE = "oversikt-underskrivere.csv"
SIMILARITY_FILE = "likhet-underskrivere.csv"
# Markup a paragraph must not start with, or it would turn into a heading, a bullet or a style block.
LEADING_MARKUP = re.compile(r"^[#:\-\s]+")


class SupportersNotReady(ToolkitError):
    """Some supporters' letters are too like other supporters' letters to be sent."""

    pack_is_whole = True  # the pack is written (those letters held back): it is switched into place (toolkit.pack)

    exit_code = 2


@dataclass
class SupporterReport:
    """What a supporters' run wrote."""

    supporters: int = 0
    letters: int = 0
    without_letters: list[str] = field(default_factory=list)  # supporters with no representative left after --to
    needs_paragraph: list[str] = field(default_factory=list)  # drafts only: no personal paragraph yet
    too_similar: list[str] = field(default_factory=list)  # letters too like other supporters' letters: not sendable
    similarity: SimilarityReport = field(default_factory=lambda: _no_letters())  # over the sendable letters
    ready: int = 0  # supporters whose letters can be sent
    similarity_seconds: float = 0.0  # how long the similarity check over all letters took

    def problem_lines(self) -> list[str]:
        """What the organiser must follow up, in words."""
        lines = []
        if self.needs_paragraph:
            lines.append(
                f"{len(self.needs_paragraph)} underskrivere mangler et personlig avsnitt; de har fått utkast med "
                f"spørsmål, men ingen e-post blir sendt før avsnittet er skrevet: {', '.join(self.needs_paragraph[:20])}"
                + (" …" if len(self.needs_paragraph) > 20 else "")
            )
        if self.too_similar:
            lines.append(
                f"{len(self.too_similar)} underskriveres brev er for like andres (over {self.similarity.threshold:.2f}) "
                f"og blir ikke sendt før de har skrevet et lengre personlig avsnitt: {', '.join(self.too_similar[:20])}"
                + (" …" if len(self.too_similar) > 20 else "")
            )
        return lines

    def raise_if_too_similar(self) -> None:
        """Officials discount identical letters: a batch with near-copies fails, naming who must write more."""
        if self.too_similar:
            raise SupportersNotReady(
                f"{len(self.too_similar)} underskriveres brev ligner for mye på andres (grensen er "
                f"{self.similarity.threshold:.2f}; se {SIMILARITY_FILE}). Be dem skrive et lengre personlig avsnitt "
                "i supporters.csv og kjør på nytt. De andre brevene er klare."
            )


def _no_letters() -> SimilarityReport:

    return SimilarityReport(Result(), 0.0, 0)


def districts(campaign: Campaign) -> dict[str, tuple[str, str]]:
    """Electoral districts that have representatives in recipients.csv, by id and by name (case-folded)."""
    found: dict[str, tuple[str, str]] = {}
    for recipient in campaign.recipients:
        if recipient.kind == "mp" and recipient.county:
            district = (recipient.county, recipient.county_name or recipient.county)
            found[recipient.county.casefold()] = district
            found[district[1].casefold()] = district
    return found


# A safety valve, not a limit on campaigns: the file is read as a stream whatever its size, but a file
# this large is more likely the wrong file than a list of people. ``toolkit letters --max-mb`` moves it.
DEFAULT_MAX_MB = 1024


class SupporterSource:
    """supporters.csv, checked in one pass and then read again row by row for each step that needs it.

    Nothing holds every supporter at once: a run over 100,000 supporters keeps a few bytes per
    supporter (their letters' variant) besides what is being written. The file's SHA-256 is taken on
    the first pass and checked on every later one, so a file changed during a run stops it with a
    clear message instead of mixing two versions.

    supporters.xlsx is the exception: a workbook cannot be read a row at a time from where it was
    left (openpyxl reads it whole, see core/excel_in.py), so its rows are read once and kept
    (``table``); its size is limited by the Excel reader, not by ``--max-mb``.
    """

    def __init__(self, path: Path, label: str, encoding: str, digest: bytes, known: dict,
                 table: list[tuple[int, dict[str, str]]] | None = None):
        self.path, self.label, self.encoding, self.digest, self.known = path, label, encoding, digest, known
        self.table = table
        self.variants = array("I")  # per supporter, in file order: see ``variant_numbers``
        self.first_of_language: dict[str, Supporter] = {}

    def __len__(self) -> int:
        return len(self.variants)

    def rows(self, check: bool = True):
        """``(row number, kind, row)`` as ``_csv_rows`` gives them, from the file again (``check``: the
        file must not have changed since it was checked) or from the workbook's rows."""
        if self.table is not None:
            for number, row in self.table:
                yield number, ROW, row
            return
        digest = hashlib.sha256() if check else None
        with open(self.path, "rb") as raw:
            yield from _csv_rows(_hashing(raw, digest), self.encoding)
        if digest is not None and digest.digest() != self.digest:
            raise ToolkitError(
                f"{self.label} ble endret mens brevene ble skrevet. Kjør kommandoen på nytt når filen er lagret ferdig."
            )

    def __iter__(self):
        """Each supporter in file order, read from the file again (the file must not have changed)."""
        for number, kind, row in self.rows():
            if kind is ROW:
                yield _supporter(row, number, self.known)

    def with_variants(self):
        """``(supporter, variant)`` for each supporter in file order."""
        return zip(self, self.variants, strict=True)


def _hashing(raw, digest=None, size: int = 1 << 20):
    """The file's bytes in blocks, each added to ``digest`` (when given) as it is read."""
    while True:
        block = raw.read(size)
        if not block:
            return
        if digest is not None:
            digest.update(block)
        yield block


HEADER, ROW, WIDE = "header", "row", "wide"


def _csv_rows(blocks, encoding: str):
    """``(row number, {column: stripped value})`` per non-empty row of a CSV file given as byte blocks.

    As ``sources.read_csv`` reads a file (separator sniffed from the header line, the header the first
    row with content, spreadsheet row numbers), but one row at a time; the header comes first as
    ``(number, HEADER, column names)`` and a row with too many cells as ``(number, WIDE, cells)``.
    """
    import csv


    decoder = codecs.getincrementaldecoder(encoding)()

    def lines():
        pending = ""
        for block in blocks:
            pending += decoder.decode(block)
            # Whole lines only; a "\r" at the very end may be the first half of a "\r\n": its line waits.
            end = len(pending) - 1 if pending.endswith("\r") else len(pending)
            cut = max(pending.rfind("\n", 0, end), pending.rfind("\r", 0, end))
            if cut >= 0:
                yield from _split_lines(pending[: cut + 1])
                pending = pending[cut + 1 :]
        pending += decoder.decode(b"", final=True)
        if pending:
            yield from _split_lines(pending)

    stream = lines()
    row_number = 0
    buffered: list[str] = []
    separator = None
    for line in stream:
        row_number += 1
        if row_number == 1:
            line = line.lstrip("\ufeff")  # a UTF-16 file's byte order mark, when the codec leaves it
        if not line.strip(" \t\r\n;,\""):  # Excel leaves empty rows; the header is the first row with content
            continue
        hinted = SEP_LINE.match(line.rstrip("\r\n")) if separator is None else None
        if hinted:
            # Excel's "sep=;" line names the separator; Excel does not show it as a row, so it is not counted.
            separator, row_number = hinted.group(1), 0
            continue
        buffered.append(line)
        break
    if not buffered:
        return
    if separator is None:
        separator = sniff_separator(buffered[0].rstrip("\r\n"))
    import itertools

    reader = csv.reader(itertools.chain(buffered, stream), delimiter=separator)
    header: list[str] | None = None
    offset = 0  # records read: the next one is on spreadsheet row row_number + offset
    try:
        for record in reader:
            number = row_number + offset
            offset += 1
            if header is None:
                header = [cell.strip().lower() for cell in record]
                yield number, HEADER, header
            elif not any(cell.strip() for cell in record):
                continue
            elif len(record) > len(header) and any(cell.strip() for cell in record[len(header):]):
                yield number, WIDE, record
            else:
                yield number, ROW, {column: (record[i].strip() if i < len(record) else "") for i, column in enumerate(header)}
    except csv.Error as exc:
        # The row the failing record starts on: where a closing quote is missing, not where the file ends.
        raise CsvProblem(row_number + offset, exc) from exc


class CsvProblem(Exception):
    """A row the csv module cannot read (an unclosed quote, a cell over the size limit)."""

    def __init__(self, row: int, error: Exception):
        super().__init__(str(error))
        self.row = row

    def report(self, problems: Problems, label: str) -> None:
        """Worded as ``sources.read_csv`` words it."""
        import csv

        if "field larger than field limit" in str(self):
            limit = csv.field_size_limit()
            problems.error(
                label, f"En celle på rad {self.row} har mer enn {limit:,} tegn; grensen for én celle er {limit:,} tegn.".replace(",", " "),
                "Sjekk raden: ofte mangler et avsluttende anførselstegn, så resten av filen havner i én celle.",
                row=self.row,
            )
        else:
            problems.error(label, f"CSV-feil på rad {self.row}: {self}.", "Sjekk anførselstegnene.", row=self.row)


def _split_lines(text: str):

    for match in LINE.finditer(text):
        yield match.group()


def _supporter(row: dict, number: int, known: dict, paragraph: str | None = None) -> Supporter:
    district = known.get(row["county"].casefold())
    if paragraph is None:
        written = row.get("personal_paragraph", "")
        paragraph = LEADING_MARKUP.sub("", " ".join(written.split()))
    return Supporter(
        id=row["id"].lower(),
        name=row["name"],
        email=row["email"],
        county=district[0] if district else row["county"],
        county_name=district[1] if district else row["county"],
        place=row.get("place", ""),
        address=row.get("address", ""),
        personal_paragraph=paragraph,
        language=row.get("language", "").lower(),
        row=number,
    )


def _encoding(path: Path, problems: Problems, label: str, max_bytes: int):
    """The file's encoding (UTF-8 with or without BOM, else Windows-1252) and SHA-256, read as a stream."""
    handle = open_binary(path, problems, label)
    if handle is None:
        return None
    size = os.fstat(handle.fileno()).st_size
    if size > max_bytes:
        handle.close()
        problems.error(
            label,
            f"Filen er {size / 2**20:,.0f} MB, mer enn sikkerhetsgrensen på {max_bytes / 2**20:,.0f} MB.".replace(",", " "),
            "Sjekk at det er riktig fil. Er den det, kan du heve grensen med --max-mb (for eksempel --max-mb "
            f"{(size >> 20) + 100}).",
        )
        return None
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8-sig")()
    start = b""
    fits_utf8 = True
    offset, nul, newlines = 0, -1, 0  # where the first NUL byte is, and the line ends before it
    with handle:
        for block in _hashing(handle, digest):
            if len(start) < 4096:
                start += block[: 4096 - len(start)]
            if nul < 0:
                at = block.find(b"\x00")
                newlines += block.count(b"\n", 0, at if at >= 0 else len(block))
                nul = offset + at if at >= 0 else -1
            offset += len(block)
            if fits_utf8:
                try:
                    utf8.decode(block)
                except UnicodeDecodeError:
                    fits_utf8 = False
        if fits_utf8:
            try:
                utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                fits_utf8 = False
    # As ``sources.decode`` reads a whole file: UTF-16 (Excel's "Unicode Text"), a workbook saved
    # under a .csv name, stray NUL bytes, else UTF-8 with or without BOM, else Windows-1252.
    codec = utf16_codec(start)
    if codec is not None:
        decoder = codecs.getincrementaldecoder(codec)()
        with open(path, "rb") as raw:
            try:
                for block in _hashing(raw):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                report_bad_utf16(problems, label, f"en byte nær byte {exc.start}")
                return None
        return codec, digest.digest(), size
    if report_not_text(start, newlines + 1 if nul >= 0 else None, problems, label):
        return None
    if not fits_utf8:
        # Windows-1252 leaves five bytes undefined; a file with one of them is neither.
        with open(path, "rb") as raw:
            offset = 0
            for block in iter(lambda: raw.read(1 << 20), b""):
                for undefined in (0x81, 0x8D, 0x8F, 0x90, 0x9D):
                    at = block.find(bytes([undefined]))
                    if at >= 0:
                        report_unknown_encoding(problems, label, offset + at)
                        return None
                offset += len(block)
    return ("utf-8-sig" if fits_utf8 else "cp1252"), digest.digest(), size


def load_supporters(path: Path, campaign: Campaign, problems: Problems, label: str = SUPPORTERS_FILE,
                    max_mb: float = DEFAULT_MAX_MB):
    """Check supporters.csv row by row against the representatives in recipients.csv, as a stream.

    Returns a ``SupporterSource`` (iterate it for the supporters, ``len()`` for how many), or ``()``
    when the file cannot be read at all. Duplicate ids and addresses are found by 64-bit digests sorted
    after the pass (two different values with the same digest would be one chance in 10^10 at
    100,000 rows, and would be reported as a duplicate, never let through).

    supporters.xlsx (given as ``path``, or beside a ``path`` of supporters.csv that does not exist) is
    read by the Excel reader instead, whole; see ``SupporterSource``.
    """

    twin = path if path.suffix.lower() == ".xlsx" else excel_twin(path)
    if twin is not None:

        # Reports both files being there, reads the workbook and checks its header row.
        table = read_csv(path, problems, label, SUPPORTER_REQUIRED, SUPPORTER_COLUMNS)
        if table is None:
            return ()
        source = SupporterSource(twin, label, "", b"", districts(campaign), table=table.rows)
        header: list[str] | None = table.header
    else:
        opened = _encoding(path, problems, label, int(max_mb * 2**20))
        if opened is None:
            return ()
        encoding, digest, size = opened
        if not size:
            problems.error(label, "Filen er tom.", f"Første linje skal være overskriftene: {', '.join(SUPPORTER_REQUIRED)}.")
            return ()
        source = SupporterSource(path, label, encoding, digest, districts(campaign))
        header = None
    known = source.known
    if not known:
        problems.error(
            label, "recipients.csv har ingen stortingsrepresentanter å skrive til.",
            "Hent dem først med «toolkit recipients import-stortinget».",
        )
        return ()

    names = sorted({name for _, name in known.values()})
    ids, emails, numbers = array("Q"), array("Q"), array("I")
    by_district: dict[str, list[str]] = {}
    districts_seen: dict[str, int] = {}
    row_district, row_position = array("I"), array("I")  # per supporter: its district and place in by_district
    try:
        for number, kind, row in source.rows(check=False):
            if kind is HEADER:
                header = row
                if not _check_header(header, number, problems, label):
                    return ()
                continue
            if kind is WIDE:
                problems.error(label, f"Raden har {len(row)} celler, men det er {len(header or ())} kolonner.",
                               "Sjekk skilletegnet og anførselstegn i raden.", row=number)
                continue
            supporter = _check_row(row, number, known, names, problems, label)
            valid_id = bool(ID_PATTERN.match(supporter.id))
            ids.append(_digest(supporter.id) if valid_id else 0)
            emails.append(_digest(supporter.email.casefold()) if EMAIL_PATTERN.match(supporter.email) else 0)
            numbers.append(number)
            members = by_district.setdefault(supporter.county, [])
            row_district.append(districts_seen.setdefault(supporter.county, len(districts_seen)))
            row_position.append(len(members))
            members.append(supporter.id)
            if supporter.language and supporter.language not in source.first_of_language:
                source.first_of_language[supporter.language] = supporter
    except CsvProblem as exc:
        exc.report(problems, label)
        return ()
    except UnicodeDecodeError:
        problems.error(label, "Filen har tegn som verken er UTF-8 eller Windows-1252.", "Lagre filen på nytt som UTF-8.")
        return ()
    if header is None:
        problems.error(label, "Filen er tom.", f"Første linje skal være overskriftene: {', '.join(SUPPORTER_REQUIRED)}.")
        return ()
    _report_duplicates(source, ids, emails, numbers, problems)
    # Variants: each district's supporters numbered 0, 1, 2, … in the order of their ids.
    ranks = []
    for members in by_district.values():  # in the order of districts_seen
        rank = array("I", bytes(4 * len(members)))
        for variant, position in enumerate(sorted(range(len(members)), key=members.__getitem__)):
            rank[position] = variant
        ranks.append(rank)
    del by_district
    source.variants = array("I", (ranks[district][position] for district, position in zip(row_district, row_position, strict=True)))
    del ranks, row_district, row_position
    check_languages(campaign, source.first_of_language.values(), problems, label)
    return source


def _digest(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "little") or 1


def _check_header(header: list[str], number: int, problems: Problems, label: str) -> bool:
    seen: set[str] = set()
    for column in header:
        if column in seen and column:
            problems.error(label, f"Kolonnen «{column}» står to ganger.", "Fjern den ene.", row=number)
        seen.add(column)
    missing = [column for column in SUPPORTER_REQUIRED if column not in header]
    for column in missing:
        problems.error(label, f"Kolonnen «{column}» mangler.",
                       f"Legg den til i første rad. Kolonnene som trengs: {', '.join(SUPPORTER_REQUIRED)}.", row=number)
    for column in header:
        if column and column not in SUPPORTER_COLUMNS:
            problems.warning(label, f"Ukjent kolonne «{column}» blir ikke brukt.",
                             "Sjekk stavemåten hvis den skulle vært brukt.", row=number)
    return not missing


def _check_row(row: dict, number: int, known: dict, names: list[str], problems: Problems, label: str) -> Supporter:
    bad = problems.in_row(label, number)
    supporter_id = row["id"].lower()
    if not supporter_id:
        bad("id", "Mangler id.", "Gi raden en id med små bokstaver, tall og bindestrek.")
    elif not ID_PATTERN.match(supporter_id):
        bad("id", f"Id-en «{supporter_id}» er ugyldig.", "Bruk små bokstaver a–z, tall og bindestrek (høyst 64 tegn).")
    one_line_cells(row, ("name", "email", "county", "place", "address"), bad)
    if not row["name"]:
        bad("name", "Mangler navn.", "Skriv navnet slik det skal stå under brevene.")
    email = row["email"]
    if not email:
        bad("email", "Mangler e-postadresse.", "Svar på brevene går til underskriveren, så adressen trengs.")
    elif not EMAIL_PATTERN.match(email):
        bad("email", f"«{email}» er ikke en gyldig e-postadresse.", "Rett adressen.")
    if not row["county"]:
        bad("county", "Mangler valgdistrikt.", f"Skriv valgdistriktet (fylket) med navn eller id, for eksempel {names[0]}.")
    elif known.get(row["county"].casefold()) is None:
        bad("county", f"Fant ingen stortingsrepresentanter for «{row['county']}».",
            f"Skriv et av valgdistriktene i recipients.csv: {', '.join(names)}.")
    language = row.get("language", "").lower()
    if language and language not in LANGUAGES:
        bad("language", f"Ukjent språk «{row['language']}».", "Bruk nb, nn eller la feltet stå tomt.")
    written = row.get("personal_paragraph", "")
    paragraph = LEADING_MARKUP.sub("", " ".join(written.split()))
    if len(paragraph) > MAX_PARAGRAPH_CHARS:
        bad("personal_paragraph", f"Avsnittet har {len(paragraph)} tegn; grensen er {MAX_PARAGRAPH_CHARS}.", "Kort det ned.")
    return _supporter(row, number, known, paragraph)


def _report_duplicates(source: SupporterSource, ids: array, emails: array, numbers: array, problems: Problems) -> None:
    """Rows whose id or address an earlier row has, found by sorting digests; worded as before."""
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    rows = numpy.frombuffer(numbers, dtype=numpy.uint32)
    found: dict[int, list[tuple[str, int]]] = {}  # row number: (column, first row)
    for column, digests in (("id", ids), ("email", emails)):
        values = numpy.frombuffer(digests, dtype=numpy.uint64)
        order = numpy.lexsort((rows, values))
        values, ordered = values[order], rows[order]
        again = numpy.flatnonzero((values[1:] == values[:-1]) & (values[1:] != 0)) + 1
        firsts = numpy.searchsorted(values, values[again], "left")
        for at, first in zip(again.tolist(), firsts.tolist(), strict=True):
            found.setdefault(int(ordered[at]), []).append((column, int(ordered[first])))
    if not found:
        return
    # The values themselves, for the messages: read again, for the rows concerned only.
    for number, kind, row in source.rows(check=False):
        for column, first in found.get(number, ()) if kind is ROW else ():
            if column == "id":
                problems.error(source.label, f"Id-en «{row['id'].lower()}» er brukt før, på rad {first}.",
                               "Hver underskriver trenger en egen id.", row=number, field="id")
            else:
                problems.error(source.label, f"Adressen står også på rad {first}.",
                               "Hver underskriver trenger sin egen adresse; fjern den doble raden.", row=number, field="email")


def check_languages(campaign: Campaign, supporters, problems: Problems, label: str) -> None:
    """Each written standard a supporter asks for needs its MP letter template, demands and facts."""

    template = LETTER_TEMPLATES["mp"]
    for language in sorted({s.language for s in supporters if s.language}):
        first = next(s for s in supporters if s.language == language)
        templates = Templates(campaign.templates_dir, language)
        if not templates.exists(template):
            problems.error(
                label, f"Det finnes ingen brevmal på «{language}» (letter_templates/{language}/{template}).",
                "Legg til malene for dette skriftspråket, eller la feltet stå tomt.", row=first.row, field="language",
            )
            continue
        templates.check([template], LETTER_VARIABLES, problems)
        untranslated = [d.id for d in campaign.demands if language not in d.translations]
        untranslated += [f.id for f in campaign.facts.values() if language not in f.translations]
        if language != "nb" and untranslated:
            problems.error(
                label, f"Noen underskrivere skriver på nynorsk, men disse kravene og faktaene mangler nynorsk tekst: "
                f"{', '.join(untranslated[:8])}{' …' if len(untranslated) > 8 else ''}.",
                "Legg til «nn:» under dem i demands.yaml og facts.yaml, eller la feltet stå tomt.", row=first.row, field="language",
            )


def check_supporters_file(campaign: Campaign, problems: Problems) -> None:
    """`validate` checks supporters.csv when the campaign folder has one."""
    path = campaign.folder / SUPPORTERS_FILE
    if path.is_file() or path.with_suffix(".xlsx").is_file():  # supporters.xlsx is read in its place
        load_supporters(path, campaign, problems)


def representatives_by_district(recipients) -> dict[str, list[Recipient]]:
    grouped: dict[str, list[Recipient]] = {}
    for recipient in recipients:
        if recipient.kind == "mp" and recipient.county:
            grouped.setdefault(recipient.county, []).append(recipient)
    return grouped


def variant_numbers(supporters) -> dict[str, int]:
    """Number the supporters of each district 0, 1, 2, … so that the letters one representative gets
    from different supporters word the demands differently (see ``letters.letter_context``)."""
    groups: dict[str, list[str]] = {}
    for supporter in supporters:
        groups.setdefault(supporter.county, []).append(supporter.id)
    return {sid: number for ids in groups.values() for number, sid in enumerate(sorted(ids))}


@dataclass
class _Run:
    """What every supporter's letters share in one run (built once; given to each worker process)."""

    campaign: Campaign
    letter_date: date
    by_district: dict
    extra: tuple
    variants: dict
    templates: dict = field(default_factory=dict)
    names: tuple = ()
    supporters: tuple = ()
    pack: str = "files"  # "files": DOCX, text and e-mail per letter; "zip": one ZIP per supporter (and the e-mails)
    only: str = ""  # "eml": the e-mails only; "docx": the DOCX files and print file only
    contexts: ContextCache | None = None  # letter contexts shared by supporters' letters (made on first use)


@dataclass
class _Written:
    """What writing one supporter's letters produced; small, so workers can send it back."""

    letters: int
    fingerprints: list
    needs_paragraph: bool


_RUN: _Run | None = None  # set in each worker process by _start_worker
PARALLEL_FROM = 200  # supporters; below this, starting worker processes costs more than it saves
CHUNK = 25
IN_FLIGHT = 4  # chunks queued per worker: enough to keep them busy, few enough that memory stays flat
PACK_FILE = "brev.zip"
PACKS = ("files", "zip")
ONLY = ("", "eml", "docx")  # --only: everything, the e-mails only, the DOCX files only (to print)


def start_method() -> str:
    """How worker processes start: "fork" where the system has it and it is safe (Linux: the workers
    share the loaded campaign's memory), else "spawn" (Windows, and macOS where fork is unsafe)."""
    import multiprocessing
    import sys

    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


def _start_worker(run: _Run) -> None:
    global _RUN
    if not run.templates:
        # Started with "spawn": the templates (Jinja environments) do not pickle, so each worker makes its own.
        run.templates = templates_for(run.campaign)
    _RUN = run


def _write_chunk(chunk) -> list[_Written]:
    # Workers get the supporters of their chunk with their variants: the parent reads supporters.csv
    # as a stream and never holds more than a few chunks.
    run = _RUN
    if run is None:
        raise RuntimeError("a worker process that was not started by _start_worker")
    return [_write_supporter(run, supporter, variant) for supporter, variant in chunk]


def supporter_letters(run: _Run, supporter: Supporter, variant: int | None = None):
    """Yield ``(recipient, letter)`` for each representative this supporter writes to, rendered."""

    campaign = run.campaign
    if variant is None:
        variant = run.variants[supporter.id]
    contexts = run.contexts
    if contexts is None:
        # Made where the letters are rendered (in each worker process): it holds Jinja-free dicts only.
        contexts = run.contexts = ContextCache(campaign, run.letter_date, run.names)
    for recipient in [*run.by_district.get(supporter.county, []), *run.extra]:
        # The supporter writes in their own written standard, whatever the representative's.
        recipient = contexts.in_language(recipient, supporter.language or recipient.language or campaign.language)
        # The supporter's letter is headed by the supporter, not by the organisation (see _letter.j2).
        signer = {
            "name": supporter.name, "place": supporter.place or supporter.county_name,
            "address": supporter.address, "county": supporter.county_name,
        }
        additions = {"signer": signer, "personal_paragraph": supporter.personal_paragraph}
        yield recipient, contexts.render(run.templates, recipient, variant, additions)


def _write_supporter(run: _Run, supporter: Supporter, variant: int | None = None) -> _Written:
    """Render and write one supporter's letters, print file and manifest."""

    campaign = run.campaign
    folder = campaign.output_dir / OUTPUT_FOLDER / safe_stem(supporter.id)
    manifest = []
    printed: list[markup.Paragraph] = []
    stems = set()
    fingerprints = []
    sendable = bool(supporter.personal_paragraph)
    # --pack zip and --only eml: the outputs are gathered here, then zipped or only the e-mails written.
    files: dict[str, bytes] | None = {} if run.pack == "zip" or run.only == "eml" else None
    # --only docx: letters to print and post; no text copy, no e-mail, nothing for `toolkit send`.
    formats = {"eml": ("eml",), "docx": ("docx",)}.get(run.only, ("docx", "txt", "eml"))
    listed = run.only != "docx"  # the manifest lists the e-mails to send
    if files is not None:
        folder.mkdir(parents=True, exist_ok=True)
    for recipient, letter in supporter_letters(run, supporter, variant):
        sender = (supporter.name, supporter.email)
        entry = write_letter_files(campaign, letter, folder, folder, run.letter_date, sender=sender, with_email=sendable,
                                   files=files, formats=formats)
        stems.add(file_stem(recipient))
        if sendable:
            if listed:
                entry["sender"] = {"id": supporter.id, "name": supporter.name, "email": supporter.email}
                manifest.append(entry)
            fingerprints.append(letter_fingerprint(letter, group=supporter.id, key=f"{supporter.id}/{recipient.id}"))
        if run.only != "eml":
            first, *rest = letter.paragraphs
            # A section per letter, so each printed letter's pages are numbered from 1.
            printed.append(markup.Paragraph(first.style, first.runs, new_section=bool(printed)))
            printed.extend(rest)
    keep = {f"{stem}.{suffix}" for stem in stems for suffix in formats}
    if files is not None:
        keep = {f"{stem}.eml" for stem in stems}
    if printed:
        language = supporter.language or campaign.language
        printed_file = build_docx(printed, title=f"Brev fra {supporter.name}", language=language)
        if files is not None:
            files[PRINT_FILE] = printed_file
        else:
            atomic_write_bytes(folder / PRINT_FILE, printed_file, durable=False)
            keep.add(PRINT_FILE)
    if files is not None:
        # Loose .eml files are what `toolkit send` reads (checked against the manifest).
        for name, data in files.items():
            if name.endswith(".eml"):
                atomic_write_bytes(folder / name, data, durable=False)
        if run.pack == "zip" and files:
            atomic_write_bytes(folder / PACK_FILE, _zip(files, run.letter_date), durable=False)
    if run.pack != "zip":
        (folder / PACK_FILE).unlink(missing_ok=True)  # from an earlier run with --pack zip
    if files is not None and stems:
        (folder / PRINT_FILE).unlink(missing_ok=True)  # from an earlier run without --pack zip or --only eml
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", durable=False)
    remove_stale(folder, keep, (".docx", ".txt", ".eml"))
    return _Written(len(stems), fingerprints, not supporter.personal_paragraph and bool(stems))


def _zip(files: dict[str, bytes], when: date) -> bytes:
    """One supporter's files as a ZIP, the same bytes on every run (dated the letters' date)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(when.year, when.month, when.day, 0, 0, 0))
            info.external_attr = 0o644 << 16
            # DOCX files are ZIPs already: stored, not compressed twice.
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".docx") else zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()


def prepare_run(campaign: Campaign, supporters, letter_date: date, representatives=None, extra=(),
                pack: str = "files", only: str = "") -> _Run:
    """What every supporter's letters share: representatives by district, variants, templates, names."""

    streamed = isinstance(supporters, SupporterSource)
    return _Run(
        campaign=campaign,
        letter_date=letter_date,
        by_district=representatives_by_district(campaign.recipients if representatives is None else representatives),
        extra=tuple(extra),
        variants={} if streamed else variant_numbers(supporters),
        templates=templates_for(campaign),
        names=lookup_names(campaign),
        supporters=() if streamed else tuple(supporters),
        pack=pack,
        only=only,
    )


def write_supporter_letters(
    campaign: Campaign,
    supporters,
    letter_date: date,
    *,
    representatives=None,
    extra: tuple[Recipient, ...] = (),
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    pack: str = "files",
    only: str = "",
    method: str | None = None,
) -> SupporterReport:
    """Write, per supporter, a letter to each representative of their district (and to ``extra``).

    ``representatives`` narrows the MPs (``--to``); by default every MP in recipients.csv. Output:
    ``<output>/supporters/<supporter>/<recipient>.docx|.txt|.eml``, the supporter's ``manifest.json``
    (entries as in emails/manifest.json, with ``sender``) and ``alle-brev.docx`` for printing; and
    ``oversikt-underskrivere.csv`` for the organiser. A rerun replaces the whole folder's contents.
    ``pack="zip"`` puts each supporter's DOCX, text, e-mails and print file in one ``brev.zip`` (the
    e-mails stay beside it too, for `toolkit send`); ``only="eml"`` writes the e-mails only, ``only="docx"``
    the DOCX files and the print file only (letters posted on paper: the manifest lists nothing to send).

    ``supporters`` is a ``SupporterSource`` (read as a stream: the memory does not grow with the
    number of supporters) or a sequence. They are written one at a time; from ``PARALLEL_FROM``
    supporters on, by as many worker processes as the machine has cores (at most four), started
    by ``method`` (default ``start_method()``).
    """
    if pack not in PACKS or only not in ONLY:
        raise ValueError(f"pack={pack!r}, only={only!r}")
    out = campaign.output_dir / OUTPUT_FOLDER
    run = prepare_run(campaign, supporters, letter_date, representatives, extra, pack, only)
    streamed = isinstance(supporters, SupporterSource)
    ordered = supporters.with_variants() if streamed else ((s, run.variants[s.id]) for s in run.supporters)
    count = len(supporters)
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if count >= PARALLEL_FROM else 1
    report = SupporterReport()
    letters = array("I")  # per supporter, in order; the overview's rows are made when it is written
    # Per supporter: 1 a draft (no personal paragraph), 2 no letter at all. The ids are collected when
    # the overview is written, after the workers are done: kept during the run, thousands of small
    # strings among the objects made and freed for each supporter would hold the parent's heap open.
    flags = bytearray()
    out.mkdir(parents=True, exist_ok=True)
    # Each supporter's letters come together: no table of groups is needed (see Fingerprints).
    fingerprints = Fingerprints(spill_dir=out, contiguous_groups=True)
    written = array("Q")  # digests of the supporters' folder names, to find folders left from earlier runs
    for supporter, result in _write_all(run, ordered, workers, progress, method or start_method()):
        report.supporters += 1
        report.letters += result.letters
        letters.append(result.letters)
        written.append(_digest(safe_stem(supporter.id)))
        for item in result.fingerprints:
            fingerprints.add(item)
        flags.append((1 if result.needs_paragraph else 0) | (0 if result.letters else 2))
    _remove_old_folders(out, written)
    del written
    give_back_free_memory()  # what the run freed while the workers wrote, before the check's arrays come
    import time

    started = time.perf_counter()
    report.similarity = check_similarity(fingerprints, campaign.similarity_threshold)
    report.similarity_seconds = time.perf_counter() - started
    write_report(report.similarity, out / SIMILARITY_FILE, senders=True)
    fingerprints.close()
    report.too_similar = sorted({key.split("/", 1)[0] for key in report.similarity.over})
    for supporter_id in report.too_similar:
        _withdraw_emails(out / safe_stem(supporter_id))
    _write_overview(out / OVERVIEW_FILE, supporters if streamed else run.supporters, letters, flags,
                    set(report.too_similar), report, "klar til utskrift" if only == "docx" else "klar til sending")
    blocked = set(report.needs_paragraph) | set(report.too_similar)
    report.ready = report.supporters - len(blocked)
    return report


def _remove_old_folders(out: Path, written: array) -> None:
    """Remove the folders of supporters no longer in the file (only folders this step wrote: with a manifest)."""
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    if not out.is_dir():
        return
    digests = numpy.sort(numpy.frombuffer(written, dtype=numpy.uint64))
    for folder in out.iterdir():
        if folder.is_dir() and (folder / MANIFEST_FILE).is_file():
            value = numpy.uint64(_digest(folder.name))
            at = int(numpy.searchsorted(digests, value))
            if at >= len(digests) or digests[at] != value:
                shutil.rmtree(folder)


def _write_overview(path: Path, supporters, letters: array, flags: bytearray, too_similar: set,
                    report: SupporterReport, ready: str = "klar til sending") -> None:
    """The organiser's overview, one row per supporter; fills the report's lists of drafts and of
    supporters without letters on the way. ``ready`` is the status of a supporter whose letters are done."""
    from toolkit.core.excel_out import write_table  # the CSV and an .xlsx beside it, streamed

    def rows():
        for supporter, count, flag in zip(supporters, letters, flags, strict=True):
            if flag & 1:
                report.needs_paragraph.append(supporter.id)
            if flag & 2:
                report.without_letters.append(supporter.id)
            yield [supporter.id, supporter.name, supporter.email, supporter.county_name, count,
                   f"{OUTPUT_FOLDER}/{safe_stem(supporter.id)}/",
                   "utkast: mangler personlig avsnitt" if flag & 1
                   else "for likt andres brev" if supporter.id in too_similar else ready]

    write_table(path, ["id", "navn", "e-post", "valgdistrikt", "antall brev", "mappe", "status"], rows(),
                sheet="Underskrivere", numbers=("antall brev",), problem=lambda row: row[-1] != ready)


def _write_all(run: _Run, ordered, workers: int, progress, method: str):
    """Yield ``(supporter, result)`` in order, from this process or from ``workers`` processes.

    The supporters are handed out in chunks as they are read, with at most ``IN_FLIGHT`` chunks per
    worker waiting, so neither the parent nor the queue holds the whole file.
    """
    if workers <= 1:
        for supporter, variant in ordered:
            yield supporter, _write_supporter(run, supporter, variant)
            if progress:
                progress(1)
        return
    import collections
    import itertools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context(method)
    # fork: the workers inherit the loaded campaign and templates. spawn: they get the run pickled,
    # without its templates (Jinja environments do not pickle), and make their own.
    shared = run if method == "fork" else replace(run, templates={}, supporters=(), contexts=None,
                                                   campaign=replace(run.campaign, templates={}))
    pending: collections.deque = collections.deque()
    import gc

    # Forked workers share the parent's pages until either side writes to them; the collector writes
    # to every object it visits, so the objects alive now are moved out of its sight (Python's advice
    # for fork without exec), and given back to it once the workers are done.
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(shared,)) as pool:
            chunks = iter(lambda: list(itertools.islice(ordered, CHUNK)), [])
            for chunk in chunks:
                pending.append((chunk, pool.submit(_write_chunk, chunk)))
                while len(pending) >= workers * IN_FLIGHT:
                    yield from _collect(pending.popleft(), progress)
            while pending:
                yield from _collect(pending.popleft(), progress)
    finally:
        gc.unfreeze()


def _collect(job, progress):
    chunk, future = job
    results = future.result()
    for (supporter, _), result in zip(chunk, results, strict=True):
        yield supporter, result
    if progress:
        progress(len(results))


def _withdraw_emails(folder: Path) -> None:
    """Take a supporter's letters off the send list: remove the .eml files and empty the manifest."""
    for path in folder.glob("*.eml"):
        path.unlink()
    atomic_write_text(folder / MANIFEST_FILE, "[]\n")
