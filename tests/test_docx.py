"""Tests for toolkit.core.docx: every produced file is reopened with python-docx, zipfile and lxml."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile

import docx
import pytest
from docx.shared import Twips
from docx_reference import reference_docx
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from toolkit.core.docx import STYLES, build_docx, write_docx
from toolkit.core.errors import OutputError
from toolkit.core.markup import Paragraph, Run, parse

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TRICKY = 'Ås & Ø <b>"sitat"</b> \'enkel\''
LONG_NAME = "Kari Nordmann-Ødegård " * 100 + "Æsir"  # over 2,000 characters


def typical_letter() -> list[Paragraph]:
    """A one-page campaign letter, the size the speed targets are measured on."""
    return parse(
        """::Letterhead
Folkeaksjonen for Nærmiljø

::LetterheadDetail
Storgata 1, 0155 Oslo
post@folkeaksjonen.no · 22 00 00 00

::Address
Ola Nordmann
Kirkeveien 12 B
0368 Oslo

::Date
Oslo, 14. mars 2025

::Reference
Vår ref.: 2025/017 · Deres ref.: —

# Bevar Frognerparken som grønt område

Kjære Ola Nordmann,

Vi skriver til deg fordi du bor i **Frogner bydel**, og fordi kommunen nå vurderer å regulere deler
av parken til parkering. Vedtaket skal fattes i bystyret _torsdag 3. april_, og før den tid ønsker vi
å vise politikerne at naboene bryr seg om grøntområdene rundt seg.

Forslaget innebærer at om lag 4 000 kvadratmeter grøntareal blir asfaltert. Det rammer lekeplassen ved
Gimleveien, turstien langs dammen og trærne som i dag skjermer mot trafikken i Kirkeveien.

Dette kan du gjøre:

- skrive under på oppropet på folkeaksjonen.no
- møte opp på folkemøtet i Frogner kirke **25. mars kl. 18**
- dele brevet med naboene dine

## Hvorfor nå?

Høringsfristen er kort, og erfaring viser at saker som dette avgjøres tidlig. Jo flere som sier fra nå,
desto større er sjansen for at forslaget sendes tilbake til administrasjonen for en ny vurdering.

Takk for at du tar deg tid til å lese dette. Vi håper å se deg på folkemøtet!

::Closing
Med vennlig hilsen

::Signature
Kari Nordmann
leder, Folkeaksjonen for Nærmiljø

::Small
Du får dette brevet fordi du bor i et område som berøres av forslaget.
Vil du ikke få flere brev, svar «stopp»."""
    )


def open_docx(data: bytes) -> docx.document.Document:
    """Check the zip and the main part, then open the file with python-docx."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        etree.fromstring(archive.read("word/document.xml"))
    return docx.Document(io.BytesIO(data))


def summary(document: docx.document.Document) -> list[tuple]:
    """What a reader sees of each paragraph: style, text, page break and the runs' formatting."""
    return [
        (
            paragraph.style.style_id,
            paragraph.style.name,
            paragraph.text,
            bool(paragraph.paragraph_format.page_break_before),
            [(run.text, bool(run.bold), bool(run.italic)) for run in paragraph.runs],
        )
        for paragraph in document.paragraphs
    ]


def styles_and_texts(document: docx.document.Document) -> list[tuple[str, str]]:
    """Each paragraph's style id and text."""
    return [(paragraph.style.style_id, paragraph.text) for paragraph in document.paragraphs]


def test_required_styles_are_defined():
    required = {
        "Body", "Heading1", "Heading2", "ListBullet", "Letterhead", "LetterheadDetail", "Address", "Date",
        "Reference", "Closing", "Signature", "Title", "Ingress", "Byline", "Small", "CoverNote",
    }  # fmt: skip
    assert required <= STYLES


def test_styles_constant_matches_styles_xml():
    with zipfile.ZipFile(io.BytesIO(build_docx([]))) as archive:
        styles = etree.fromstring(archive.read("word/styles.xml"))
    defined = {
        style.get(f"{W}styleId") for style in styles.iter(f"{W}style") if style.get(f"{W}type") == "paragraph"
    }
    assert defined == STYLES


