"""Reading the files organisers write: YAML with line numbers, CSV as Excel or an editor saves it."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import BinaryIO

import yaml

from toolkit.core.errors import Problems
from toolkit.core.excel_in import excel_twin, read_xlsx
from toolkit.core.tabular import MAX_CSV_BYTES, CsvTable

CSV_SEPARATORS = (";", ",", "\t")
LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")  # a line and its end (\r\n, \r or \n), or a last line without one
FIRST_LINE = re.compile(r"[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]*")  # what str.splitlines()[0] gives
SEP_LINE = re.compile(r"^\s*\"?sep=(.)\"?[,;\t]*\s*$", re.IGNORECASE)  # Excel's separator hint: sep=;


class LineDict(dict):
    """A mapping read from YAML that remembers the line of each key (1-based)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines: dict[object, int] = {}
        self.line = 0

    def line_of(self, key: object) -> int:
        return self.lines.get(key, self.line)


class LineList(list):
    """A sequence read from YAML that remembers the line of each item (1-based)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.lines: list[int] = []
        self.line = 0

    def line_of(self, index: int) -> int:
        return self.lines[index] if index < len(self.lines) else self.line


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "en nøkkel må være enkel tekst", key_node.start_mark
            )
        if key in result.lines:
            # A key written twice would silently take the second value: name both lines instead.
            raise yaml.constructor.ConstructorError(
                None, None,
                f"nøkkelen «{key}» står to ganger, på linje {result.lines[key]} og linje {key_node.start_mark.line + 1}",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.lines = [child.start_mark.line + 1 for child in node.value]
    result.line = node.start_mark.line + 1
    return result


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode):
    """A date YAML reads as a date; one that does not exist (2026-13-25, 2026-11-31) is a YAML error on its line."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"datoen «{node.value}» finnes ikke (skriv den som ÅÅÅÅ-MM-DD)", node.start_mark
        ) from None


try:
    from yaml import CSafeLoader as _FastBase
except ImportError:  # PyYAML built without libyaml: the pure-Python loader, slower but the same
    from yaml import SafeLoader as _FastBase  # type: ignore[assignment]  # the stubs see two unrelated classes


class _FastLineLoader(_FastBase):
    """The same loader on libyaml's parser, several times faster; the Python one words the errors."""


