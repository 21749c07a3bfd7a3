"""Writing the letters pack: DOCX, text and e-mail per recipient, a print file and an overview."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from toolkit import markup
from toolkit.emails import build_email
from toolkit.fsutil import atomic_write_bytes, atomic_write_text, safe_stem
from toolkit.letters import Letter, lookup_names, render_letter, variant_numbers
from toolkit.model import LANGUAGES, Campaign, Recipient
from toolkit.tabular import write_csv
from toolkit.templates import Templates

PRINT_FILE = "alle-brev.docx"
OVERVIEW_FILE = "oversikt-brev.csv"
MANIFEST_FILE = "manifest.json"


@dataclass
class LetterPackReport:
    """What a letters run wrote."""

    letters: int = 0
    with_email: int = 0
    unverified: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    fingerprints: list = field(default_factory=list)  # similarity.Item per letter, for `toolkit check`


def templates_for(campaign: Campaign) -> dict[str, Templates]:
    """One template set per written standard; a language with no folder falls back to the shared one."""
    if not campaign.templates:
        campaign.templates.update({language: Templates(campaign.templates_dir, language) for language in LANGUAGES})
    return campaign.templates


def file_stem(recipient: Recipient) -> str:
    return safe_stem(recipient.id)


def docx_filename(recipient: Recipient) -> str:
    return f"brev-{file_stem(recipient)}.docx"


def write_letter_files(
    campaign: Campaign, letter: Letter, letters_dir: Path, emails_dir: Path, letter_date: date, sender=None,
    with_email: bool = True,
    files: dict | None = None,
    formats: tuple[str, ...] = ("docx", "txt", "eml"),
) -> dict:
    """Write one letter's DOCX, text copy and (unless it is a draft) .eml; return its manifest entry.

    With ``files``, the outputs are put there (file name: bytes) instead of on disk, and only the
    ``formats`` asked for (supporters' ``--pack zip`` and ``--only eml``).
    """
    from toolkit.docx import build_docx

    recipient = letter.recipient
    stem = file_stem(recipient)
    docx_bytes = None
    if files is None or "docx" in formats or (with_email and campaign.attach_docx):
        docx_bytes = build_docx(letter.paragraphs, title=letter.subject, language=letter.language)
    text = letter.text
    if files is not None:
        if "docx" in formats:
            files[f"{stem}.docx"] = docx_bytes
        if "txt" in formats:
            files[f"{stem}.txt"] = text.encode("utf-8")
    else:
        # Generated outputs are rewritten by the next build, so they skip the flush to disk (see fsutil).
        atomic_write_bytes(letters_dir / f"{stem}.docx", docx_bytes, durable=False)
        atomic_write_text(letters_dir / f"{stem}.txt", text, durable=False)
    if not with_email:
        # A draft still missing the signer's own words: nothing that could be sent is written.
        (emails_dir / f"{stem}.eml").unlink(missing_ok=True)
        return {"recipient": recipient.id, "name": recipient.name, "file": None, "draft": True}
    attachment = (docx_filename(recipient), docx_bytes) if campaign.attach_docx else None
    eml = build_email(
        campaign, recipient, letter.subject, text, letter_date,
        language=letter.language, sender=sender, attachment=attachment,
    )
    if files is not None:
        files[f"{stem}.eml"] = eml
    else:
        atomic_write_bytes(emails_dir / f"{stem}.eml", eml, durable=False)
    return {
        "recipient": recipient.id,
        "name": recipient.name,
        "kind": recipient.kind,
        "email": recipient.email,
        "email_verified": recipient.email_verified,
        "verified_on": recipient.verified_on.isoformat() if recipient.verified_on else None,
        "file": f"{stem}.eml",
        "sha256": hashlib.sha256(eml).hexdigest(),
        "subject": letter.subject,
        "language": letter.language,
        "lead": list(letter.lead),
    }


def letter_fingerprint(letter: Letter, group: str, key: str | None = None):
    """The similarity fingerprint of a letter's own words (see toolkit.similarity)."""
    from toolkit.similarity import Item, body_text, fingerprint

    from array import array

    # Packed (CRC32 values fit in four bytes), since worker processes send it back for every letter.
    hashes = array("I", sorted(fingerprint(body_text(letter.paragraphs))))
    return Item(key=key or letter.recipient.id, group=group, hashes=hashes)


def remove_stale(folder: Path, keep: set[str], suffixes: tuple[str, ...]) -> None:
    """Remove outputs of recipients no longer in the list, so a rerun replaces the pack cleanly."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.suffix in suffixes and path.name not in keep and path.is_file():
            path.unlink()


def write_letter_pack(
    campaign: Campaign,
    recipients: list[Recipient],
    letter_date: date,
    *,
    full_run: bool = True,
    progress: Callable[[int], None] | None = None,
) -> LetterPackReport:
    """Render and write every selected recipient's letter, the print file and the overview."""
    from toolkit.docx import build_docx

    out = campaign.output_dir
    letters_dir, emails_dir = out / "letters", out / "emails"
    templates = templates_for(campaign)
    names = lookup_names(campaign)
    # Numbered over every recipient, so that a run with --to gives the same letters as a full run.
    variants = variant_numbers(campaign.recipients)
    report = LetterPackReport()
    manifest: list[dict] = []
    combined: list[markup.Paragraph] = []
    overview_rows = []
    ministries, committees = names
    for recipient in recipients:
        letter = render_letter(campaign, templates, recipient, letter_date, names, variant=variants.get(recipient.id))
        entry = write_letter_files(campaign, letter, letters_dir, emails_dir, letter_date)
        manifest.append(entry)
        report.fingerprints.append(letter_fingerprint(letter, group=recipient.id))
        first, *rest = letter.paragraphs
        combined.append(markup.Paragraph(first.style, first.runs, page_break_before=bool(combined)))
        combined.extend(rest)
        report.letters += 1
        if recipient.email:
            report.with_email += 1
            if not recipient.email_verified:
                report.unverified.append(recipient.id)
        titles = {d.id: f"{d.number}. {d.title}" for d in campaign.demands}
        overview_rows.append([
            recipient.id, recipient.kind, recipient.name, recipient.title,
            recipient.email, "ja" if recipient.email_verified else "nei", letter.language,
            " | ".join(titles[d] for d in letter.lead), " | ".join(titles[d] for d in letter.others),
            f"letters/{entry['file'][:-4]}.docx", f"emails/{entry['file']}",
        ])
        if progress:
            progress(1)
    if full_run:
        stems = {file_stem(r) for r in recipients}
        remove_stale(letters_dir, {f"{s}.docx" for s in stems} | {f"{s}.txt" for s in stems}, (".docx", ".txt"))
        remove_stale(emails_dir, {f"{s}.eml" for s in stems}, (".eml",))
    else:
        manifest = _merge_manifest(emails_dir / MANIFEST_FILE, manifest)
    atomic_write_text(emails_dir / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    if combined:
        atomic_write_bytes(out / PRINT_FILE, build_docx(combined, title=f"Brev – 16 dager {campaign.year}", language=campaign.language), durable=False)
    write_csv(
        out / OVERVIEW_FILE,
        ["id", "type", "navn", "tittel", "e-post", "e-post verifisert", "språk", "krav som leder", "andre krav", "brev", "e-post-fil"],
        overview_rows,
        excel=True,
    )
    report.files = [out / PRINT_FILE, out / OVERVIEW_FILE, emails_dir / MANIFEST_FILE]
    return report


def _merge_manifest(path: Path, entries: list[dict]) -> list[dict]:
    """With --to, keep the other recipients' entries from the last full run."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = []
    fresh = {e["recipient"] for e in entries}
    return [e for e in old if isinstance(e, dict) and e.get("recipient") not in fresh] + entries