def test_typical_letter_texts_and_styles():
    paragraphs = typical_letter()
    document = open_docx(build_docx(paragraphs, title="Bevar Frognerparken"))
    assert styles_and_texts(document) == [(p.style, p.text) for p in paragraphs]
    names = {p.style.style_id: p.style.name for p in document.paragraphs}
    assert names["Heading1"] == "Heading 1"
    assert names["ListBullet"] == "List Bullet"
    assert names["Letterhead"] == "Letterhead"
    assert document.paragraphs[2].text == "Ola Nordmann\nKirkeveien 12 B\n0368 Oslo"
    assert document.core_properties.title == "Bevar Frognerparken"


def test_every_style_can_be_used():
    paragraphs = [Paragraph(style, (Run(f"{style} {TRICKY}"),)) for style in sorted(STYLES)]
    document = open_docx(build_docx(paragraphs))
    assert styles_and_texts(document) == [(p.style, p.text) for p in paragraphs]


def test_a4_page_and_margins():
    section = open_docx(build_docx(typical_letter())).sections[0]
    assert (section.page_width, section.page_height) == (Twips(11906), Twips(16838))
    assert abs(section.page_width.mm - 210) < 0.1 and abs(section.page_height.mm - 297) < 0.1
    for margin in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin):
        assert margin == Twips(1418)


def test_default_font_is_calibri_not_cambria():
    data = build_docx(typical_letter())
    document = open_docx(data)
    assert document.styles["Normal"].font.name == "Calibri"
    assert document.styles["Normal"].font.size.pt == 11
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles_xml = archive.read("word/styles.xml")
    defaults = etree.fromstring(styles_xml).find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert {defaults.get(f"{W}{attribute}") for attribute in ("ascii", "hAnsi", "cs")} == {"Calibri"}
    assert b"Cambria" not in styles_xml


def test_style_details():
    styles = open_docx(build_docx([])).styles
    assert (styles["Heading 1"].font.size.pt, styles["Heading 1"].font.bold) == (14, True)
    assert (styles["Heading 2"].font.size.pt, styles["Heading 2"].font.bold) == (12, True)
    assert (styles["Title"].font.size.pt, styles["Title"].font.bold) == (20, True)
    assert styles["Letterhead"].font.size.pt == 16
    assert styles["Date"].paragraph_format.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT
    assert styles["Closing"].paragraph_format.keep_with_next is True
    assert styles["Small"].font.size.pt == 9


def _relative_luminance(hex_colour: str) -> float:
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def test_coloured_text_is_readable_on_white():
    styles = open_docx(build_docx([])).styles
    for name in ("Letterhead", "Letterhead Detail", "footer"):
        colour = str(styles[name].font.color.rgb)
        contrast = 1.05 / (_relative_luminance(colour) + 0.05)
        # WCAG AA: 3:1 for large text (16 pt bold letterhead), 4.5:1 for the rest
        assert contrast >= (3 if name == "Letterhead" else 4.5), (name, colour, contrast)


def test_bullets_have_a_numbering_definition():
    with zipfile.ZipFile(io.BytesIO(build_docx([Paragraph("ListBullet", (Run("punkt"),))]))) as archive:
        numbering = etree.fromstring(archive.read("word/numbering.xml"))
        styles = etree.fromstring(archive.read("word/styles.xml"))
    level = numbering.find(f"{W}abstractNum/{W}lvl")
    assert level.find(f"{W}numFmt").get(f"{W}val") == "bullet"
    assert level.find(f"{W}lvlText").get(f"{W}val") == "•"
    bullet_style = next(s for s in styles.iter(f"{W}style") if s.get(f"{W}styleId") == "ListBullet")
    number_id = bullet_style.find(f"{W}pPr/{W}numPr/{W}numId").get(f"{W}val")
    assert number_id in {num.get(f"{W}numId") for num in numbering.iter(f"{W}num")}


def test_footer_has_page_field():
    data = build_docx(typical_letter())
    assert open_docx(data).sections[0].footer.paragraphs[0].text == "Side 1"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        footer = etree.fromstring(archive.read("word/footer1.xml"))
    assert [f.get(f"{W}fldCharType") for f in footer.iter(f"{W}fldChar")] == ["begin", "separate", "end"]
    assert [i.text.strip() for i in footer.iter(f"{W}instrText")] == ["PAGE"]


