"""The organisation's own Word letterhead (letterhead.docx in the campaign folder).

The letterhead is read once per run with python-docx, and its parts are prepared for the fast
writer (toolkit.core.docx): the headers and footers of its last section (first page, following pages,
even pages) with their images, its styles (fonts, colours, paragraph styles; the toolkit's own
styles are added where the letterhead has none of that name), its theme and font table, and its
page set-up (size, margins, header and footer distances). Every letter, the print file and the
op-eds' documents are then written on it; the letter's own letterhead lines (``::Letterhead``,
``::LetterheadDetail``) are left out, since the header carries the organisation's name.

What is in the letterhead's body (a sample text, "Skriv her") is not used: only what sits in the
header and footer, and the page set-up.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from toolkit.core.docx import PARTS
from toolkit.core.errors import Problems, ToolkitError

LETTERHEAD_FILE = "letterhead.docx"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
MACRO_TYPES = ("macroEnabled",)
# Styles the writer's markup relies on in a particular shape (ListBullet is tied to numbering.xml).
ALWAYS_OURS = frozenset({"ListBullet"})

RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class LetterheadError(ToolkitError):
    """letterhead.docx cannot be used; the message names the file and what to do."""

    exit_code = 2


@dataclass(frozen=True, eq=False)
class Letterhead:
    """A letterhead's parts, ready to be copied into every document (hashable by identity, for caching)."""

    path: Path
    parts: tuple[tuple[str, bytes], ...]  # zip name -> bytes: headers, footers, their rels and media, theme
    content_types: tuple[tuple[str, str], ...]  # part name (/word/...) -> content type
    relationships: tuple[tuple[str, str, str], ...]  # for word/_rels/document.xml.rels: id, type, target
    styles: bytes  # the merged styles.xml; its w:lang is nb-NO, replaced per document like the base's
    font_table: bytes | None
    section: str  # the w:sectPr element, relationship ids renamed, as XML text
    settings: tuple[str, ...]  # settings the headers need (w:evenAndOddHeaders)


def _fail(path: Path, what: str, fix: str) -> LetterheadError:
    return LetterheadError(f"{path.name}: {what} {fix}")


def check_file(path: Path) -> None:
    """Refuse a file that is not a usable .docx, with what to do, before python-docx sees it."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(8)
            data = start + handle.read() if start == OLE_MAGIC else start
    except OSError as exc:
        raise _fail(path, f"kan ikke leses ({exc.strerror}).", "Sjekk at filen finnes og kan åpnes.") from None
    if start == OLE_MAGIC:
        if ENCRYPTED_MARK in data:
            raise _fail(path, "er beskyttet med passord, så verktøyet kan ikke lese den.",
                        "Åpne den i Word, fjern passordet (Fil → Info → Beskytt dokument → Krypter med passord) og lagre.")
        raise _fail(path, "er i det gamle Word-formatet (.doc).", "Åpne den i Word og lagre den som Word-dokument (.docx).")
    if start[:4] != b"PK\x03\x04":
        raise _fail(path, "er ikke et Word-dokument (.docx).",
                    "Lagre brevmalen fra Word som Word-dokument (.docx), eller fjern filen for å bruke verktøyets eget brevhode.")


def find(folder: Path) -> Path | None:
    """The campaign's letterhead.docx, or None; a macro-enabled letterhead.docm alone is an error."""
    path = Path(folder) / LETTERHEAD_FILE
    if path.is_file():
        return path
    for other in ("letterhead.docm", "letterhead.dotm"):
        if (Path(folder) / other).is_file():
            raise _fail(Path(folder) / other, "er et Word-dokument med makroer, som verktøyet ikke bruker.",
                        "Lagre brevmalen som Word-dokument (.docx) med navnet letterhead.docx.")
    if (Path(folder) / "letterhead.dotx").is_file():
        raise _fail(Path(folder) / "letterhead.dotx", "er en Word-mal (.dotx).",
                    "Åpne den i Word og lagre den som Word-dokument (.docx) med navnet letterhead.docx.")
    return None


_CACHE: dict[tuple, Letterhead] = {}


