"""Write paragraphs as a .docx file, fast enough for thousands of letters.

A .docx file is a zip of small XML parts, and only ``word/document.xml`` and ``docProps/core.xml``
change from one letter to the next. The constant parts live as readable files in ``data/docx/``;
they are compressed once per language and copied into every file, and the two changing parts are
written as strings (no DOM) into a minimal zip writer of our own. The tests build the same document
with python-docx (tests/docx_reference.py) to check this fast path against the obvious one.
"""

from __future__ import annotations

import functools
import os
import re
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

from toolkit.core.fsutil import atomic_write_bytes
from toolkit.core.markup import Paragraph

DATA = Path(__file__).resolve().parent.parent / "data" / "docx"

# zip entry name -> file in DATA, in the order they appear in the zip ([Content_Types].xml first,
# as Word writes it). word/document.xml and docProps/core.xml follow them, rebuilt per document.
CONSTANT_PARTS = {
    "[Content_Types].xml": "content_types.xml",
    "_rels/.rels": "package.rels",
    "docProps/app.xml": "app.xml",
    "word/_rels/document.xml.rels": "document.xml.rels",
    "word/styles.xml": "styles.xml",
    "word/settings.xml": "settings.xml",
    "word/numbering.xml": "numbering.xml",
    "word/fontTable.xml": "fontTable.xml",
    "word/footer1.xml": "footer1.xml",
}

XML_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
SPACE_BETWEEN_TAGS = re.compile(rb">\s+<")


def _read_part(name: str) -> bytes:
    # The shipped files are indented and commented for readers; the parts in a letter are compact
    # like Word's own, so no reader ever has to cope with comments or stray whitespace.
    data = XML_COMMENT.sub(b"", (DATA / name).read_bytes())
    return SPACE_BETWEEN_TAGS.sub(b"><", data)


# Paragraph styles the toolkit draws its own letterhead with; left out when the organisation's is used
# (toolkit.core.letterhead).
OWN_LETTERHEAD_STYLES = frozenset({"Letterhead", "LetterheadDetail"})

PARTS = {name: _read_part(name) for name in (*CONSTANT_PARTS.values(), "document.xml", "core.xml")}

STYLES = frozenset(
    style_id.decode()
    for style_id in re.findall(rb'<w:style w:type="paragraph"[^>]*? w:styleId="([^"]+)"', PARTS["styles.xml"])
)

DOCUMENT_HEAD, SECTION_PROPERTIES = PARTS["document.xml"].decode().split("<w:sectPr>")
DOCUMENT_TAIL = "<w:sectPr>" + SECTION_PROPERTIES
# A section whose page numbers start at 1: closes each letter of a print file (see _document_xml).
RESTART_NUMBERING = '<w:pgNumType w:start="1"/>'
SECTION_INNER = SECTION_PROPERTIES.split("</w:sectPr>")[0]
SECTION_BREAK = f"<w:sectPr>{SECTION_INNER}{RESTART_NUMBERING}</w:sectPr>"
DOCUMENT_TAIL_RESTARTING = DOCUMENT_TAIL.replace("</w:sectPr>", RESTART_NUMBERING + "</w:sectPr>", 1)
KEEP_NEXT = "<w:keepNext/>"
CORE = PARTS["core.xml"].decode()
BASE_LANGUAGE = b'<w:lang w:val="nb-NO"'

LANGUAGE_SHORTHANDS = {"nb": "nb-NO", "nn": "nn-NO"}
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")

# Everything XML 1.0 forbids: C0 controls other than tab, newline and carriage return, lone
# surrogates, U+FFFE and U+FFFF. One such character makes Word refuse the whole file.
# Listed rather than written as the complement of the allowed ranges: that class takes ~9 ms to compile.
INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

PAGE_BREAK = "<w:pageBreakBefore/>"
PARAGRAPH_OPENINGS = {
    style: (
        f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>',
        f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{PAGE_BREAK}</w:pPr>',
    )
    for style in STYLES
}
# Indexed by 2 * bold + italic.
RUN_OPENINGS = (
    '<w:r><w:t xml:space="preserve">',
    '<w:r><w:rPr><w:i/></w:rPr><w:t xml:space="preserve">',
    '<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">',
    '<w:r><w:rPr><w:b/><w:i/></w:rPr><w:t xml:space="preserve">',
)
RUN_CLOSING = "</w:t></w:r>"
LINE_BREAK = '</w:t><w:br/><w:t xml:space="preserve">'
TAB = '</w:t><w:tab/><w:t xml:space="preserve">'
EMPTY_TEXT = '<w:t xml:space="preserve"></w:t>'