@pytest.mark.parametrize(("language", "tag"), [("nb-NO", "nb-NO"), ("nb", "nb-NO"), ("nn", "nn-NO")])
def test_document_language(language, tag):
    data = build_docx([Paragraph("Body", (Run("Hei"),))], language=language)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = etree.fromstring(archive.read("word/styles.xml"))
    assert styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang").get(f"{W}val") == tag
    assert open_docx(data).core_properties.language == tag


def test_language_that_is_not_a_tag_is_refused():
    with pytest.raises(ValueError, match="language"):
        build_docx([], language='nb"/><w:evil')


def test_bold_italic_line_breaks_and_tabs():
    paragraph = Paragraph(
        "Body",
        (
            Run("vanlig "),
            Run("fet", bold=True),
            Run(" kursiv", italic=True),
            Run("begge", bold=True, italic=True),
            Run("\tlinje 1\nlinje 2\r\nlinje 3\n"),
        ),
    )
    (read,) = summary(open_docx(build_docx([paragraph])))
    assert read[4] == [
        ("vanlig ", False, False),
        ("fet", True, False),
        (" kursiv", False, True),
        ("begge", True, True),
        ("\tlinje 1\nlinje 2\nlinje 3\n", False, False),
    ]


def test_leading_and_trailing_spaces_are_kept():
    document = open_docx(build_docx([Paragraph("Body", (Run("  to mellomrom "), Run(" og ett")))]))
    assert document.paragraphs[0].text == "  to mellomrom  og ett"


def test_page_break_before():
    paragraphs = [
        Paragraph("Body", (Run("side 1"),)),
        Paragraph("Heading1", (Run("side 2"),), page_break_before=True),
    ]
    document = open_docx(build_docx(paragraphs))
    assert [bool(p.paragraph_format.page_break_before) for p in document.paragraphs] == [False, True]


def test_xml_special_characters_and_long_names():
    paragraphs = [
        Paragraph("Address", (Run(f"{LONG_NAME}\n{TRICKY}"),)),
        Paragraph("Body", (Run(TRICKY, bold=True),)),
    ]
    document = open_docx(build_docx(paragraphs, title=TRICKY))
    assert [p.text for p in document.paragraphs] == [f"{LONG_NAME}\n{TRICKY}", TRICKY]
    assert len(LONG_NAME) > 2000
    assert document.core_properties.title == TRICKY


def test_invalid_xml_characters_are_removed():
    dirty = "a\x00b\x01c\x0bd\x1fe\ufffef\uffffg\ud800h\udfffi\x7fj😀k"
    document = open_docx(build_docx([Paragraph("Body", (Run(dirty),))], title=dirty))
    assert document.paragraphs[0].text == "abcdefghi\x7fj😀k"
    assert document.core_properties.title == "abcdefghi\x7fj😀k"


def xml_safe(text: str) -> str:
    """Keep only the characters XML 1.0 allows."""
    return "".join(
        c
        for c in text
        if c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000"
    )


# Hypothesis never draws surrogates by itself, so they and the other troublemakers are mixed in.
TROUBLEMAKERS = "\ud800\udfff\ufffe\uffff\x00\x1f\r\n\t&<>\""
AWKWARD_TEXT = st.text(st.one_of(st.characters(), st.sampled_from(TROUBLEMAKERS)))


@settings(max_examples=100, deadline=None)
@given(AWKWARD_TEXT, AWKWARD_TEXT, st.booleans(), st.booleans())
def test_any_unicode_gives_a_valid_document(text, title, bold, italic):
    document = open_docx(build_docx([Paragraph("Body", (Run(text, bold=bold, italic=italic),))], title=title))
    assert document.paragraphs[0].text == xml_safe(text).replace("\r\n", "\n").replace("\r", "\n")
    assert document.core_properties.title == xml_safe(title).replace("\r\n", "\n").replace("\r", "\n")


def test_unknown_style_is_refused():
    with pytest.raises(ValueError, match="'Heading7'"):
        build_docx([Paragraph("Body", (Run("ok"),)), Paragraph("Heading7", (Run("nei"),))])
    with pytest.raises(ValueError, match="'Heading7'"):
        reference_docx([Paragraph("Heading7", (Run("nei"),))])


def test_empty_document_opens():
    document = open_docx(build_docx([]))
    assert document.paragraphs == []


def test_identical_input_gives_identical_bytes():
    assert build_docx(typical_letter(), title="Brev") == build_docx(typical_letter(), title="Brev")
    assert build_docx(typical_letter(), title="Brev") != build_docx(typical_letter(), title="Brev 2")