def load(folder: Path) -> Letterhead | None:
    """The campaign's letterhead, read once per run (and again only if the file changes)."""
    path = find(folder)
    if path is None:
        return None
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = read(path)
    return _CACHE[key]


def check(campaign, problems: Problems) -> None:
    """`toolkit validate`: a letterhead that cannot be used is an error, found before anything is written."""
    try:
        load(campaign.folder)
    except LetterheadError as exc:
        name, _, message = str(exc).partition(": ")
        problems.error(name, message)


def _rels_xml(rels: list[tuple[str, str, str, bool]]) -> bytes:
    from xml.sax.saxutils import quoteattr

    lines = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{RELS_NS}">']
    for rid, reltype, target, external in rels:
        mode = ' TargetMode="External"' if external else ""
        lines.append(f"<Relationship Id={quoteattr(rid)} Type={quoteattr(reltype)} Target={quoteattr(target)}{mode}/>")
    lines.append("</Relationships>")
    return "".join(lines).encode()


def read(path: Path) -> Letterhead:
    """Read ``path`` with python-docx and prepare its parts; a file that cannot be used raises LetterheadError."""
    check_file(path)
    # Imported here: python-docx and lxml take a while to import, and only a letterhead needs them.
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        content = _main_content_type(path)
        if content and any(mark in content for mark in MACRO_TYPES):
            raise _fail(path, "er et Word-dokument med makroer (.docm), som verktøyet ikke bruker.",
                        "Lagre brevmalen som Word-dokument (.docx) uten makroer.") from None
        raise _fail(path, f"kan ikke leses som Word-dokument ({exc.__class__.__name__}).",
                    "Åpne den i Word og lagre den på nytt som Word-dokument (.docx).") from None
    except Exception as exc:  # noqa: BLE001 - a damaged zip or XML in any form: the user's file, not our bug
        raise _fail(path, f"kan ikke leses som Word-dokument ({exc.__class__.__name__}).",
                    "Åpne den i Word og lagre den på nytt som Word-dokument (.docx).") from None
    main = document.part
    if any(mark in main.content_type for mark in MACRO_TYPES):
        raise _fail(path, "er et Word-dokument med makroer (.docm), som verktøyet ikke bruker.",
                    "Lagre brevmalen som Word-dokument (.docx) uten makroer.")
    body = document.element.find(f"{{{W_NS}}}body")
    if body is None:
        raise _fail(path, "har ingen dokumenttekst (w:body), så det er ikke et fullstendig Word-dokument.",
                    "Åpne den i Word og lagre den på nytt.")
    section = body.find(f"{{{W_NS}}}sectPr")
    if section is None:
        section = etree.SubElement(body, f"{{{W_NS}}}sectPr")

    parts: dict[str, bytes] = {}
    content_types: dict[str, str] = {}
    relationships: list[tuple[str, str, str]] = []
    media_names: dict[str, str] = {}  # source part name -> our zip name

    def media_name(part) -> str:
        source = str(part.partname)
        if source not in media_names:
            extension = os.path.splitext(source)[1].lower() or ".bin"
            name = f"word/media/lh{len(media_names) + 1}{extension}"
            media_names[source] = name
            parts[name] = part.blob
            content_types["/" + name] = part.content_type
        return media_names[source]

    section = etree.fromstring(etree.tostring(section))
    count = 0
    for reference in list(section):
        tag = etree.QName(reference).localname
        if tag not in ("headerReference", "footerReference"):
            continue
        rid = reference.get(f"{{{R_NS}}}id")
        rel = main.rels.get(rid)
        if rel is None or rel.is_external:
            section.remove(reference)
            continue
        count += 1
        kind = "header" if tag == "headerReference" else "footer"
        part = rel.target_part
        name = f"word/lh-{kind}{count}.xml"
        own_rels = []
        for child_id, child in part.rels.items():
            if child.is_external:
                own_rels.append((child_id, child.reltype, child.target_ref, True))
            else:
                target = media_name(child.target_part)
                own_rels.append((child_id, child.reltype, target[len("word/"):], False))
        parts[name] = part.blob
        if own_rels:
            parts[f"word/_rels/lh-{kind}{count}.xml.rels"] = _rels_xml(own_rels)
        content_types["/" + name] = part.content_type
        new_id = f"rIdLh{count}"
        reference.set(f"{{{R_NS}}}id", new_id)
        relationships.append((new_id, rel.reltype, name[len("word/"):]))

    has_default_footer = any(
        etree.QName(ref).localname == "footerReference" and ref.get(f"{{{W_NS}}}type", "default") == "default"
        for ref in section
    )
    if not has_default_footer:
        # No footer of its own on the following pages: keep the toolkit's page numbers there.
        footer = etree.Element(f"{{{W_NS}}}footerReference")
        footer.set(f"{{{W_NS}}}type", "default")
        footer.set(f"{{{R_NS}}}id", "rId5")
        position = sum(1 for ref in section if etree.QName(ref).localname in ("headerReference", "footerReference"))
        section.insert(position, footer)

    styles_part = _related(main, "styles")
    theme_part = _related(main, "theme")
    font_part = _related(main, "fontTable")
    if theme_part is not None:
        parts["word/theme/theme1.xml"] = theme_part.blob
        content_types["/word/theme/theme1.xml"] = theme_part.content_type
        relationships.append(("rIdLhTheme", REL_TYPE + "theme", "theme/theme1.xml"))
    settings = []
    settings_part = _related(main, "settings")
    if settings_part is not None and b"evenAndOddHeaders" in settings_part.blob:
        settings.append("<w:evenAndOddHeaders/>")

    section_xml = etree.tostring(section, encoding="unicode")
    # Written into our document element, which declares w: and r: itself.
    section_xml = re.sub(r' xmlns:\w+="[^"]*"', "", section_xml)
    return Letterhead(
        path=path,
        parts=tuple(parts.items()),
        content_types=tuple(content_types.items()),
        relationships=tuple(relationships),
        styles=_merged_styles(styles_part.blob if styles_part is not None else None),
        font_table=font_part.blob if font_part is not None else None,
        section=section_xml,
        settings=tuple(settings),
    )


