"""The case attachment, `kampanjens-krav.docx`: all five demands argued, every fact with a numbered note.

The organisation's letters stay within two pages by arguing only the demands the recipient owns,
briefly; this document carries the whole case once. It is attached to the organisation's e-mails
(`letters.attach_case`, on by default), printed after each letter in the print file, and converted to
PDF beside the DOCX where LibreOffice is installed (kept in ``<campaign>/.toolkit/pdf/`` and reused
while the DOCX's bytes and LibreOffice stay the same).
"""

from __future__ import annotations

import hashlib
import os
import re
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
PDF_CACHE = "pdf"  # the folder of converted PDFs in the campaign's state folder (fsutil.state_dir)


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


def convert_to_pdf(paths: list[Path], out_dir: Path, cache: Path | None = None) -> list[Path]:
    """Convert DOCX files to PDF with LibreOffice in one call; [] where LibreOffice is not installed.

    A private, temporary LibreOffice profile keeps the user's own profile (and a running office)
    out of it. A failed conversion raises ToolkitError naming the files.

    With ``cache`` (a folder of the campaign's own state), a DOCX whose bytes were converted before by
    the same LibreOffice gets that PDF again without starting LibreOffice (about 1.3 s a build); the
    cache keeps only the PDFs of this call's files.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not paths or not CONVERT_TO_PDF:
        return []
    keys = {path: _cache_key(path, soffice) for path in paths} if cache else {}
    made, todo = [], []
    for path in paths:
        target = out_dir / (path.stem + ".pdf")
        data = _cached_pdf(cache / keys[path]) if cache else None
        if data is None:
            todo.append(path)
            continue
        atomic_write_bytes(target, data, durable=False)
        made.append(target)
    if todo:
        made += _run_libreoffice(soffice, todo, out_dir, cache, keys)
    if cache:
        _prune(cache, set(keys.values()))
    return sorted(made, key=[out_dir / (path.stem + ".pdf") for path in paths].index)


def _run_libreoffice(soffice: str, paths: list[Path], out_dir: Path, cache: Path | None, keys: dict[Path, str]) -> list[Path]:
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
            data = pdf.read_bytes()
            # Moved into place atomically, so an interrupted run never leaves half a PDF.
            atomic_write_bytes(out_dir / pdf.name, data, durable=False)
            made.append(out_dir / pdf.name)
            if cache and _is_pdf(data):
                try:
                    cache.mkdir(parents=True, exist_ok=True)
                    atomic_write_bytes(cache / keys[path], data, durable=False)
                except OSError:
                    pass  # a cache that cannot be written only costs the next build a LibreOffice start
    return made


# A cached PDF's name: the SHA-256 of the DOCX's bytes and of which LibreOffice converted it, in hex.
CACHED_PDF = re.compile(r"^[0-9a-f]{64}\.pdf$")


def _cache_key(path: Path, soffice: str) -> str:
    """The cache's name for ``path``'s PDF: its bytes and the LibreOffice program (path, size, time)."""
    program = Path(soffice).resolve()
    stat = program.stat()
    digest = hashlib.sha256(path.read_bytes())
    digest.update(f"\0{program}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest() + ".pdf"


def _is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


def _cached_pdf(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if _is_pdf(data) else None


def _prune(cache: Path, keep: set[str]) -> None:
    """Remove the cache's PDFs that this build did not use; nothing else in the folder is touched."""
    try:
        names = os.listdir(cache)
    except OSError:
        return
    for name in names:
        if CACHED_PDF.match(name) and name not in keep:
            try:
                os.unlink(cache / name)
            except OSError:
                pass
