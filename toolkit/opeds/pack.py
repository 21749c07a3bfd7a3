"""Writing the op-ed pack: one DOCX (and a text copy) per submission, the plan, and the updated status file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from toolkit.core import markup
from toolkit.core.docx import build_docx
from toolkit.core.errors import Problem, ToolkitError
from toolkit.core.excel_in import excel_twin
from toolkit.core.excel_out import write_xlsx, xlsx_path
from toolkit.core.fsutil import atomic_write_bytes, safe_stem
from toolkit.core.letterhead import load as load_letterhead
from toolkit.core.model import LANGUAGE_NAMES, Campaign
from toolkit.core.tabular import csv_bytes
from toolkit.core.templates import format_date, weekday
from toolkit.letters.pack import remove_stale, templates_for
from toolkit.opeds.outlets import DISTRICTS, KIND_NAMES, UNIT_NAMES, VERSION_NAMES, districts_of
from toolkit.opeds.pieces import COVER_TEMPLATE, STATUS_FILE, OpedSetup, fact_contexts, format_count, render_piece
from toolkit.opeds.plan import Plan, plan_opeds
from toolkit.opeds.status import STATUS_NAMES, Submission, status_bytes

OPEDS_DIR = "opeds"
PLAN_FILE = "plan.csv"
OVERDUE_NOTE = "svarfristen er passert: spør avisa, eller trekk innlegget og skriv «trukket» med datoen i opeds-status.csv"
PLAN_HEADER = [
    "innlegg", "tittel", "trykkes", "avis", "status", "dato", "ukedag", "svar ventet", "versjon", "språk",
    "underskriver", "rolle", "lengde", "grense", "send til", "adresse verifisert", "bilde", "eksklusiv",
    "lokalt avsnitt", "tidligere", "deretter", "merknad", "fil",
]


# The cover note is written in the submission's language, so its words are too; the plan stays in bokmål.
COVER_WORDS: dict[str, dict[str, Any]] = {
    "nb": {"units": UNIT_NAMES, "versions": VERSION_NAMES, "kinds": KIND_NAMES, "statuses": STATUS_NAMES,
           "at_most": "høyst", "unknown": "grensen er ukjent", "spaces": " inkludert mellomrom",
           "offered": "tilbudt", "closed": {"declined": "avslått", "withdrawn": "trukket"}},
    "nn": {"units": {"chars": "teikn", "words": "ord"}, "versions": {"kronikk": "kronikk", "debatt": "lesarinnlegg"},
           "kinds": {"national": "riksavis", "regional": "regionavis", "local": "lokalavis", "online": "nettavis"},
           "statuses": {"planned": "planlagd", "pitched": "sendt", "accepted": "antatt", "published": "publisert",
                        "declined": "avslått", "withdrawn": "trekt tilbake"},
           "at_most": "høgst", "unknown": "grensa er ukjend", "spaces": " medrekna mellomrom",
           "offered": "tilbode", "closed": {"declined": "avslått", "withdrawn": "trekt tilbake"}},
}


class OpedTooLong(ToolkitError):
    """A piece came out over an outlet's limit once the signatory's details were filled in."""

    exit_code = 2


@dataclass
class OpedReport:
    """What an op-eds run planned and wrote."""

    plan: Plan
    documents: int
    plan_folder: Path
    status_file: Path
    status_changed: bool
    setup: OpedSetup | None = None

    def outlet_name(self, outlet_id: str) -> str:
        return self.setup.outlet(outlet_id).name if self.setup else outlet_id


def submission_stem(submission: Submission) -> str:
    """The file name of a submission without extension: 2026-11-25-vg-apning."""
    return f"{submission.day.isoformat()}-{safe_stem(submission.outlet)}-{safe_stem(submission.piece)}"


def limit_text(outlet, version: str, language: str = "nb") -> str:
    words = COVER_WORDS[language]
    limit = outlet.limits.get(version)
    if limit is None:
        return words["unknown"]
    unit = words["units"][outlet.unit]
    if limit.low is not None:
        return f"{format_count(limit.low)}–{format_count(limit.high)} {unit}"
    return f"{words['at_most']} {format_count(limit.high)} {unit}"


def cover_language(submission: Submission) -> str:
    """The note to the sender follows the piece: a nynorsk submission gets a nynorsk note."""
    return submission.language if submission.language in COVER_WORDS else "nb"


def history_lines(setup, piece_plan, language: str) -> list[str]:
    """Where the piece has been, in words: "tilbudt VG 20. november, avslått 23. november"."""

    words = COVER_WORDS[language]
    lines = []
    for s in piece_plan.earlier:
        outcome = words["closed"][s.status]
        when = f" {format_date(s.answered_on, language, with_year=False)}" if s.answered_on else ""
        lines.append(f"{words['offered']} {setup.outlet(s.outlet).name} {format_date(s.day, language, with_year=False)}, {outcome}{when}")
    return lines


def local_context(campaign: Campaign, outlet, language: str, room: int | None, facts: dict) -> dict | None:
    """The local paragraph of a piece for a local or regional outlet: facts tagged with one of the
    outlet's counties in facts.yaml (``county``), or, without them, a marked place the signatory fills."""

    if not outlet.is_local:
        return None
    counties = {DISTRICTS[d] for d in outlet.coverage}
    found = [f for f in campaign.facts.values() if f.county and set(districts_of(f.county)) & set(outlet.coverage)]
    # A nynorsk piece takes only facts written in nynorsk too (facts.yaml's nn:), never bokmål in their place.
    found = [f for f in found if language != "nn" or "nn" in f.translations]
    chosen = [facts[language][f.id] for f in found]
    return {
        "county": " og ".join(sorted(counties)), "outlet": outlet.name, "facts": chosen, "write": not chosen,
        "room": format_count(room) if room is not None else "", "unit": COVER_WORDS[language]["units"][outlet.unit],
    }


