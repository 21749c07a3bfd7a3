"""Supporters' letters: people who sign, as themselves, letters to the representatives of their district.

supporters.csv holds personal data: it stays in the campaign folder and the outputs stay in the
output folder; nothing here is logged. The letters are rendered and written one at a time, so a
run over thousands of supporters holds one supporter's letters in memory, never all of them.
"""

from __future__ import annotations

import json
import re
import shutil
from array import array
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Callable

from toolkit.core import markup
from toolkit.core.campaign import EMAIL_PATTERN, check_row_id, one_line_cells
from toolkit.core.errors import Problems, ToolkitError
from toolkit.core.fsutil import atomic_write_bytes, atomic_write_text, safe_stem
from toolkit.core.model import LANGUAGES, Campaign, Recipient, Supporter
from toolkit.core.sources import read_csv

SUPPORTERS_FILE = "supporters.csv"
SUPPORTER_COLUMNS = ("id", "name", "email", "county", "place", "personal_paragraph", "language", "address")
SUPPORTER_REQUIRED = ("id", "name", "email", "county")
MAX_PARAGRAPH_CHARS = 1500
OUTPUT_FOLDER = "supporters"
MANIFEST_FILE = "manifest.json"
PRINT_FILE = "alle-brev.docx"
OVERVIEW_FILE = "oversikt-underskrivere.csv"
SIMILARITY_FILE = "likhet-underskrivere.csv"
# Markup a paragraph must not start with, or it would turn into a heading, a bullet or a style block.
LEADING_MARKUP = re.compile(r"^[#:\-\s]+")


class SupportersNotReady(ToolkitError):
    """Some supporters' letters are too like other supporters' letters to be sent."""

    pack_is_whole = True  # the pack is written (those letters held back): it is switched into place (toolkit.pack)

    exit_code = 2


@dataclass
class SupporterReport:
    """What a supporters' run wrote."""

    supporters: int = 0
    letters: int = 0
    without_letters: list[str] = field(default_factory=list)  # supporters with no representative left after --to
    needs_paragraph: list[str] = field(default_factory=list)  # drafts only: no personal paragraph yet
    too_similar: list[str] = field(default_factory=list)  # letters too like other supporters' letters: not sendable
    similarity: object = None  # check.SimilarityReport over the sendable letters
    ready: int = 0  # supporters whose letters can be sent

    def problem_lines(self) -> list[str]:
        """What the organiser must follow up, in words."""
        lines = []
        if self.needs_paragraph:
            lines.append(
                f"{len(self.needs_paragraph)} underskrivere mangler et personlig avsnitt; de har fått utkast med "
                f"spørsmål, men ingen e-post blir sendt før avsnittet er skrevet: {', '.join(self.needs_paragraph[:20])}"
                + (" …" if len(self.needs_paragraph) > 20 else "")
            )
        if self.too_similar:
            lines.append(
                f"{len(self.too_similar)} underskriveres brev er for like andres (over {self.similarity.threshold:.2f}) "
                f"og blir ikke sendt før de har skrevet et lengre personlig avsnitt: {', '.join(self.too_similar[:20])}"
                + (" …" if len(self.too_similar) > 20 else "")
            )
        return lines

    def raise_if_too_similar(self) -> None:
        """Officials discount identical letters: a batch with near-copies fails, naming who must write more."""
        if self.too_similar:
            raise SupportersNotReady(
                f"{len(self.too_similar)} underskriveres brev ligner for mye på andres (grensen er "
                f"{self.similarity.threshold:.2f}; se {SIMILARITY_FILE}). Be dem skrive et lengre personlig avsnitt "
                "i supporters.csv og kjør på nytt. De andre brevene er klare."
            )


def districts(campaign: Campaign) -> dict[str, tuple[str, str]]:
    """Electoral districts that have representatives in recipients.csv, by id and by name (case-folded)."""
    found: dict[str, tuple[str, str]] = {}
    for recipient in campaign.recipients:
        if recipient.kind == "mp" and recipient.county:
            district = (recipient.county, recipient.county_name or recipient.county)
            found[recipient.county.casefold()] = district
            found[district[1].casefold()] = district
    return found


