"""The case attachment, `kampanjens-krav.docx`: all five demands argued, every fact with a numbered note.

The organisation's letters stay within two pages by arguing only the demands the recipient owns,
briefly; this document carries the whole case once. It is attached to the organisation's e-mails
(`letters.attach_case`, on by default), printed after each letter in the print file, and converted to
PDF beside the DOCX where LibreOffice is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

from toolkit.core import markup
from toolkit.core.errors import ToolkitError
from toolkit.core.fsutil import atomic_write_bytes
from toolkit.core.model import Campaign
from toolkit.letters.render import CASE_STEM, campaign_context, fact_context

CASE_TEMPLATE = "kampanjens_krav.j2"
CASE_VARIABLES = {"organisation", "campaign", "date", "demands", "notes", "language"}
PDF_TIMEOUT_SECONDS = 120
CONVERT_TO_PDF = True  # the tests turn this off except where they check the PDF


def case_filename(campaign: Campaign, language: str, suffix: str = ".docx") -> str:
    """``kampanjens-krav.docx`` in the campaign's standard; the other standard gets ``-nn``/``-nb``."""

    return f"{CASE_STEM}{suffix}" if language == campaign.language else f"{CASE_STEM}-{language}{suffix}"


def case_context(campaign: Campaign, letter_date: date, language: str) -> dict:
    """The demands in number order, each argued with its first phrasing and all its facts."""

    notes: list[dict] = []
    demands = []
    for demand in campaign.demands:
        shown = demand.in_language(language)
        facts = []
        for fact_id in demand.facts:
            fact = fact_context(campaign, fact_id, language)
            known = next((n for n in notes if n["citation"] == fact["citation"]), None)
            if known is None:
                known = {"number": len(notes) + 1, "citation": fact["citation"], "url": fact["url"]}
                notes.append(known)
            fact["note"] = known["number"]
            facts.append(fact)
        demands.append({
            "id": shown.id, "number": shown.number, "title": shown.title, "summary": shown.summary,
            "argument": shown.arguments[0] if shown.arguments else "", "ask": shown.ask, "facts": facts,
        })
    org = campaign.organisation
    return {
        "organisation": {"name": org.name, "address": list(org.address), "website": org.website, "email": org.email},
        "campaign": campaign_context(campaign),
        "date": letter_date,
        "demands": demands,
        "notes": notes,
        "language": language,
    }


def render_case(campaign: Campaign, templates, letter_date: date, language: str) -> list[markup.Paragraph]:
    """The case document's paragraphs in ``language``."""
    text = templates[language].render(CASE_TEMPLATE, case_context(campaign, letter_date, language))
    return markup.parse(text)


def convert_to_pdf(paths: list[Path], out_dir: Path) -> list[Path]:
    """Convert DOCX files to PDF with LibreOffice in one call; [] where LibreOffice is not installed.

    A private, temporary LibreOffice profile keeps the user's own profile (and a running office)
    out of it. A failed conversion raises ToolkitError naming the files.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not paths or not CONVERT_TO_PDF:
        return []

    with tempfile.TemporaryDirectory(prefix="toolkit-lo-") as scratch:
        profile, converted = Path(scratch) / "profile", Path(scratch) / "pdf"
        command = [
            soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
            "--convert-to", "pdf", "--outdir", str(converted), *map(str, paths),
        ]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=PDF_TIMEOUT_SECONDS)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ToolkitError(f"LibreOffice kunne ikke lage PDF av {', '.join(p.name for p in paths)}: {exc}.") from exc
        made = []
        for path in paths:
            pdf = converted / (path.stem + ".pdf")
            if not pdf.exists():
                raise ToolkitError(f"LibreOffice laget ikke {pdf.name}.")
            # Moved into place atomically, so an interrupted run never leaves half a PDF.
            atomic_write_bytes(out_dir / pdf.name, pdf.read_bytes(), durable=False)
            made.append(out_dir / pdf.name)
    return made
