"""The slow, obvious DOCX writer: the same document as toolkit.core.docx.build_docx, built with python-docx,
so that the tests can check the fast writer against it."""

from __future__ import annotations

import io
from collections.abc import Sequence

import docx

from toolkit.core.docx import STYLES, _unknown_style, build_docx, clean_text, language_tag
from toolkit.core.markup import Paragraph


def reference_docx(paragraphs: Sequence[Paragraph], *, title: str = "", language: str = "nb-NO") -> bytes:
    """Return the same document built the slow, obvious way with python-docx, to check build_docx."""
    document = docx.Document(io.BytesIO(build_docx((), language=language)))
    styles = {style.style_id: style for style in document.styles}
    for index, paragraph in enumerate(paragraphs):
        if paragraph.style not in STYLES:
            raise _unknown_style(paragraph.style)
        added = document.add_paragraph(style=styles[paragraph.style])
        if paragraph.page_break_before:
            added.paragraph_format.page_break_before = True
        following = paragraphs[index + 1].style if index + 1 < len(paragraphs) else ""
        if following == "Closing" and paragraph.style != "Closing":
            added.paragraph_format.keep_with_next = True
        for run in paragraph.runs:
            # python-docx turns "\n" into w:br and "\t" into w:tab itself.
            added_run = added.add_run(clean_text(run.text))
            if run.bold:
                added_run.bold = True
            if run.italic:
                added_run.italic = True
    document.core_properties.title = clean_text(title)
    document.core_properties.language = language_tag(language)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