def load_supporters(path: Path, campaign: Campaign, problems: Problems, label: str = SUPPORTERS_FILE) -> tuple[Supporter, ...]:
    """Read supporters.csv and check each row against the representatives in recipients.csv."""
    table = read_csv(path, problems, label, SUPPORTER_REQUIRED, SUPPORTER_COLUMNS)
    if table is None:
        return ()
    known = districts(campaign)
    if not known:
        problems.error(
            label, "recipients.csv har ingen stortingsrepresentanter å skrive til.",
            "Hent dem først med «toolkit recipients import-stortinget».",
        )
        return ()
    names = sorted({name for _, name in known.values()})
    supporters: list[Supporter] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for number, row in table.rows:
        def bad(column: str, message: str, hint: str = "") -> None:
            problems.error(label, message, hint, row=number, field=column)

        supporter_id = row["id"].lower()
        check_row_id(supporter_id, seen_ids, number, bad, each="Hver underskriver",
                     missing_hint="Gi raden en id med små bokstaver, tall og bindestrek.")
        one_line_cells(row, ("name", "email", "county", "place", "address"), bad)
        if not row["name"]:
            bad("name", "Mangler navn.", "Skriv navnet slik det skal stå under brevene.")
        email = row["email"]
        if not email:
            bad("email", "Mangler e-postadresse.", "Svar på brevene går til underskriveren, så adressen trengs.")
        elif not EMAIL_PATTERN.match(email):
            bad("email", f"«{email}» er ikke en gyldig e-postadresse.", "Rett adressen.")
        elif email.casefold() in seen_emails:
            bad("email", f"Adressen står også på rad {seen_emails[email.casefold()]}.",
                "Hver underskriver trenger sin egen adresse; fjern den doble raden.")
        else:
            seen_emails[email.casefold()] = number
        district = known.get(row["county"].casefold())
        if not row["county"]:
            bad("county", "Mangler valgdistrikt.", f"Skriv valgdistriktet (fylket) med navn eller id, for eksempel {names[0]}.")
        elif district is None:
            bad("county", f"Fant ingen stortingsrepresentanter for «{row['county']}».",
                f"Skriv et av valgdistriktene i recipients.csv: {', '.join(names)}.")
        language = row.get("language", "").lower()
        if language and language not in LANGUAGES:
            bad("language", f"Ukjent språk «{row['language']}».", "Bruk nb, nn eller la feltet stå tomt.")
        written = row.get("personal_paragraph", "")
        paragraph = LEADING_MARKUP.sub("", " ".join(written.split()))
        if paragraph == written:
            paragraph = written  # the cell itself, not an equal copy: every paragraph is kept for the run
        if len(paragraph) > MAX_PARAGRAPH_CHARS:
            bad("personal_paragraph", f"Avsnittet har {len(paragraph)} tegn; grensen er {MAX_PARAGRAPH_CHARS}.", "Kort det ned.")
        supporters.append(Supporter(
            id=supporter_id,
            name=row["name"],
            email=email,
            county=district[0] if district else row["county"],
            county_name=district[1] if district else row["county"],
            place=row.get("place", ""),
            address=row.get("address", ""),
            personal_paragraph=paragraph,
            language=language,
            row=number,
        ))
    check_languages(campaign, supporters, problems, label)
    return tuple(supporters)


def check_languages(campaign: Campaign, supporters, problems: Problems, label: str) -> None:
    """Each written standard a supporter asks for needs its MP letter template, demands and facts."""
    from toolkit.core.templates import Templates
    from toolkit.letters.render import LETTER_TEMPLATES, LETTER_VARIABLES

    template = LETTER_TEMPLATES["mp"]
    for language in sorted({s.language for s in supporters if s.language}):
        first = next(s for s in supporters if s.language == language)
        templates = Templates(campaign.templates_dir, language)
        if not templates.exists(template):
            problems.error(
                label, f"Det finnes ingen brevmal på «{language}» (letter_templates/{language}/{template}).",
                "Legg til malene for dette skriftspråket, eller la feltet stå tomt.", row=first.row, field="language",
            )
            continue
        templates.check([template], LETTER_VARIABLES, problems)
        untranslated = [d.id for d in campaign.demands if language not in d.translations]
        untranslated += [f.id for f in campaign.facts.values() if language not in f.translations]
        if language != "nb" and untranslated:
            problems.error(
                label, f"Noen underskrivere skriver på nynorsk, men disse kravene og faktaene mangler nynorsk tekst: "
                f"{', '.join(untranslated[:8])}{' …' if len(untranslated) > 8 else ''}.",
                "Legg til «nn:» under dem i demands.yaml og facts.yaml, eller la feltet stå tomt.", row=first.row, field="language",
            )


def check_supporters_file(campaign: Campaign, problems: Problems) -> None:
    """`validate` checks supporters.csv when the campaign folder has one."""
    path = campaign.folder / SUPPORTERS_FILE
    if path.is_file() or path.with_suffix(".xlsx").is_file():  # supporters.xlsx is read in its place
        load_supporters(path, campaign, problems)