# 1980-01-01 00:00, the earliest time a zip can hold: a fixed time makes identical input give
# byte-identical files.
DOS_TIME = 0
DOS_DATE = (1 << 5) | 1
# Level 6 (zlib's default) compresses a letter's document.xml in tens of microseconds; lower
# levels save almost nothing on parts this small.
COMPRESSION_LEVEL = 6


def clean_text(text: str) -> str:
    """Drop characters XML cannot hold and turn ``\\r\\n`` and ``\\r`` into ``\\n``."""
    text = INVALID_XML.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def language_tag(language: str) -> str:
    """Return the w:lang value for ``language``: ``nb`` → ``nb-NO``, ``nn`` → ``nn-NO``, tags as given."""
    tag = LANGUAGE_SHORTHANDS.get(language, language)
    if not LANGUAGE_TAG.fullmatch(tag):
        raise ValueError(f"language {language!r} is not a language tag such as 'nb-NO' or 'nn-NO'")
    return tag


def _unknown_style(style: str) -> ValueError:
    known = ", ".join(sorted(STYLES))
    return ValueError(f"unknown paragraph style {style!r}; the base document defines {known}")


def _plain_runs(paragraphs: Sequence[Paragraph]) -> tuple[bool, bool]:
    """Whether the runs' text needs ``clean_text`` and ``_escape`` at all: looked at once per document
    instead of once per run (most letters have neither a character XML forbids nor one to escape)."""
    text = "".join([run.text for paragraph in paragraphs for run in paragraph.runs])
    clean = "\r" in text or INVALID_XML.search(text) is not None
    escape = "&" in text or "<" in text or ">" in text or '"' in text
    return clean, escape


# The XML of a paragraph's runs, by the runs' tuple: a letter's paragraphs are written again in its
# supporter's print file, and letters share paragraphs (markup.parse gives a block it has seen before
# the same paragraphs). Each entry holds its tuple, so the id cannot stand for another tuple while it is here.
_RUNS_XML: dict[int, tuple[tuple, str]] = {}
MAX_CACHED_RUNS = 4096


def _document_xml(paragraphs: Sequence[Paragraph]) -> bytes:
    out = [DOCUMENT_HEAD]
    append = out.append
    flags: tuple[bool, bool] | None = None  # _plain_runs, looked at on the first paragraph not written before
    last_opening = -1  # index in ``out`` of the previous paragraph's opening
    sections = False
    count = len(paragraphs)
    for index, paragraph in enumerate(paragraphs):
        openings = PARAGRAPH_OPENINGS.get(paragraph.style)
        if openings is None:
            raise _unknown_style(paragraph.style)
        if paragraph.new_section and last_opening >= 0:
            # A section ends with the paragraph whose properties hold its w:sectPr: the previous one.
            out[last_opening] = out[last_opening].replace("</w:pPr>", SECTION_BREAK + "</w:pPr>", 1)
            sections = True
        opening = openings[paragraph.page_break_before and not paragraph.new_section]
        if index + 1 < count and paragraphs[index + 1].style == "Closing" and paragraph.style != "Closing":
            # The last paragraph of the text stays on the page of the closing and the signatures,
            # so a signature block is never alone on a page.
            opening = opening.replace("</w:pPr>", KEEP_NEXT + "</w:pPr>", 1)
        last_opening = len(out)
        append(opening)
        runs = paragraph.runs
        known = _RUNS_XML.get(id(runs))
        if known is not None and known[0] is runs:
            append(known[1])
        else:
            if flags is None:
                flags = _plain_runs(paragraphs)
            parts: list[str] = []
            _append_runs(parts.append, paragraph, *flags)
            xml = "".join(parts)
            if len(_RUNS_XML) >= MAX_CACHED_RUNS:
                _RUNS_XML.clear()
            _RUNS_XML[id(runs)] = (runs, xml)
            append(xml)
    append(DOCUMENT_TAIL_RESTARTING if sections else DOCUMENT_TAIL)
    # Breaks and tabs at the edges of a run leave empty w:t elements behind; drop them.
    return "".join(out).replace(EMPTY_TEXT, "").encode()


