"""Make an example Word letterhead (letterhead.docx) to try the toolkit's letterhead support.

    python docs/examples/make_letterhead.py kampanje/letterhead.docx

It draws a small logo with Pillow and builds the letterhead with python-docx the way a designer
does it in Word: A4, the logo and the organisation's name in the first page's header, the name
alone in the header of the following pages, the address and organisation number in the footer,
the organisation's font and colours in the styles. The address and number are EXAMPLES, marked so:
put the organisation's own letterhead in the campaign folder instead, as its designer made it.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

LOGO_COLOUR = (111, 45, 168)  # a purple no other part of a letter uses, so a test can find the logo on a page
NAME = "Eksempelorganisasjonen"
FOOTER = "Eksempelgata 1, 0000 Oslo (eksempel) · org.nr. 000 000 000 (eksempel) · post@example.org"


def logo_png(size: int = 240) -> bytes:
    """A round purple mark with a white bar: a logo drawn here, not copied from anywhere."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), fill=LOGO_COLOUR)
    draw.rectangle((size * 0.25, size * 0.44, size * 0.75, size * 0.56), fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def make_letterhead(path: Path, *, font: str = "Carlito") -> Path:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.2), Cm(2.5)
    section.left_margin, section.right_margin = Cm(2.2), Cm(2.2)
    section.header_distance, section.footer_distance = Cm(1.0), Cm(1.0)
    section.different_first_page_header_footer = True

    normal = document.styles["Normal"]
    normal.font.name = font
    normal.font.size = Pt(11)
    heading = document.styles["Heading 1"]
    heading.font.name = font
    heading.font.color.rgb = RGBColor(*LOGO_COLOUR)

    first = section.first_page_header.paragraphs[0]
    first.add_run().add_picture(io.BytesIO(logo_png()), width=Cm(2.0))
    name = first.add_run("  " + NAME)
    name.bold = True
    name.font.size = Pt(16)
    name.font.color.rgb = RGBColor(*LOGO_COLOUR)

    following = section.header.paragraphs[0]
    following.text = NAME
    following.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    following.runs[0].font.color.rgb = RGBColor(*LOGO_COLOUR)

    for footer in (section.first_page_footer, section.footer):
        paragraph = footer.paragraphs[0]
        paragraph.text = FOOTER
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.runs[0].font.size = Pt(8)

    document.add_paragraph("Skriv brevet her.")  # a designer's sample text: the toolkit does not use it
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("Bruk: python docs/examples/make_letterhead.py MAPPE/letterhead.docx")
    print(make_letterhead(Path(sys.argv[1])))