def representatives_by_district(recipients) -> dict[str, list[Recipient]]:
    grouped: dict[str, list[Recipient]] = {}
    for recipient in recipients:
        if recipient.kind == "mp" and recipient.county:
            grouped.setdefault(recipient.county, []).append(recipient)
    return grouped


def variant_numbers(supporters) -> dict[str, int]:
    """Number the supporters of each district 0, 1, 2, … so that the letters one representative gets
    from different supporters word the demands differently (see ``letters.letter_context``)."""
    groups: dict[str, list[str]] = {}
    for supporter in supporters:
        groups.setdefault(supporter.county, []).append(supporter.id)
    return {sid: number for ids in groups.values() for number, sid in enumerate(sorted(ids))}


@dataclass
class _Run:
    """What every supporter's letters share in one run (built once; inherited by worker processes)."""

    campaign: Campaign
    letter_date: date
    by_district: dict
    extra: tuple
    variants: dict
    templates: dict = field(default_factory=dict)
    names: tuple = ()
    supporters: tuple = ()


@dataclass
class _Written:
    """What writing one supporter's letters produced; small, so workers can send it back."""

    letters: int
    fingerprints: list
    needs_paragraph: bool


_RUN: _Run | None = None  # set in each worker process by _start_worker
PARALLEL_FROM = 200  # supporters; below this, starting worker processes costs more than it saves
CHUNK = 25


def _start_worker(run: _Run) -> None:
    global _RUN
    _RUN = run


def _write_chunk(start: int) -> list[_Written]:
    # Workers get where their chunk starts, not the supporters: they have the list from the fork, and
    # pickling the supporters made the parent keep a __dict__ for each of them.
    return [_write_supporter(_RUN, supporter) for supporter in _RUN.supporters[start : start + CHUNK]]


def supporter_letters(run: _Run, supporter: Supporter):
    """Yield ``(recipient, letter)`` for each representative this supporter writes to, rendered."""
    from toolkit.letters.render import letter_context, render_letter

    campaign = run.campaign
    for recipient in [*run.by_district.get(supporter.county, []), *run.extra]:
        # The supporter writes in their own written standard, whatever the representative's.
        recipient = replace(recipient, language=supporter.language or recipient.language or campaign.language)
        context = letter_context(campaign, recipient, run.letter_date, run.names, run.variants[supporter.id])
        # The supporter's letter is headed by the supporter, not by the organisation (see _letter.j2).
        context["signer"] = {
            "name": supporter.name, "place": supporter.place or supporter.county_name,
            "address": supporter.address, "county": supporter.county_name,
        }
        context["personal_paragraph"] = supporter.personal_paragraph
        yield recipient, render_letter(campaign, run.templates, recipient, run.letter_date, run.names, context)


def _write_supporter(run: _Run, supporter: Supporter) -> _Written:
    """Render and write one supporter's letters, print file and manifest."""
    from toolkit.core.docx import build_docx
    from toolkit.letters.pack import file_stem, letter_fingerprint, remove_stale, write_letter_files

    campaign = run.campaign
    folder = campaign.output_dir / OUTPUT_FOLDER / safe_stem(supporter.id)
    manifest = []
    printed: list[markup.Paragraph] = []
    stems = set()
    fingerprints = []
    sendable = bool(supporter.personal_paragraph)
    for recipient, letter in supporter_letters(run, supporter):
        sender = (supporter.name, supporter.email)
        entry = write_letter_files(campaign, letter, folder, folder, run.letter_date, sender=sender, with_email=sendable)
        stems.add(file_stem(recipient))
        if sendable:
            entry["sender"] = {"id": supporter.id, "name": supporter.name, "email": supporter.email}
            manifest.append(entry)
            fingerprints.append(letter_fingerprint(letter, group=supporter.id, key=f"{supporter.id}/{recipient.id}"))
        first, *rest = letter.paragraphs
        # A section per letter, so each printed letter's pages are numbered from 1.
        printed.append(markup.Paragraph(first.style, first.runs, new_section=bool(printed)))
        printed.extend(rest)
    keep = {f"{stem}{suffix}" for stem in stems for suffix in (".docx", ".txt", ".eml")}
    if stems:
        language = supporter.language or campaign.language
        printed_file = build_docx(printed, title=f"Brev fra {supporter.name}", language=language)
        atomic_write_bytes(folder / PRINT_FILE, printed_file, durable=False)
        keep.add(PRINT_FILE)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", durable=False)
    remove_stale(folder, keep, (".docx", ".txt", ".eml"))
    return _Written(len(stems), fingerprints, not supporter.personal_paragraph and bool(stems))