def _core_xml(title: str, language: str) -> bytes:
    return (
        CORE.replace("<dc:title></dc:title>", f"<dc:title>{_escape(clean_text(title))}</dc:title>")
        .replace("<dc:language></dc:language>", f"<dc:language>{language}</dc:language>")
        .encode()
    )


def _zip_entry(name: str, data: bytes, offset: int) -> tuple[bytes, bytes]:
    """Return the local entry (header and deflated data) and the central directory record."""
    compressed = zlib.compress(data, COMPRESSION_LEVEL, wbits=-15)
    encoded_name = name.encode("ascii")
    crc = zlib.crc32(data)
    # version needed 2.0, no flags, deflate, time, date, CRC-32, sizes, name length, no extra field
    fields = (20, 0, 8, DOS_TIME, DOS_DATE, crc, len(compressed), len(data), len(encoded_name), 0)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded_name + compressed
    # made by version 2.0 on MS-DOS, then no comment, disk 0, no attributes, the local entry's offset
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, offset) + encoded_name
    return local, central


def _core_entry(title: str, language: str, offset: int) -> tuple[bytes, bytes]:
    """docProps/core.xml as ``_zip_entry`` makes it; compressed once per title and language (many
    letters share a subject)."""
    local, central = _compressed_core(title, language)
    return local, central + struct.pack("<I", offset) + CORE_NAME


CORE_NAME = b"docProps/core.xml"


@functools.lru_cache(maxsize=1024)
def _compressed_core(title: str, language: str) -> tuple[bytes, bytes]:
    """The local entry and the central record without its last two fields (the offset and the name)."""
    local, central = _zip_entry(CORE_NAME.decode(), _core_xml(title, language), 0)
    return local, central[: -4 - len(CORE_NAME)]


@functools.cache
def _constant_entries(language: str) -> tuple[bytes, bytes]:
    """Return the constant parts as zip entries and their central directory records, built once."""
    locals_: list[bytes] = []
    centrals: list[bytes] = []
    offset = 0
    for name, filename in CONSTANT_PARTS.items():
        data = PARTS[filename]
        if filename == "styles.xml":
            data = data.replace(BASE_LANGUAGE, f'<w:lang w:val="{language}"'.encode())
        local, central = _zip_entry(name, data, offset)
        locals_.append(local)
        centrals.append(central)
        offset += len(local)
    return b"".join(locals_), b"".join(centrals)


def _append_runs(append, paragraph: Paragraph, clean: bool = True, escape: bool = True) -> None:
    """A paragraph's runs and its closing tag, for both document writers; ``clean`` and ``escape``
    False when no run needs ``clean_text`` or ``_escape`` (see ``_plain_runs``)."""
    for run in paragraph.runs:
        append(RUN_OPENINGS[2 * run.bold + run.italic])
        text = run.text
        if clean:
            text = clean_text(text)
        if escape:
            text = _escape(text)
        if "\n" in text:
            text = text.replace("\n", LINE_BREAK)
        if "\t" in text:
            text = text.replace("\t", TAB)
        append(text)
        append(RUN_CLOSING)
    append("</w:p>")


def _letterhead_document_xml(paragraphs: Sequence[Paragraph], letterhead) -> bytes:
    """document.xml on the organisation's letterhead (toolkit.core.letterhead).

    The toolkit's own letterhead lines are left out (the header carries the name), and a page break
    before a paragraph ends a section instead, so that in the print file every letter starts on a
    page with the letterhead's first-page header.
    """
    out = [DOCUMENT_HEAD]
    append = out.append
    section = letterhead.section
    # A new section (the next letter of a print file) numbers its pages from 1, as without a letterhead.
    restarting = section.replace("</w:sectPr>", RESTART_NUMBERING + "</w:sectPr>", 1)
    previous = -1  # index in ``out`` of the last paragraph's opening
    carried_break = carried_section = sections = False
    for paragraph in paragraphs:
        openings = PARAGRAPH_OPENINGS.get(paragraph.style)
        if openings is None:
            raise _unknown_style(paragraph.style)
        if paragraph.style in OWN_LETTERHEAD_STYLES:
            carried_break = carried_break or paragraph.page_break_before
            carried_section = carried_section or paragraph.new_section
            continue
        new_section = paragraph.new_section or carried_section
        if (paragraph.page_break_before or carried_break or new_section) and previous >= 0:
            # The previous paragraph closes a section that has the letterhead's page set-up.
            closing = restarting if new_section else section
            sections = sections or new_section
            out[previous] = out[previous].replace("</w:pPr>", closing + "</w:pPr>", 1)
        carried_break = carried_section = False
        previous = len(out)
        append(openings[0])
        _append_runs(append, paragraph)
    append((restarting if sections else section) + "</w:body></w:document>")
    return "".join(out).replace(EMPTY_TEXT, "").encode()