def cover_context(campaign: Campaign, setup, plan: Plan, submission: Submission, rendered, local=None) -> dict:
    """What the cover note template may use."""
    outlet = setup.outlet(submission.outlet)
    signatory = setup.signatory(submission.signatory)
    piece_plan = plan.piece_plan(submission.piece)
    following = piece_plan.fallbacks[0] if piece_plan and piece_plan.fallbacks else None
    limit = outlet.limits.get(submission.version)
    language = cover_language(submission)
    words = COVER_WORDS[language]
    spec = setup.piece(submission.piece)
    calendar = getattr(campaign, "calendar", None)
    # observances.yaml names the days in bokmål only, so a nynorsk note gives the date alone.
    occasion = calendar.observance_on(spec.publish_on) if calendar is not None and spec.publish_on and language == "nb" else None
    answer_by = piece_plan.answer_by if piece_plan and piece_plan.answer_by else submission.day + timedelta(days=setup.answer_days(outlet))
    return {
        "submission": {
            "date": submission.day,
            "version": words["versions"].get(submission.version, submission.version),
            "language": LANGUAGE_NAMES.get(submission.language, submission.language),
            "status": words["statuses"][submission.status],
        },
        "outlet": {
            "name": outlet.name, "kind": words["kinds"][outlet.kind], "email": outlet.submission_email,
            "form": outlet.submission_form, "address_verified": outlet.submission_verified, "source": outlet.source,
            "exclusive": outlet.exclusive, "photo_required": outlet.photo_required, "notes": outlet.notes,
        },
        "length": {
            "count": format_count(rendered.count(outlet.unit)),
            "unit": words["units"][outlet.unit],
            "limit": limit_text(outlet, submission.version, language) + (words["spaces"] if limit and outlet.unit == "chars" else ""),
            "high": format_count(limit.high) if limit else "",
        },
        "title": rendered.title,
        "publish_on": spec.publish_on,
        "occasion": occasion.name if occasion else "",
        "answer_by": answer_by,
        "free_from": answer_by,
        "history": history_lines(setup, piece_plan, language) if piece_plan else [],
        "offered_before": bool(piece_plan and piece_plan.earlier),
        "withdrawn_from": [setup.outlet(s.outlet).name for s in (piece_plan.earlier if piece_plan else []) if s.status == "withdrawn"],
        "next": {"outlet": setup.outlet(following.outlet).name, "date": following.day} if following else None,
        "local": local,
        "signatory": {"name": signatory.name, "role": signatory.role} if signatory else {"name": submission.signatory, "role": ""},
        "status_file": STATUS_FILE,
        "language": submission.language,
        "organisation": {"name": campaign.organisation.name},
    }