def _related(part, name: str):
    for rel in part.rels.values():
        if not rel.is_external and rel.reltype == REL_TYPE + name:
            return rel.target_part
    return None


def _main_content_type(path: Path) -> str | None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    match = re.search(r'PartName="/word/document\.xml"\s+ContentType="([^"]+)"', types)
    return match.group(1) if match else None


def _merged_styles(theirs: bytes | None) -> bytes:
    """The letterhead's styles with the writer's own added where the letterhead has none of that id."""
    # lxml is imported where it is used: about 32 ms to import, too long for start-up.
    from lxml import etree

    ours = etree.fromstring(PARTS["styles.xml"])
    if theirs is None:
        return PARTS["styles.xml"]
    root = etree.fromstring(theirs)
    w = f"{{{W_NS}}}"
    existing = {style.get(w + "styleId"): style for style in root.findall(w + "style")}
    for style in ours.findall(w + "style"):
        style_id = style.get(w + "styleId")
        if style_id in existing and style_id not in ALWAYS_OURS:
            continue
        if style_id in existing:
            root.remove(existing[style_id])
        copy = etree.fromstring(etree.tostring(style))
        # The writer's styles take the letterhead's fonts: only the designer's font is named.
        for fonts in copy.iter(w + "rFonts"):
            parent = fonts.getparent()
            if parent is not None:
                parent.remove(fonts)
        root.append(copy)
    # The document's language goes where the base document has it, in the default run properties.
    defaults = root.find(w + "docDefaults")
    if defaults is None:
        defaults = etree.Element(w + "docDefaults")
        root.insert(0, defaults)
    rpr_default = defaults.find(w + "rPrDefault")
    if rpr_default is None:
        rpr_default = etree.SubElement(defaults, w + "rPrDefault")
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(w + "rPr")
    if rpr is None:
        rpr = etree.SubElement(rpr_default, w + "rPr")
    old = rpr.find(w + "lang")
    if old is not None:
        rpr.remove(old)
    # w:val first, so that toolkit.core.docx finds and replaces it as in the base document's styles.
    lang = etree.SubElement(rpr, w + "lang")
    lang.set(w + "val", "nb-NO")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