def prepare_run(campaign: Campaign, supporters, letter_date: date, representatives=None, extra=()) -> _Run:
    """What every supporter's letters share: representatives by district, variants, templates, names."""
    from toolkit.letters.pack import templates_for
    from toolkit.letters.render import lookup_names

    return _Run(
        campaign=campaign,
        letter_date=letter_date,
        by_district=representatives_by_district(campaign.recipients if representatives is None else representatives),
        extra=tuple(extra),
        variants=variant_numbers(supporters),
        templates=templates_for(campaign),
        names=lookup_names(campaign),
        supporters=tuple(supporters),
    )


def write_supporter_letters(
    campaign: Campaign,
    supporters,
    letter_date: date,
    *,
    representatives=None,
    extra: tuple[Recipient, ...] = (),
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> SupporterReport:
    """Write, per supporter, a letter to each representative of their district (and to ``extra``).

    ``representatives`` narrows the MPs (``--to``); by default every MP in recipients.csv. Output:
    ``<output>/supporters/<supporter>/<recipient>.docx|.txt|.eml``, the supporter's ``manifest.json``
    (entries as in emails/manifest.json, with ``sender``) and ``alle-brev.docx`` for printing; and
    ``oversikt-underskrivere.csv`` for the organiser. A rerun replaces the whole folder's contents.

    Supporters are written one at a time (only one supporter's letters are in memory); from
    ``PARALLEL_FROM`` supporters on, by as many worker processes as the machine has cores.
    """
    import os

    from toolkit.letters.check import check_similarity, write_report
    from toolkit.letters.similarity import Fingerprints

    out = campaign.output_dir / OUTPUT_FOLDER
    run = prepare_run(campaign, supporters, letter_date, representatives, extra)
    supporters = run.supporters
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if len(supporters) >= PARALLEL_FROM else 1
    report = SupporterReport()
    letters = array("I")  # per supporter, in order; the overview's rows are made when it is written
    fingerprints = Fingerprints()
    for supporter, result in zip(supporters, _write_all(run, workers, progress)):
        report.supporters += 1
        report.letters += result.letters
        letters.append(result.letters)
        for item in result.fingerprints:
            fingerprints.add(item)
        if result.needs_paragraph:
            report.needs_paragraph.append(supporter.id)
        if not result.letters:
            report.without_letters.append(supporter.id)
    if out.is_dir():
        written = {safe_stem(supporter.id) for supporter in supporters}
        for folder in out.iterdir():
            # Only folders this step wrote (they hold a manifest) are ours to remove.
            if folder.is_dir() and folder.name not in written and (folder / MANIFEST_FILE).is_file():
                shutil.rmtree(folder)
    report.similarity = check_similarity(fingerprints, campaign.similarity_threshold)
    write_report(report.similarity, out / SIMILARITY_FILE, senders=True)
    report.too_similar = sorted({key.split("/", 1)[0] for key in report.similarity.over})
    for supporter_id in report.too_similar:
        _withdraw_emails(out / safe_stem(supporter_id))
    drafts, too_similar = set(report.needs_paragraph), set(report.too_similar)
    overview = (
        [supporter.id, supporter.name, supporter.email, supporter.county_name, count,
         f"{OUTPUT_FOLDER}/{safe_stem(supporter.id)}/",
         "utkast: mangler personlig avsnitt" if supporter.id in drafts
         else "for likt andres brev" if supporter.id in too_similar else "klar til sending"]
        for supporter, count in zip(supporters, letters)
    )
    from toolkit.core.excel_out import write_table  # the CSV and an .xlsx beside it, streamed

    write_table(out / OVERVIEW_FILE, ["id", "navn", "e-post", "valgdistrikt", "antall brev", "mappe", "status"], overview,
                sheet="Underskrivere", numbers=("antall brev",), problem=lambda row: row[-1] != "klar til sending")
    blocked = drafts | too_similar
    report.ready = report.supporters - len(blocked)
    return report


def _write_all(run: _Run, workers: int, progress):
    """Yield each supporter's result in order, from this process or from ``workers`` processes."""
    if workers <= 1:
        for supporter in run.supporters:
            yield _write_supporter(run, supporter)
            if progress:
                progress(1)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: the workers inherit the loaded campaign, templates and supporters instead of pickling them.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(run,)) as pool:
        for results in pool.map(_write_chunk, range(0, len(run.supporters), CHUNK)):
            yield from results
            if progress:
                progress(len(results))


def _withdraw_emails(folder: Path) -> None:
    """Take a supporter's letters off the send list: remove the .eml files and empty the manifest."""
    for path in folder.glob("*.eml"):
        path.unlink()
    atomic_write_text(folder / MANIFEST_FILE, "[]\n")