def _documents(campaign: Campaign, setup, plan: Plan) -> tuple[dict[str, bytes], list[list[str]]]:
    """Render each piece's open pitch (planned or sent) into files, and the plan's rows; nothing is written yet."""

    letterhead = load_letterhead(campaign.folder)  # the organisation's own, if it has one

    templates = templates_for(campaign)
    facts = fact_contexts(campaign)
    files: dict[str, bytes] = {}
    rows: list[list[str]] = []
    for piece_plan in plan.pieces:
        submission = piece_plan.current
        spec = setup.piece(piece_plan.piece)
        if submission is None:
            rows.append([
                spec.id, "", spec.publish_on.isoformat() if spec.publish_on else "", "", "ikke sendt", "", "", "", "", "", "",
                "", "", "", "", "", "", "", "", "; ".join(history_lines(setup, piece_plan, "nb")), "",
                piece_plan.not_pitched, "",
            ])
            continue
        outlet = setup.outlet(submission.outlet)
        signatory = setup.signatory(submission.signatory)
        limit = outlet.limits.get(submission.version)
        rendered = None
        local = None
        if submission.version and submission.language in spec.languages and signatory:
            base = render_piece(campaign, templates, spec, submission.version, submission.language, signatory, facts)
            room = limit.high - base.count(outlet.unit) if limit else None
            local = local_context(campaign, outlet, submission.language, room, facts)
            rendered = (render_piece(campaign, templates, spec, submission.version, submission.language, signatory, facts, local)
                        if local else base)
        count = rendered.count(outlet.unit) if rendered else None
        stem = ""
        if rendered and submission.status in ("planned", "pitched"):
            if submission.status == "planned" and limit and count is not None and count > limit.high:
                unit = UNIT_NAMES[outlet.unit]
                raise OpedTooLong(
                    f"«{rendered.title}» til {outlet.name} {submission.day:%d.%m.%Y} blir {format_count(count)} {unit} med "
                    f"{signatory.name}s opplysninger og det lokale avsnittet, {format_count(count - limit.high)} {unit} over grensen. "
                    "Kort ned teksten eller de lokale faktaene."
                )
            stem = submission_stem(submission)
            context = cover_context(campaign, setup, plan, submission, rendered, local)
            cover = markup.parse(templates[cover_language(submission)].render(COVER_TEMPLATE, context))
            if cover:
                cover[0] = markup.Paragraph(cover[0].style, cover[0].runs, page_break_before=True)
            files[f"{stem}.docx"] = build_docx(list(rendered.paragraphs) + cover, title=rendered.title, language=submission.language,
                                               letterhead=letterhead)
            files[f"{stem}.txt"] = markup.to_plain_text(list(rendered.paragraphs)).encode("utf-8")
        later = "; ".join(f"{setup.outlet(f.outlet).name} {f.day.isoformat()}" for f in piece_plan.fallbacks)
        rows.append([
            spec.id, rendered.title if rendered else "", spec.publish_on.isoformat() if spec.publish_on else "",
            outlet.name, STATUS_NAMES[submission.status], submission.day.isoformat(), _weekday(submission.day),
            piece_plan.answer_by.isoformat() if piece_plan.answer_by else "",
            VERSION_NAMES.get(submission.version, submission.version),
            LANGUAGE_NAMES.get(submission.language, submission.language), submission.signatory,
            signatory.role if signatory else "",
            f"{count} {UNIT_NAMES[outlet.unit]}" if count is not None else "", limit_text(outlet, submission.version),
            outlet.submission_email or outlet.submission_form, "ja" if outlet.submission_verified else "nei",
            "ja" if outlet.photo_required else "nei", "ja" if outlet.exclusive else "nei",
            ("skrives av underskriveren" if local["write"] else "fra facts.yaml") if local else "",
            "; ".join(history_lines(setup, piece_plan, "nb")), later,
            OVERDUE_NOTE if plan.overdue(piece_plan) else "",
            f"{OPEDS_DIR}/{stem}.docx" if stem else "",
        ])
    return files, rows


def _weekday(day: date) -> str:

    return weekday(day)


