"""Writing the letters pack: DOCX, text and e-mail per recipient, a print file and an overview."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from toolkit.core import markup
from toolkit.core.docx import build_docx
from toolkit.core.errors import ToolkitError
from toolkit.core.excel_out import write_table, xlsx_path
from toolkit.core.fsutil import atomic_write_bytes, atomic_write_text, safe_stem, state_dir
from toolkit.core.letterhead import load as load_letterhead
from toolkit.core.model import LANGUAGES, Campaign, Recipient
from toolkit.core.templates import Templates
from toolkit.letters.case import PDF_CACHE, case_filename, convert_to_pdf, render_case
from toolkit.letters.emails import build_email
from toolkit.letters.references import letter_reference, with_reference
from toolkit.letters.render import (
    CASE_STEM,
    Letter,
    LetterPlan,
    PlannedLetter,
    address_lines,
    language_of,
    letter_context,
    lookup_names,
    plan_letters,
    recipient_variant_numbers,
    render_letter,
)
from toolkit.letters.similarity import Item, body_text, fingerprint
from toolkit.pack import remove_own

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
    plan: LetterPlan = field(default_factory=LetterPlan)  # who got a letter, who did not and why
    notes: list[str] = field(default_factory=list)  # things the user should know (a PDF that failed)


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
    with_email: bool = True, case: tuple[str, bytes] | None = None,
    files: dict[str, bytes] | None = None, formats: tuple[str, ...] = ("docx", "txt", "eml"),
) -> dict:
    """Write one letter's DOCX, text copy and (unless it is a draft) .eml; return its manifest entry.

    ``case`` is the case attachment (file name and DOCX bytes) the e-mail carries, if any. With
    ``files``, the outputs are put there (file name: bytes) instead of on disk, and only the
    ``formats`` asked for (supporters' ``--pack zip`` and ``--only eml``). On disk, ``formats``
    without "eml" (supporters' ``--only docx``, letters to print) writes no e-mail and returns an
    entry with no file, which is not for a manifest.
    """

    recipient = letter.recipient
    stem = file_stem(recipient)
    # The organisation's letterhead.docx, if the campaign has one (read once per run, then cached); a
    # supporter's letter (``sender``) is the supporter's own and keeps its plain layout.
    letterhead = load_letterhead(campaign.folder) if sender is None else None
    docx_bytes = b""
    if files is None or "docx" in formats or (with_email and campaign.attach_docx):
        docx_bytes = build_docx(letter.paragraphs, title=letter.subject, language=letter.language, letterhead=letterhead)
    # The plain text, for the text copy and the e-mail (a print-only letter needs neither).
    text = letter.text if "txt" in formats or "eml" in formats else ""
    if files is not None:
        if "docx" in formats:
            files[f"{stem}.docx"] = docx_bytes
        if "txt" in formats:
            files[f"{stem}.txt"] = text.encode("utf-8")
    else:
        # Generated outputs are rewritten by the next build, so they skip the flush to disk (see fsutil).
        # The paths as strings: pathlib's joining costs more than a small file's writing.
        folder = os.fspath(letters_dir)
        atomic_write_bytes(f"{folder}{os.sep}{stem}.docx", docx_bytes, durable=False)
        if "txt" in formats:
            atomic_write_bytes(f"{folder}{os.sep}{stem}.txt", text.encode("utf-8"), durable=False)
        if "eml" not in formats:
            return {"recipient": recipient.id, "name": recipient.name, "file": None, "docx": f"{stem}.docx"}
    if not with_email:
        # A draft still missing the signer's own words: nothing that could be sent is written.
        eml_path = f"{os.fspath(emails_dir)}{os.sep}{stem}.eml"
        if os.path.lexists(eml_path):  # nothing there (a first run): nothing to remove
            remove_own(Path(eml_path))
        return {"recipient": recipient.id, "name": recipient.name, "file": None, "draft": True}
    attachments = []
    if campaign.attach_docx:
        attachments.append((docx_filename(recipient), docx_bytes))
    if case:
        attachments.append(case)
    subject = letter.subject
    if sender is None:
        # The organisation's letters carry a reference that `toolkit replies` finds again in answers.
        subject = with_reference(subject, letter_reference(campaign.year, recipient.id))
    eml = build_email(
        campaign, recipient, subject, text, letter_date,
        language=letter.language, sender=sender, attachments=attachments,
    )
    if files is not None:
        files[f"{stem}.eml"] = eml
    else:
        atomic_write_bytes(f"{os.fspath(emails_dir)}{os.sep}{stem}.eml", eml, durable=False)
    entry = email_entry(recipient, stem, eml, letter.subject, letter.language)
    entry["lead"] = list(letter.lead)
    if len(letter.members) > 1:
        entry["members"] = list(letter.members)
    if sender is None:
        # The organisation's own letter: `toolkit send` keeps two of them out of one inbox.
        entry["from_organisation"] = True
    return entry


def email_entry(recipient: Recipient, stem: str, eml: bytes, subject: str, language: str) -> dict:
    """An e-mail's entry in its folder's manifest.json, which `toolkit send` checks every message against."""
    return {
        "recipient": recipient.id,
        "name": recipient.name,
        "kind": recipient.kind,
        "email": recipient.email,
        "email_verified": recipient.email_verified,
        "verified_on": recipient.verified_on.isoformat() if recipient.verified_on else None,
        "file": f"{stem}.eml",
        "sha256": hashlib.sha256(eml).hexdigest(),
        "subject": subject,
        "language": language,
    }


def letter_fingerprint(letter: Letter, group: str, key: str | None = None):
    """The similarity fingerprint of a letter's own words (see toolkit.letters.similarity)."""
    from array import array

    # Packed (CRC32 values fit in four bytes), since worker processes send it back for every letter.
    hashes = array("I", sorted(fingerprint(body_text(letter.paragraphs))))
    return Item(key=key or letter.recipient.id, group=group, hashes=hashes)


def remove_stale(folder: Path, keep: set[str], suffixes: tuple[str, ...]) -> None:
    """Remove outputs of recipients no longer in the list, so a rerun replaces the pack cleanly.

    Only files the toolkit wrote (and that are unchanged since) are removed; see toolkit.pack.
    """

    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.suffix in suffixes and path.name not in keep and path.is_file() and not path.is_symlink():
            remove_own(path)


def write_letter_pack(
    campaign: Campaign,
    recipients: list[Recipient] | None,
    letter_date: date,
    *,
    full_run: bool = True,
    progress: Callable[[int], None] | None = None,
    selectors: tuple[str, ...] = (),
) -> LetterPackReport:
    """Render and write the organisation's letters (see ``plan_letters``), the case, the print file and the overview.

    ``recipients`` narrows the plan to letters that go to at least one of them (None: the plan as it is).
    """

    out = campaign.output_dir
    letters_dir, emails_dir = out / "letters", out / "emails"
    templates = templates_for(campaign)
    names = lookup_names(campaign)
    plan = plan_letters(campaign, selectors)
    if recipients is not None:
        wanted = {r.id for r in recipients}
        plan.letters = [p for p in plan.letters if wanted & set(p.member_ids)]
    report = LetterPackReport(plan=plan)
    # Numbered over every recipient, so that a run with --to gives the same letters as a full run.
    variants = recipient_variant_numbers([p.recipient for p in plan_letters(campaign).letters])
    manifest: list[dict] = []
    combined: list[markup.Paragraph] = []
    overview_rows = []
    # The case, once per written standard in use: its DOCX, its paragraphs for the print file.
    cases: dict[str, tuple[str, bytes, list[markup.Paragraph]]] = {}
    if campaign.letters.attach_case and plan.letters:
        languages = sorted({language_of(campaign, p.recipient) for p in plan.letters})
        for language in languages:
            paragraphs = render_case(campaign, templates, letter_date, language)
            data = build_docx(paragraphs, title=paragraphs_title(paragraphs), language=language,
                              letterhead=load_letterhead(campaign.folder))
            name = case_filename(campaign, language)
            atomic_write_bytes(out / name, data, durable=False)
            report.files.append(out / name)
            cases[language] = (name, data, paragraphs)
    titles = {d.id: f"{d.number}. {d.title}" for d in campaign.demands}
    for planned in plan.letters:
        recipient = planned.recipient
        letter = render_letter(
            campaign, templates, recipient, letter_date, names, variant=variants.get(recipient.id), planned=planned,
        )
        case = cases.get(letter.language)
        entry = write_letter_files(
            campaign, letter, letters_dir, emails_dir, letter_date,
            case=(f"{CASE_STEM}.docx", case[1]) if case else None,
        )
        manifest.append(entry)
        report.fingerprints.append(letter_fingerprint(letter, group=recipient.id))
        # The print file: one section per letter, so its pages are numbered from 1, then the case.
        for copy in print_copies(campaign, templates, planned, letter, letter_date, names, variants):
            first, *rest = copy.paragraphs
            combined.append(markup.Paragraph(first.style, first.runs, new_section=bool(combined)))
            combined.extend(rest)
            if case:
                first, *rest = case[2]
                combined.append(markup.Paragraph(first.style, first.runs, new_section=True))
                combined.extend(rest)
        report.letters += 1
        if recipient.email:
            report.with_email += 1
            if not recipient.email_verified:
                report.unverified.append(recipient.id)
        overview_rows.append([
            recipient.id, recipient.kind, recipient.name, recipient.title,
            recipient.email, "ja" if recipient.email_verified else "nei", letter.language,
            " | ".join(titles[d] for d in letter.lead), " | ".join(titles[d] for d in letter.others),
            f"letters/{entry['file'][:-4]}.docx", f"emails/{entry['file']}", ", ".join(planned.member_ids),
        ])
        if progress:
            progress(1)
    if full_run:
        stems = {file_stem(p.recipient) for p in plan.letters}
        remove_stale(letters_dir, {f"{s}.docx" for s in stems} | {f"{s}.txt" for s in stems}, (".docx", ".txt"))
        remove_stale(emails_dir, {f"{s}.eml" for s in stems}, (".eml",))
    else:
        manifest = _merge_manifest(emails_dir / MANIFEST_FILE, manifest)
    atomic_write_text(emails_dir / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    if combined:
        atomic_write_bytes(out / PRINT_FILE, build_docx(combined, title=f"Brev – 16 dager {campaign.year}", language=campaign.language,
                                                        letterhead=load_letterhead(campaign.folder)), durable=False)
    if cases:
        try:
            report.files.extend(convert_to_pdf([out / name for name, _, _ in cases.values()], out,
                                               cache=state_dir(campaign.folder) / PDF_CACHE))
        except ToolkitError as exc:
            report.notes.append(f"{exc} DOCX-filen er skrevet; PDF-en mangler.")

    # An address nobody has checked yet is not sent to: those rows are marked for the organiser.
    write_table(
        out / OVERVIEW_FILE,
        ["id", "type", "navn", "tittel", "e-post", "e-post verifisert", "språk", "krav som leder", "andre krav", "brev", "e-post-fil",
         "går til"],
        overview_rows,
        sheet="Brev", problem=lambda row: bool(row[4]) and row[5] == "nei",
    )
    report.files += [out / PRINT_FILE, out / OVERVIEW_FILE, xlsx_path(out / OVERVIEW_FILE), emails_dir / MANIFEST_FILE]
    return report


def paragraphs_title(paragraphs: list[markup.Paragraph]) -> str:
    return next((p.text for p in paragraphs if p.style == "Heading1"), "")


def print_copies(campaign, templates, planned: PlannedLetter, letter: Letter, letter_date, names, variants) -> list[Letter]:
    """The letter once per distinct postal address among those it goes to (one copy when they share one)."""
    copies = [letter]
    seen = {planned.recipient.postal_address}
    for member in planned.members:
        if member.postal_address and member.postal_address not in seen:
            seen.add(member.postal_address)
            context = letter_context(
                campaign, planned.recipient, letter_date, names, variants.get(planned.recipient.id),
                planned.members, planned.informational,
            )
            context["recipient"]["address_lines"] = address_lines(member.in_language(letter.language))
            copies.append(render_letter(campaign, templates, planned.recipient, letter_date, names, context=context, planned=planned))
    return copies


def _merge_manifest(path: Path, entries: list[dict]) -> list[dict]:
    """With --to, keep the other recipients' entries from the last full run."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = []
    fresh = {e["recipient"] for e in entries}
    return [e for e in old if isinstance(e, dict) and e.get("recipient") not in fresh] + entries