for _loader in (_LineLoader, _FastLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def open_binary(path: Path, problems: Problems, label: str) -> BinaryIO | None:
    """Open a campaign file to read its bytes; a missing file, a folder or an unreadable file is reported."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        problems.error(label, "Filen finnes ikke.", f"Opprett {label} (se docs/campaign-files.md).")
    except IsADirectoryError:
        problems.error(label, "Dette er en mappe, ikke en fil.")
    except OSError as exc:
        problems.error(label, f"Filen kan ikke leses: {exc.strerror}.")
    return None


def read_text(path: Path, problems: Problems, label: str) -> str | None:
    """Read a text file as UTF-8 (BOM allowed) or Windows-1252; report a missing or binary file."""
    handle = open_binary(path, problems, label)
    if handle is None:
        return None
    try:
        with handle:
            data = handle.read()
    except OSError as exc:
        problems.error(label, f"Filen kan ikke leses: {exc.strerror}.")
        return None
    return decode(data, problems, label)


def utf16_codec(data: bytes) -> str | None:
    """The codec of UTF-16 text (Excel's "Unicode Text"): by its BOM, or by every other byte being NUL."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4 and len(head) % 2 == 0:
        if head[1::2].count(0) >= 0.9 * (len(head) // 2) and head[0::2].count(0) == 0:
            return "utf-16-le"
        if head[0::2].count(0) >= 0.9 * (len(head) // 2) and head[1::2].count(0) == 0:
            return "utf-16-be"
    return None


def report_bad_utf16(problems: Problems, label: str, where: str) -> None:
    """UTF-16 text with a byte that cannot be read (``where``: which byte)."""
    problems.error(
        label, f"Filen ser ut til å være UTF-16 (Excels «Unicode-tekst»), men {where} kan ikke leses.",
        "Lagre den på nytt fra Excel som «CSV UTF-8 (kommadelt)».",
    )


def report_not_text(start: bytes, nul_line: int | None, problems: Problems, label: str) -> bool:
    """A workbook saved under a text file's name, a binary file or a stray NUL byte: reported; True if so.

    ``start`` is the file's first 4096 bytes, ``nul_line`` the line of its first NUL byte (None: it has none).
    """
    if start.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        problems.error(
            label,
            "Filen er en Excel- eller Word-fil (binær), ikke tekst.",
            "Lagre den fra Excel som «CSV UTF-8 (kommadelt)» eller «CSV (semikolonseparert)».",
            line=1,
        )
        return True
    if nul_line is None:
        return False
    if start.count(b"\x00") > 16:
        problems.error(
            label,
            "Filen ser ut til å være binær (for eksempel en .xlsx-fil), ikke tekst.",
            "Lagre den som CSV (semikolonseparert) eller som ren tekst.",
            line=1,
        )
    else:
        problems.error(
            label,
            f"Linje {nul_line} har et NUL-tegn (byte 0, usynlig i de fleste programmer).",
            "Slett tegnet (skriv linjen på nytt), eller lagre filen på nytt som CSV UTF-8; det kommer ofte fra kopiering fra et annet "
            "program.",
            line=nul_line,
        )
    return True


def report_unknown_encoding(problems: Problems, label: str, byte: int) -> None:
    """A byte that is neither UTF-8 nor Windows-1252."""
    problems.error(label, f"Filen har tegn som verken er UTF-8 eller Windows-1252 (byte {byte}).", "Lagre filen på nytt som UTF-8.")


def decode(data: bytes, problems: Problems, label: str) -> str | None:
    """Decode file bytes: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode Text"), else Windows-1252
    as Norwegian Excel saves; a binary file or a stray NUL byte is reported with its line."""
    codec = utf16_codec(data)
    if codec is not None:
        try:
            return data.decode(codec).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            report_bad_utf16(problems, label, f"byte {exc.start}")
            return None
    nul = data.find(b"\x00")
    if report_not_text(data[:4096], data.count(b"\n", 0, nul) + 1 if nul >= 0 else None, problems, label):
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        report_unknown_encoding(problems, label, exc.start)
        return None


def _parse_yaml(text: str):
    """Parse with libyaml; on an error parse again with the Python parser, whose messages the toolkit builds on."""
    try:
        return yaml.load(text, Loader=_FastLineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass


def load_yaml(path: Path, problems: Problems, label: str) -> LineDict | None:
    """Load a YAML file whose top level must be a mapping; syntax errors name the line."""
    text = read_text(path, problems, label)
    if text is None:
        return None
    try:
        data = _parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        # An unclosed bracket or quote is found far below where it starts: name the start.
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + 1 if mark else None
        what = (exc.problem or exc.context or "ugyldig YAML").strip()
        if exc.context_mark and exc.problem_mark and exc.problem_mark.line != exc.context_mark.line:
            what += f" (oppdaget på linje {exc.problem_mark.line + 1})"
        if "står to ganger" in what:
            hint = "Slett den ene linjen (eller slå dem sammen): bare én verdi kan gjelde."
        elif what.startswith("datoen"):
            hint = "Rett datoen: måneden er 01–12, og dagen må finnes i den måneden."
        else:
            hint = "Sjekk innrykk, kolon og anførselstegn på denne linjen og linjen over."
        problems.error(label, f"YAML-feil: {what}.", hint, line=line)
        return None
    except yaml.YAMLError as exc:
        problems.error(label, f"YAML-feil: {exc}.")
        return None
    if data is None:
        problems.error(label, "Filen er tom.", "Se docs/campaign-files.md for hva den skal inneholde.")
        return None
    if not isinstance(data, LineDict):
        problems.error(label, "Filen må være en samling av nøkler og verdier (nøkkel: verdi).", line=1)
        return None
    return data


def _lines(text: str):
    """Yield the lines of ``text`` with their line ends, as ``io.StringIO(text, newline="")`` would.

    A StringIO holds the text four bytes a character: for a supporters.csv of thousands of rows that
    was most of a run's peak memory while the file was read.
    """
    for match in LINE.finditer(text):
        yield match.group()


def _drop_first_line(text: str) -> str:
    match = LINE.match(text)
    return text[match.end():] if match else ""


def sniff_separator(header_line: str) -> str:
    """Pick the separator the header line uses most: Norwegian Excel writes ';'."""
    counts = {sep: header_line.count(sep) for sep in CSV_SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def read_csv(
    path: Path,
    problems: Problems,
    label: str,
    required: tuple[str, ...],
    known: tuple[str, ...] = (),
) -> CsvTable | None:
    """Read a CSV file as Excel or a text editor saves it, reporting header problems.

    An .xlsx file of the same name is read instead when there is one (see toolkit.core.excel_in).
    """
    twin = path if path.suffix.lower() == ".xlsx" else excel_twin(path)
    if twin is not None:
        if twin != path and path.exists():
            problems.error(
                label, f"Både {path.name} og {twin.name} finnes, og verktøyet vet ikke hvilken som gjelder.",
                f"Fjern (eller flytt) den du ikke bruker: {path.name} eller {twin.name}.",
            )
            return None
        return read_xlsx(twin, problems, label, required, known)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        problems.error(label, "Filen finnes ikke.", f"Opprett {label} (se docs/campaign-files.md).")
        return None
    if size > MAX_CSV_BYTES:
        problems.error(
            label,
            f"Filen er {size // (1024 * 1024)} MB; grensen er {MAX_CSV_BYTES // (1024 * 1024)} MB.",
            "Sjekk at det er riktig fil, eller del den opp.",
        )
        return None
    text = read_text(path, problems, label)
    if text is None:
        return None
    if not text.strip():
        problems.error(label, "Filen er tom.", f"Første linje skal være overskriftene: {', '.join(required)}.")
        return None
    match = FIRST_LINE.match(text.lstrip("\r\n"))
    first = match.group() if match else ""
    hinted = SEP_LINE.match(first)
    if hinted:
        # Excel's "sep=;" line names the separator; Excel does not show it as a row, so it is not counted.
        separator = hinted.group(1)
        text = _drop_first_line(text.lstrip("\r\n"))
    else:
        separator = sniff_separator(first)
    reader = csv.reader(_lines(text), delimiter=separator)
    try:
        records = list(reader)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            limit = csv.field_size_limit()
            problems.error(
                label,
                f"En celle på rad {reader.line_num} har mer enn {limit:,} tegn; grensen for én celle er {limit:,} tegn.".replace(",", " "),
                "Sjekk raden: ofte mangler et avsluttende anførselstegn, så resten av filen havner i én celle.",
                row=reader.line_num,
            )
        else:
            problems.error(label, f"CSV-feil på rad {reader.line_num}: {exc}.", "Sjekk anførselstegnene.", row=reader.line_num)
        return None
    del text, reader  # the cells are copies: a file of thousands of rows is not held twice
    # Excel leaves empty rows; the header is the first row with any content.
    row_number = 0
    while records and not any(cell.strip() for cell in records[0]):
        records.pop(0)
        row_number += 1
    header = [cell.strip().lower() for cell in records[0]]
    header_row = row_number + 1
    seen: set[str] = set()
    for column in header:
        if column in seen and column:
            problems.error(label, f"Kolonnen «{column}» står to ganger.", "Fjern den ene.", row=header_row)
        seen.add(column)
    missing = [column for column in required if column not in header]
    for column in missing:
        problems.error(
            label,
            f"Kolonnen «{column}» mangler.",
            f"Legg den til i første rad. Kolonnene som trengs: {', '.join(required)}.",
            row=header_row,
        )
    if known:
        for column in header:
            if column and column not in known:
                problems.warning(
                    label,
                    f"Ukjent kolonne «{column}» blir ikke brukt.",
                    "Sjekk stavemåten hvis den skulle vært brukt.",
                    row=header_row,
                )
    if missing:
        return None
    rows: list[tuple[int, dict[str, str]]] = []
    for offset, record in enumerate(records[1:], start=1):
        number = header_row + offset
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header):]):
            problems.error(
                label,
                f"Raden har {len(record)} celler, men det er {len(header)} kolonner.",
                f"Sjekk skilletegnet ({separator!r}) og anførselstegn i raden.",
                row=number,
            )
            continue
        values = {column: (record[i].strip() if i < len(record) else "") for i, column in enumerate(header)}
        rows.append((number, values))
    return CsvTable(header=header, rows=rows, separator=separator)