def write_oped_pack(campaign: Campaign, today: date) -> OpedReport:
    """Plan the op-eds from ``today``, then write the documents, the plan and the status file."""

    setup = campaign.opeds
    if setup is None:
        raise ToolkitError("Kampanjen har ingen kronikker å planlegge.")  # callers ask campaign.opeds first
    plan = plan_opeds(setup, today, campaign.days)
    files, rows = _documents(campaign, setup, plan)
    plan_bytes = csv_bytes(PLAN_HEADER, rows, excel=True)
    status_path = campaign.folder / STATUS_FILE
    new_status = status_bytes(plan.submissions, setup.status_separator)
    try:
        old_status = status_path.read_bytes()
    except OSError:
        old_status = None
    # Everything is rendered before the first file is written, so a template error leaves no half pack.
    folder = campaign.output_dir / OPEDS_DIR
    for name, data in files.items():
        atomic_write_bytes(folder / name, data, durable=False)
    atomic_write_bytes(folder / PLAN_FILE, plan_bytes, durable=False)

    # plan.xlsx: days as dates; a row whose send-to address is unverified is marked for checking.
    write_xlsx(xlsx_path(folder / PLAN_FILE), PLAN_HEADER, rows, sheet="Plan", dates=("dato", "hos avisa til"),
               problem=lambda row: row[PLAN_HEADER.index("adresse verifisert")] == "nei")
    remove_stale(folder, set(files), (".docx", ".txt"))
    changed = old_status != new_status

    twin = excel_twin(status_path)
    if twin is not None and not status_path.exists():
        # The organiser keeps the status in Excel: it is updated there, never beside it as a CSV.
        changed = status_bytes(list(setup.history), setup.status_separator) != new_status
        if changed:
            _write_status_xlsx(twin, new_status)
        status_path = twin
    elif changed:
        atomic_write_bytes(status_path, new_status)
    return OpedReport(plan, sum(1 for name in files if name.endswith(".docx")), folder, status_path, changed, setup)


def _write_status_xlsx(path, status_csv: bytes) -> None:
    """Write the status rows (as status_bytes made them) into the organiser's opeds-status.xlsx."""
    text = status_csv.decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if ";" in text.split("\n", 1)[0] else ","))
    write_xlsx(path, records[0], records[1:], sheet="Status", dates=("date", "answered_on"), durable=True)


def plan_lines(report) -> list[str]:
    """The summary a person reads after a run: each piece, where it is, and what to do next."""

    plan = report.plan
    setup_outlet = report.outlet_name
    if not plan.days:
        return ["Kronikker: kampanjeperioden er over; ingenting å planlegge."]
    pitched = [p for p in plan.pieces if p.current is not None]
    lines = [
        f"Kronikker: {len(pitched)} av {len(plan.pieces)} innlegg har en avis "
        f"(planlagt fra {format_date(plan.days[0])} til {format_date(plan.days[-1])}); ett innlegg hos én avis om gangen."
    ]
    for p in plan.pieces:
        day = f", skal stå på trykk {format_date(p.publish_on, with_year=False)}" if p.publish_on else ""
        if p.current is None:
            lines.append(f"  {p.piece}: IKKE SENDT{day}: {p.not_pitched}.")
            continue
        s = p.current
        status = STATUS_NAMES[s.status]
        text = f"  {p.piece}: {setup_outlet(s.outlet)} {format_date(s.day, with_year=False)} ({status}, {s.signatory}{day})"
        if p.answer_by and not s.placed:
            text += f"; svar ventet {format_date(p.answer_by, with_year=False)}"
            if plan.overdue(p):
                text += f" ({OVERDUE_NOTE})"
        if p.fallbacks:
            text += "; deretter " + ", ".join(f"{setup_outlet(f.outlet)} {format_date(f.day, with_year=False)}" for f in p.fallbacks)
        lines.append(text + ".")
    lines.append(f"  {report.documents} dokumenter i {report.plan_folder}, oversikt i plan.csv.")
    if report.status_changed:
        lines.append(f"  Planen er skrevet i {report.status_file.name}: skriv «sendt», «antatt», «publisert», «avslått» "
                     "eller «trukket» der "
                     "når noe skjer. Et innlegg går videre til neste avis bare når det står «avslått» eller «trukket».")
    return lines


def plan_warnings(report) -> list[Problem]:
    """Rows of the status file the run could not keep, and days gone by that nobody marked."""

    problems = []
    for submission, reason in report.plan.dropped:
        problems.append(Problem(
            report.status_file.name,
            f"{submission.piece} til {submission.outlet} {submission.day:%d.%m.%Y} kan ikke beholdes: {reason}.",
            "Raden er planlagt på nytt.", row=submission.row, severity="warning",
        ))
    for submission in report.plan.unconfirmed:
        problems.append(Problem(
            report.status_file.name,
            f"{submission.piece} skulle sendes til {submission.outlet} {submission.day:%d.%m.%Y}, men står fortsatt som planlagt.",
            "Skriv «sendt» hvis det ble sendt, eller slett raden hvis ikke. Til da holdes innlegget og avisas uke av.",
            row=submission.row, field="status", severity="warning",
        ))
    return problems
