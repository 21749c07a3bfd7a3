"""Personal data after the campaign: what the toolkit keeps, the warning when it is kept too long, and `purge`.

What counts as personal data, where it is and what `toolkit purge` deletes is described for the
organisation in docs/privacy.md; this module is that description in code:

- ``supporters/`` in the output folder: each supporter's folder (letters, e-mails, manifest) and the
  overview and similarity report that name them. Only folders with a manifest (written by the
  toolkit) and the toolkit's own report files are deleted.
- Saved replies (``svar/*.eml``) that are not a public body's answer: unmatched messages and answers
  from recipients who are not ministries, ministers, committees or MPs.
- In the send journal: those replies' sender, subject, first lines and file; the file name of each
  letter a supporter signed (it names the supporter's folder). Every row stays, so the counts do.
- ``send-feil.csv`` when it lists supporters' letters (``toolkit send --status`` writes it anew).

Kept: letters to public bodies and their answers (public records), the counts, and the campaign's
own files (``supporters.csv`` is the organiser's file: the toolkit never deletes it, and says so).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from toolkit.core.campaign import _Fields
from toolkit.core.errors import Problems, ToolkitError
from toolkit.core.model import Campaign
from toolkit.core.templates import format_date
from toolkit.followup.replies import journal_path
from toolkit.send.journal import Journal, JournalError

DEFAULT_KEEP_DAYS = 90
SUPPORTERS_FOLDER = "supporters"
SUPPORTER_REPORTS = (
    "oversikt-underskrivere.csv", "likhet-underskrivere.csv", "oversikt-underskrivere.xlsx", "likhet-underskrivere.xlsx",
)
FAILURES_FILE = "send-feil.csv"


def keep_days(campaign: Campaign, problems: Problems | None = None) -> int:

    fields = _Fields(problems or Problems(), "campaign.yaml", campaign.config.get("privacy"), "privacy")
    fields.unknown_keys({"keep_days"})
    return fields.integer("keep_days", DEFAULT_KEEP_DAYS, 0, 3650)


def deadline(campaign: Campaign) -> date:
    """The last day personal data is kept: the period's end plus ``privacy.keep_days``."""
    return campaign.end + timedelta(days=keep_days(campaign))


def today_in(campaign: Campaign) -> date:
    return datetime.now(ZoneInfo(campaign.timezone)).date()


@dataclass
class PurgePlan:
    """What `toolkit purge` would delete, and what it keeps and why."""

    folders: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    journal_replies: int = 0  # replies whose personal fields would be blanked
    journal_letters: int = 0  # supporters' letters whose file name would be blanked
    kept: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.folders or self.files or self.journal_replies or self.journal_letters)


def supporter_folders(output_dir: Path) -> tuple[list[Path], list[Path]]:
    """The supporters' folders and report files the toolkit wrote (a folder counts only with its manifest)."""
    base = output_dir / SUPPORTERS_FOLDER
    if not base.is_dir():
        return [], []
    folders = sorted(p for p in base.iterdir() if p.is_dir() and (p / "manifest.json").is_file())
    files = [base / name for name in SUPPORTER_REPORTS if (base / name).is_file()]
    return folders, files


def plan_purge(campaign: Campaign, journal) -> PurgePlan:
    """Everything personal the toolkit wrote; ``journal`` may be None when nothing was sent."""
    out = campaign.output_dir
    plan = PurgePlan()
    plan.folders, plan.files = supporter_folders(out)
    if journal is not None:
        for reply in journal.replies():
            if reply.personal and not reply.purged and reply.file and (out / reply.file).is_file():
                plan.files.append(out / reply.file)
        counts = journal.personal_counts()
        plan.journal_replies, plan.journal_letters = counts["replies"], counts["supporter_letters"]
    failures = out / FAILURES_FILE
    if failures.is_file() and "supporters/" in failures.read_text(encoding="utf-8-sig", errors="replace"):
        plan.files.append(failures)
    leftovers = [p for p in (out / SUPPORTERS_FOLDER).iterdir()] if (out / SUPPORTERS_FOLDER).is_dir() else []
    strangers = [p for p in leftovers if p not in plan.folders and p not in plan.files]
    plan.kept = kept_notes(campaign, journal, strangers)
    return plan


