"""The peers' side of the letter benchmark: docxtpl and plain python-docx writing the same letters.

Runs in the benchmark's own venv (bench/.env, where docxtpl lives), never imports the toolkit, and is
started by bench/run.py once per measurement, so the process's peak memory is its own:

    bench/.env/bin/python bench/peers.py docxtpl|python-docx BASE.docx LETTERS.jsonl OUT_FOLDER [LIMIT]

LETTERS.jsonl has one letter a line, ``{"stem", "title", "paragraphs": [[style, [[text, bold, italic], …]], …]}``,
the paragraphs the toolkit rendered for the same supporters; it is read one line at a time, and
only the first LIMIT letters are written when LIMIT is given.
The result (letters, seconds of the writing loop) is printed as JSON on the last line.
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

# The template's parts, in letter order: (style, context key, whether the key holds a list).
TEMPLATE = (
    ("Letterhead", "letterhead", False),
    ("LetterheadDetail", "detail", False),
    ("Address", "address", True),  # the address takes several lines
    ("Date", "date", False),
    ("Heading1", "heading", False),
    ("Body", "before", True),
    ("ListBullet", "bullets", True),
    ("Body", "after", True),
    ("Closing", "closing", False),
    ("Signature", "signature", False),
    ("Small", "small", True),
)


LIMIT = None


def letters(path: Path):
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if LIMIT is not None and number >= LIMIT:
                return
            yield json.loads(line)


def _text(runs) -> str:
    return "".join(text for text, _bold, _italic in runs)


def docxtpl_context(letter: dict) -> dict:
    """The letter's paragraphs as the template's variables (bullets split the body in two)."""
    context: dict = {"title": letter["title"], "address": [], "before": [], "bullets": [], "after": [], "small": []}
    single = {style: key for style, key, many in TEMPLATE if not many}
    context.update({key: "" for key in single.values()})  # a part this letter does not have stays empty
    for style, runs in letter["paragraphs"]:
        if style == "Address":
            context["address"].append(_text(runs))
        elif style == "ListBullet":
            context["bullets"].append(_text(runs))
        elif style == "Body":
            context["after" if context["bullets"] else "before"].append(_text(runs))
        elif style == "Small":
            context["small"].append(_text(runs))
        elif style in single:
            context[single[style]] = _text(runs)
        else:
            raise SystemExit(f"peers.py: the template has no place for the style {style!r}; add it to TEMPLATE")
    return context


def make_template(base: Path, target: Path) -> None:
    """A docxtpl template on the toolkit's base document: one styled paragraph (or loop) per part."""
    import docx

    document = docx.Document(str(base))
    for style, key, many in TEMPLATE:
        if many:
            document.add_paragraph(f"{{%p for item in {key} %}}", style=style)
            document.add_paragraph("{{ item }}", style=style)
            document.add_paragraph("{%p endfor %}", style=style)
        else:
            document.add_paragraph(f"{{{{ {key} }}}}", style=style)
    document.core_properties.title = "{{ title }}"
    document.save(str(target))


def run_docxtpl(base: Path, source: Path, out: Path) -> int:
    """docxtpl's fair setup: the template loaded once, a strict and escaping Jinja environment."""
    from docxtpl import DocxTemplate
    from jinja2 import Environment, StrictUndefined

    template_file = out / "mal.docx"
    make_template(base, template_file)
    template = DocxTemplate(str(template_file))
    environment = Environment(undefined=StrictUndefined, autoescape=True)
    count = 0
    for letter in letters(source):
        template.render(docxtpl_context(letter), jinja_env=environment)
        template.save(str(out / f"{letter['stem']}.docx"))
        count += 1
    return count


def run_python_docx(base: Path, source: Path, out: Path) -> int:
    """Plain python-docx: open the base document, add the paragraphs and runs, save, per letter."""
    import docx

    base_bytes = base.read_bytes()
    count = 0
    for letter in letters(source):
        document = docx.Document(io.BytesIO(base_bytes))
        for style, runs in letter["paragraphs"]:
            paragraph = document.add_paragraph(style=style)
            for text, bold, italic in runs:
                run = paragraph.add_run(text)
                if bold:
                    run.bold = True
                if italic:
                    run.italic = True
        document.core_properties.title = letter["title"]
        document.save(str(out / f"{letter['stem']}.docx"))
        count += 1
    return count


def main(argv: list[str]) -> None:
    global LIMIT
    tool, base, source, out, *limit = argv
    LIMIT = int(limit[0]) if limit else None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    writer = {"docxtpl": run_docxtpl, "python-docx": run_python_docx}[tool]
    started = time.perf_counter()
    count = writer(Path(base), Path(source), out)
    print(json.dumps({"letters": count, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main(sys.argv[1:])
