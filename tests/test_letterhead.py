"""The organisation's own Word letterhead: every letter and the print file are written on it."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import numpy
import pytest
from docx.oxml.ns import qn
from helpers import run
from PIL import Image

from docs.examples.make_letterhead import FOOTER, LOGO_COLOUR, NAME, make_letterhead
from toolkit.core.docx import build_docx
from toolkit.core.letterhead import LetterheadError, read
from toolkit.core.markup import parse

A4_POINTS = (595.3, 841.9)


def soffice() -> str:
    path = shutil.which("soffice")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is missing in CI: .ci/run installs libreoffice-writer-nogui")
        pytest.skip("LibreOffice (soffice) is not installed here")
    return path


def header_has_image(header) -> bool:
    return any("image" in rel.reltype for rel in header.part.rels.values()) and b"<pic:pic" in header.part.blob


def check_on_letterhead(path: Path, letters: int = 1) -> None:
    document = docx.Document(str(path))
    sections = document.sections
    assert len(sections) == letters
    for section in sections:
        assert section.different_first_page_header_footer
        assert header_has_image(section.first_page_header)
        assert NAME in "".join(p.text for p in section.header.paragraphs)
        assert FOOTER in "".join(p.text for p in section.first_page_footer.paragraphs)
        assert FOOTER in "".join(p.text for p in section.footer.paragraphs)
        assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
        assert round(section.left_margin.cm, 1) == 2.2  # the letterhead's margins, not the toolkit's 2.5 cm
    styles = {p.style.style_id for p in document.paragraphs}
    assert not styles & {"Letterhead", "LetterheadDetail"}  # the toolkit's own letterhead lines are left out
    assert document.styles["Normal"].font.name == "Carlito"  # the letterhead's font


@pytest.fixture
def with_letterhead(campaign_dir):
    make_letterhead(campaign_dir / "letterhead.docx")
    return campaign_dir


def test_build_writes_every_letter_and_the_print_file_on_the_letterhead(with_letterhead, tmp_path):
    result = run("build", "--campaign", str(with_letterhead), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    out = with_letterhead / "ut"
    letters = sorted((out / "letters").glob("*.docx"))
    assert len(letters) >= 5
    for path in letters:
        check_on_letterhead(path)
    check_on_letterhead(out / "kampanjens-krav.docx")  # the case attachment is on the letterhead too
    # The print file: each letter and the case after it, each a section whose pages are numbered from 1.
    check_on_letterhead(out / "alle-brev.docx", letters=2 * len(letters))
    for section in docx.Document(str(out / "alle-brev.docx")).sections:
        numbering = section._sectPr.find(qn("w:pgNumType"))
        assert numbering is not None and numbering.get(qn("w:start")) == "1"
    opeds = sorted((out / "opeds").glob("*.docx"))
    assert opeds
    for path in opeds:
        assert header_has_image(docx.Document(str(path)).sections[0].first_page_header)

    # LibreOffice opens them as a user would: A4 pages, the logo on page one.
    binary = soffice()
    profile = (tmp_path / "lo-profile").as_uri()
    pdf_dir = tmp_path / "pdf"
    subprocess.run([binary, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(pdf_dir), str(letters[0]), str(out / "alle-brev.docx")],
                   check=True, capture_output=True, timeout=240)
    for pdf in (pdf_dir / (letters[0].stem + ".pdf"), pdf_dir / "alle-brev.pdf"):
        data = pdf.read_bytes()
        boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
        assert boxes
        for width, height in boxes:
            assert abs(float(width) - A4_POINTS[0]) < 1 and abs(float(height) - A4_POINTS[1]) < 1
    pages = len(re.findall(rb"/Type\s*/Page[^s]", (pdf_dir / "alle-brev.pdf").read_bytes()))
    assert pages >= len(letters)
    # Page one as a picture (poppler's pdftoppm, which .ci/run installs with LibreOffice).
    pdftoppm = shutil.which("pdftoppm") or pytest.fail("pdftoppm (poppler-utils) is missing")
    subprocess.run([pdftoppm, "-r", "50", "-f", "1", "-l", "1", "-png", str(pdf_dir / (letters[0].stem + ".pdf")),
                    str(tmp_path / "page")], check=True, capture_output=True, timeout=120)
    page_one = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    width, height = page_one.size
    pixels = numpy.asarray(page_one, dtype=int)
    is_logo = (abs(pixels - numpy.array(LOGO_COLOUR)) < 40).all(axis=2)
    purple = int(is_logo[: height // 5].sum())
    assert purple > 50, "the logo is not at the top of page one"
    assert int(is_logo[height // 5:].sum()) < purple


def test_without_a_letterhead_the_toolkits_own_stays(campaign_dir):
    result = run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    path = sorted((campaign_dir / "ut" / "letters").glob("*.docx"))[0]
    document = docx.Document(str(path))
    assert document.paragraphs[0].style.style_id == "Letterhead"
    assert not document.sections[0].different_first_page_header_footer


def test_print_file_sections_start_each_letter_with_the_first_page_header(tmp_path):
    letterhead = read(make_letterhead(tmp_path / "letterhead.docx"))
    one = parse("::Letterhead\nOrg\n\n::Body\nFørste brev.")
    two = parse("::Letterhead\nOrg\n\n::Body\nAndre brev.")
    combined = one + [two[0].__class__(two[0].style, two[0].runs, page_break_before=True)] + two[1:]
    data = build_docx(combined, letterhead=letterhead)
    document = docx.Document(io.BytesIO(data))
    assert [p.text for p in document.paragraphs] == ["Første brev.", "Andre brev."]
    assert len(document.sections) == 2
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert "word/media/lh1.png" in archive.namelist()


def _rewrite(source: Path, target: Path, change) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            new.writestr(item, change(item.filename, old.read(item.filename)))
    return target


@pytest.mark.parametrize("case, words", [
    ("text", "er ikke et Word-dokument (.docx)"),
    ("encrypted", "er beskyttet med passord"),
    ("doc", "gamle Word-formatet (.doc)"),
    ("macro", "med makroer (.docm)"),
    ("no-body", "har ingen dokumenttekst"),
    ("docm-file", "med makroer"),
])
def test_unusable_letterhead_is_a_clear_error(campaign_dir, case, words):
    path = campaign_dir / "letterhead.docx"
    good = make_letterhead(campaign_dir / "good.docx")
    if case == "text":
        path.write_text("Dette er ikke et Word-dokument.\n", encoding="utf-8")
    elif case in ("encrypted", "doc"):
        # The start of an OLE compound file, as Word writes a password-protected .docx or an old .doc.
        mark = "EncryptionInfo".encode("utf-16-le") if case == "encrypted" else b"WordDocument"
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + mark + b"\x00" * 512)
    elif case == "macro":
        _rewrite(good, path, lambda name, data: data.replace(
            b"document.main+xml", b"document.macroEnabled.main+xml") if name == "[Content_Types].xml" else data)
    elif case == "no-body":
        _rewrite(good, path, lambda name, data: re.sub(rb"<w:body>.*</w:body>", b"", data, flags=re.S)
                 if name == "word/document.xml" else data)
    else:
        good.rename(campaign_dir / "letterhead.docm")
    good.unlink(missing_ok=True)
    result = run("validate", "--campaign", str(campaign_dir))
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "letterhead.do" in result.output and "Traceback" not in result.output
    result = run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 2 and words in result.output
    assert not (campaign_dir / "ut" / "letters").exists()  # nothing half-written


def test_read_raises_letterhead_error_for_a_directory(tmp_path):
    (tmp_path / "letterhead.docx").mkdir()
    with pytest.raises(LetterheadError):
        read(tmp_path / "letterhead.docx")


def test_supporters_letters_stay_their_own(with_letterhead, tmp_path):
    """A supporter signs as themselves: the organisation's letterhead is not put on their letters."""
    import stortinget_data as data
    from helpers import write_rows
    from supporters_data import supporter_rows

    answer = tmp_path / "dagensrepresentanter.xml"
    answer.write_bytes(data.to_xml(data.people()))
    assert run("recipients", "import-stortinget", "--campaign", str(with_letterhead), "--file", str(answer)).exit_code == 0
    write_rows(tmp_path / "underskrivere.csv", supporter_rows(2))
    result = run("letters", "--campaign", str(with_letterhead), "--date", "2026-11-25",
                 "--supporters", str(tmp_path / "underskrivere.csv"))
    assert result.exit_code == 0, result.output
    letters = list((with_letterhead / "ut" / "supporters").glob("*/*.docx"))
    assert letters
    for path in letters:
        with zipfile.ZipFile(path) as archive:
            assert not any(name.startswith("word/lh-") or name.startswith("word/media/") for name in archive.namelist())