def kept_notes(campaign: Campaign, journal, strangers: list[Path]) -> list[str]:
    notes = [
        "Brevene til departementer, statsråder, komiteer og stortingsrepresentanter (letters/, emails/, alle-brev.docx) "
        "og svarene fra dem: de er brev til og fra offentlige organer og er offentlige dokumenter.",
        "Sendejournalen: hver rad blir stående, så tallene for sendt, feilet og besvart stemmer også etterpå; "
        "bare personopplysningene i den blir tømt.",
    ]
    if (campaign.folder / "supporters.csv").is_file():
        notes.append(
            "supporters.csv i kampanjemappen: det er din egen fil, og toolkit sletter aldri filer det ikke har laget. "
            "Slett den selv når den ikke trengs lenger."
        )
    own = [name for name in ("signatories.csv", "opeds-status.csv") if (campaign.folder / name).is_file()]
    if own:
        notes.append(
            f"{' og '.join(own)} i kampanjemappen: dine egne filer med navnene på dem som skriver under kronikker. "
            "Toolkit sletter dem ikke; slett eller rydd dem selv når de ikke trengs lenger."
        )
    if (campaign.output_dir / "opeds").is_dir():
        notes.append(
            "Kronikkene i opeds/: de er skrevet for å publiseres under navnet til den som skriver under. "
            "Slett selv dem som ikke ble publisert, hvis den som skulle skrive under, ber om det."
        )
    for path in strangers:
        notes.append(f"{path}: ble ikke laget av toolkit (ingen manifest.json), så den er ikke rørt. Se over den selv.")
    return notes


def carry_out(plan: PurgePlan, campaign: Campaign, journal) -> dict[str, int]:
    """Delete what the plan lists and blank the journal's personal fields."""
    out = campaign.output_dir.resolve()
    for path in plan.folders + plan.files:
        # Never outside the output folder, whatever a journal row says.
        if out not in path.resolve().parents:
            raise ToolkitError(f"{path} ligger utenfor utdatamappen {out}; ingenting der blir slettet.")
    for folder in plan.folders:
        shutil.rmtree(folder)
    for path in plan.files:
        path.unlink(missing_ok=True)
    cleared = journal.purge_personal() if journal is not None else {"replies": 0, "supporter_letters": 0}
    base = out / SUPPORTERS_FOLDER
    if base.is_dir() and not any(base.iterdir()):
        base.rmdir()
    return cleared


def personal_data_age(campaign: Campaign) -> list[str]:
    """What personal data is still on disk, in words (empty when there is none)."""
    folders, files = supporter_folders(campaign.output_dir)
    found = []
    if folders or files:
        found.append(f"{len(folders)} underskrivermapper i {campaign.output_dir / SUPPORTERS_FOLDER}")

    try:
        journal = Journal.open(journal_path(campaign), create=False)
    except JournalError:
        journal = None  # `send` itself reports a damaged journal
    if journal is not None:
        with journal:
            counts = journal.personal_counts()
        if counts["replies"]:
            found.append(f"{counts['replies']} lagrede svar fra privatpersoner i {campaign.output_dir / 'svar'} og sendejournalen")
        if counts["supporter_letters"] and not folders:
            found.append(f"filnavnene til {counts['supporter_letters']} brev fra underskrivere i sendejournalen")
    return found


def check_privacy(campaign: Campaign, problems: Problems, today: date | None = None) -> None:
    """Warn (in validate, build, send and every command that loads the campaign) when personal data is kept too long."""
    days = keep_days(campaign, problems)
    limit = campaign.end + timedelta(days=days)
    today = today or today_in(campaign)
    if today <= limit:
        return
    found = personal_data_age(campaign)
    if found:

        problems.warning(
            "campaign.yaml",
            f"Personopplysninger er eldre enn grensen: kampanjen sluttet {format_date(campaign.end)}, og "
            f"privacy.keep_days ({days} {'dag' if days == 1 else 'dager'}) gikk ut {format_date(limit)}. Fortsatt lagret: "
            f"{'; '.join(found)}.",
            "Kjør «toolkit purge» for å se og slette dem (se docs/privacy.md).",
            field="privacy.keep_days",
        )