@functools.cache
def _letterhead_entries(language: str, letterhead) -> tuple[bytes, bytes, int]:
    """The constant parts merged with a letterhead's, as zip entries, built once per language and letterhead."""
    parts = {name: PARTS[filename] for name, filename in CONSTANT_PARTS.items()}
    overrides = "".join(
        f'<Override PartName="{name}" ContentType="{content_type}"/>' for name, content_type in letterhead.content_types
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", overrides.encode() + b"</Types>")
    relationships = "".join(
        f'<Relationship Id="{rid}" Type="{reltype}" Target="{target}"/>' for rid, reltype, target in letterhead.relationships
    )
    rels = parts["word/_rels/document.xml.rels"]
    parts["word/_rels/document.xml.rels"] = rels.replace(b"</Relationships>", relationships.encode() + b"</Relationships>")
    parts["word/styles.xml"] = letterhead.styles.replace(BASE_LANGUAGE, f'<w:lang w:val="{language}"'.encode())
    if letterhead.font_table is not None:
        parts["word/fontTable.xml"] = letterhead.font_table
    if letterhead.settings:
        extra = "".join(letterhead.settings).encode()
        marker = b"<w:characterSpacingControl"
        parts["word/settings.xml"] = parts["word/settings.xml"].replace(marker, extra + marker, 1)
    parts.update(letterhead.parts)
    locals_: list[bytes] = []
    centrals: list[bytes] = []
    offset = 0
    for name, data in parts.items():
        local, central = _zip_entry(name, data, offset)
        locals_.append(local)
        centrals.append(central)
        offset += len(local)
    return b"".join(locals_), b"".join(centrals), len(parts)


def build_docx(
    paragraphs: Sequence[Paragraph], *, title: str = "", language: str = "nb-NO", letterhead=None
) -> bytes:
    """Return a complete .docx file with ``paragraphs`` in the project's A4 base document.

    With ``letterhead`` (a toolkit.core.letterhead.Letterhead) the document is written on the organisation's
    own letterhead: its headers, footers, styles and page set-up.
    """
    tag = language_tag(language)
    if letterhead is None:
        constant_locals, constant_centrals = _constant_entries(tag)
        constant_count = len(CONSTANT_PARTS)
        document_xml = _document_xml(paragraphs)
    else:
        constant_locals, constant_centrals, constant_count = _letterhead_entries(tag, letterhead)
        document_xml = _letterhead_document_xml(paragraphs, letterhead)
    document_local, document_central = _zip_entry("word/document.xml", document_xml, len(constant_locals))
    core_offset = len(constant_locals) + len(document_local)
    core_local, core_central = _core_entry(title, tag, core_offset)
    central_directory = constant_centrals + document_central + core_central
    entry_count = constant_count + 2
    end_of_central_directory = struct.pack(
        "<IHHHHIIH",
        0x06054B50,
        0,
        0,
        entry_count,
        entry_count,
        len(central_directory),
        core_offset + len(core_local),
        0,
    )
    return b"".join(
        (constant_locals, document_local, core_local, central_directory, end_of_central_directory)
    )


def write_docx(
    path: str | os.PathLike[str], paragraphs: Sequence[Paragraph], *, title: str = "", language: str = "nb-NO",
    letterhead=None,
) -> None:
    """Write ``paragraphs`` as a .docx file at ``path`` atomically, replacing any file there."""

    atomic_write_bytes(Path(path), build_docx(paragraphs, title=title, language=language, letterhead=letterhead))
