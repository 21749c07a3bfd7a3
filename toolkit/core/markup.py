"""The small text markup that letter, op-ed and post templates render to.

Templates produce plain text with a few conventions, so that one rendering feeds the DOCX writer,
the plain-text copy and the e-mail body alike:

- blocks are separated by blank lines;
- ``# text`` is a heading (``Heading1``), ``## text`` a sub-heading (``Heading2``); a heading is
  always one line;
- a block whose first line is ``::style`` takes that paragraph style and keeps its line breaks
  (``::Address``, ``::Letterhead``, ``::Date``, ``::Signature`` …; the first letter is
  capitalised, so ``::address`` is ``Address``);
- lines starting with ``- `` are bullet points (``ListBullet``);
- any other block is a ``Body`` paragraph whose lines are joined with spaces;
- ``**bold**`` and ``_italic_`` inside a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STYLE_MARKER = re.compile(r"^::([A-Za-z][A-Za-z0-9]*)\s*$")
INLINE = re.compile(r"\*\*(.+?)\*\*|(?<![\w])_(.+?)_(?![\w])")
BLANK_LINES = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Run:
    """A stretch of text with one formatting; ``\\n`` inside ``text`` is a line break."""

    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a document: a style id and its runs."""

    style: str
    runs: tuple[Run, ...]
    page_break_before: bool = False
    # Starts a new section on a new page whose page numbers restart at 1 (a letter in a print file).
    new_section: bool = False

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass
class Document:
    """A rendered document: its paragraphs and, for letters, its title."""

    paragraphs: list[Paragraph] = field(default_factory=list)
    title: str = ""


def parse_inline(text: str) -> tuple[Run, ...]:
    """Split one line or block into runs by ``**bold**`` and ``_italic_``."""
    if "*" not in text and "_" not in text:
        return (Run(text),)
    runs: list[Run] = []
    position = 0
    for match in INLINE.finditer(text):
        if match.start() > position:
            runs.append(Run(text[position : match.start()]))
        if match.group(1) is not None:
            runs.append(Run(match.group(1), bold=True))
        else:
            runs.append(Run(match.group(2), italic=True))
        position = match.end()
    if position < len(text):
        runs.append(Run(text[position:]))
    return tuple(runs) or (Run(""),)


def parse(text: str) -> list[Paragraph]:
    """Turn rendered template text into paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs: list[Paragraph] = []
    cache = _BLOCKS
    for block in BLANK_LINES.split(text.strip("\n")):
        parsed = cache.get(block)
        if parsed is None:
            if len(cache) >= MAX_CACHED_BLOCKS:
                cache.clear()
            parsed = cache[block] = tuple(_parse_block(block))
        paragraphs.extend(parsed)
    return paragraphs


# A block's paragraphs depend on the block's text alone, and paragraphs cannot be changed (frozen):
# a block seen before is not parsed again. Thousands of supporters' letters share most of their blocks,
# and each supporter's own blocks (their address, their paragraph) recur in each of their letters.
_BLOCKS: dict[str, tuple[Paragraph, ...]] = {}
MAX_CACHED_BLOCKS = 2048


def _parse_block(block: str) -> list[Paragraph]:
    """The paragraphs of one block (text between blank lines)."""
    paragraphs: list[Paragraph] = []
    lines = [line.rstrip() for line in block.strip("\n").split("\n")]
    lines = [line for line in lines if line.strip()]
    if not lines:
        return paragraphs
    marker = STYLE_MARKER.match(lines[0].strip())
    if marker:
        body = [line.strip() for line in lines[1:]]
        if body:
            style = marker.group(1)[0].upper() + marker.group(1)[1:]
            paragraphs.append(Paragraph(style, parse_inline("\n".join(body))))
        return paragraphs
    first = lines[0].lstrip()
    if first.startswith("#"):
        # A heading is one line; what follows it in the same block is a block of its own.
        level, _, heading = first.partition(" ")
        if level in ("#", "##"):
            style = "Heading1" if level == "#" else "Heading2"
            paragraphs.append(Paragraph(style, parse_inline(heading.strip())))
            if len(lines) > 1:
                paragraphs.extend(parse("\n".join(lines[1:])))
            return paragraphs
    if first.startswith("- "):
        items: list[str] = []
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("- ") or not items:
                items.append(stripped[2:] if stripped.startswith("- ") else stripped)
            else:
                items[-1] += " " + stripped
        paragraphs.extend(Paragraph("ListBullet", parse_inline(item)) for item in items)
    else:
        paragraphs.append(Paragraph("Body", parse_inline(" ".join(line.strip() for line in lines))))
    return paragraphs


def to_plain_text(paragraphs: list[Paragraph]) -> str:
    """Render paragraphs as plain text: blank lines between paragraphs, ``- `` for bullets."""
    out: list[str] = []
    previous_bullet = False
    for paragraph in paragraphs:
        text = paragraph.text
        bullet = paragraph.style == "ListBullet"
        if bullet:
            text = "- " + text
        if out:
            out.append("\n" if bullet and previous_bullet else "\n\n")
        out.append(text)
        previous_bullet = bullet
    return "".join(out) + "\n"