def test_zip_entries_have_fixed_timestamp():
    with zipfile.ZipFile(io.BytesIO(build_docx(typical_letter()))) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.namelist()[0] == "[Content_Types].xml"


def test_write_docx_is_atomic_and_replaces(tmp_path):
    target = tmp_path / "brev.docx"
    target.write_bytes(b"old content")
    write_docx(target, typical_letter(), title="Brev")
    assert target.read_bytes() == build_docx(typical_letter(), title="Brev")
    assert os.listdir(tmp_path) == ["brev.docx"]
    assert open_docx(target.read_bytes()).paragraphs[0].text == "Folkeaksjonen for Nærmiljø"


def test_write_docx_failure_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "brev.docx"
    target.write_bytes(b"old content")
    with pytest.raises(ValueError):
        write_docx(target, [Paragraph("Nope", (Run("x"),))])
    # A folder in the way makes os.replace fail after the temporary file was written.
    blocked = tmp_path / "mappe.docx"
    (blocked / "inni").mkdir(parents=True)
    with pytest.raises(OutputError):
        write_docx(blocked, typical_letter())
    assert target.read_bytes() == b"old content"
    assert sorted(os.listdir(tmp_path)) == ["brev.docx", "mappe.docx"]


def test_write_docx_respects_umask(tmp_path):
    target = tmp_path / "brev.docx"
    write_docx(target, typical_letter())
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_fast_and_reference_documents_agree():
    paragraphs = [
        *typical_letter(),
        Paragraph("CoverNote", (Run("Notat: "), Run(TRICKY, italic=True), Run("\t\n"))),
        Paragraph("Title", (Run(LONG_NAME, bold=True),), page_break_before=True),
        Paragraph("Ingress", (Run(""),)),
        Paragraph("Byline", (Run("a\x00b\r\nc"),)),
    ]
    fast = open_docx(build_docx(paragraphs, title=TRICKY, language="nn"))
    slow = open_docx(reference_docx(paragraphs, title=TRICKY, language="nn"))
    assert summary(fast) == summary(slow)
    assert len(summary(fast)) == len(paragraphs)
    assert (fast.core_properties.title, fast.core_properties.language) == (
        slow.core_properties.title,
        slow.core_properties.language,
    )
    assert (fast.sections[0].page_width, fast.sections[0].left_margin) == (
        slow.sections[0].page_width,
        slow.sections[0].left_margin,
    )


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_to_pdf(tmp_path):
    source = tmp_path / "brev.docx"
    write_docx(source, typical_letter())
    subprocess.run(
        ["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert (tmp_path / "brev.pdf").read_bytes().startswith(b"%PDF")


def test_reused_paragraphs_give_the_same_files_as_new_ones():
    """Letters share paragraphs (markup.parse reuses a block's paragraphs, the print file repeats each
    letter's): the XML written once for a paragraph's runs serves again, and the files are the same as
    those built with nothing remembered, whatever the other paragraphs need escaped or cleaned."""
    from toolkit.core import docx as writer
    from toolkit.core import markup

    texts = [
        "::Address\nKari & Co <AS>\nGata 1\n\n# Brev\n\nHei **du**, _her_ er \"teksten\".\n\n- punkt\n- punkt to",
        "::Address\nOla\n\n# Brev\n\nHei **du**, _her_ er \"teksten\".\n\nRen tekst uten noe å rense.",
        "# Brev\n\nMed styretegn \x01 og \r\nlinjeskift.\n\nRen tekst uten noe å rense.",
    ]
    paragraphs = [markup.parse(text) for text in texts]
    assert paragraphs[0][2] is paragraphs[1][2]  # the same block, the same paragraph
    printed = [p for each in paragraphs for p in each]
    warm = [build_docx(each, title="Brev") for each in (*paragraphs, printed)]
    writer._RUNS_XML.clear()
    markup._BLOCKS.clear()
    cold = []
    for each in (*[markup.parse(text) for text in texts], printed):
        writer._RUNS_XML.clear()
        cold.append(build_docx(each, title="Brev"))
    assert warm == cold
    body = zipfile.ZipFile(io.BytesIO(warm[3])).read("word/document.xml").decode()
    assert "Kari &amp; Co &lt;AS&gt;" in body and "&quot;teksten&quot;" in body and "\x01" not in body
