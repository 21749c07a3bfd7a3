"""`toolkit validate`: every campaign file against its rules and the other files, all problems at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from toolkit.core.campaign import check_staleness
from toolkit.core.errors import Problems
from toolkit.core.letterhead import check as check_letterhead
from toolkit.core.model import Campaign, Supporter
from toolkit.core.starter import check_placeholders
from toolkit.core.templates import RenderLimit, TemplateProblem, Templates, split_problem
from toolkit.followup.privacy import check_privacy
from toolkit.followup.replies import check_imap_settings
from toolkit.letters.checks import check_case_template, check_fact_age, check_letter_plan
from toolkit.letters.pack import templates_for
from toolkit.letters.render import LETTER_TEMPLATES, LETTER_VARIABLES, language_of, lookup_names, recipient_variant_numbers, render_letter
from toolkit.letters.supporters import (
    SUPPORTERS_FILE,
    check_supporters_file,
    load_supporters,
    prepare_run,
    supporter_letters,
)
from toolkit.load import load_campaign
from toolkit.opeds.pieces import check_opeds
from toolkit.send.settings import check_smtp_settings
from toolkit.social.posts import check_posts

# Checks of each part of the campaign, run in this order once the core files have loaded; each
# reports on what loading read (toolkit.load) and records problems. A new capability adds its check here.
FeatureCheck = Callable[[Campaign, Problems], None]


def _check_posts(campaign: Campaign, problems: Problems) -> None:
    calendar = campaign.calendar  # read here, on first use: its own problems come first
    if calendar is not None:
        check_posts(campaign, calendar, problems)


def _check_opeds(campaign: Campaign, problems: Problems) -> None:
    setup = campaign.opeds  # read here, on first use: its own problems come first
    if setup is not None:
        check_opeds(campaign, setup, problems)


def _check_letters(campaign: Campaign, problems: Problems) -> None:
    check_letter_plan(campaign, problems)
    check_case_template(campaign, problems)
    check_fact_age(campaign, problems)


def _check_after_sending(campaign: Campaign, problems: Problems) -> None:
    check_imap_settings(campaign, problems)
    check_privacy(campaign, problems)


FEATURE_CHECKS: list[FeatureCheck] = [
    _check_posts, check_supporters_file, _check_opeds, check_smtp_settings, check_letterhead,
    check_placeholders, _check_letters, _check_after_sending,
]


def check_letter_templates(campaign: Campaign, problems: Problems) -> None:
    """Parse the letter templates each language in use needs and check the variables they use."""
    kinds = sorted({r.kind for r in campaign.recipients} or {"ministry"})
    languages = sorted({r.language or campaign.language for r in campaign.recipients} or {campaign.language})
    folder = campaign.templates_dir
    if not folder.is_dir():
        problems.error("letter_templates", "Malmappen finnes ikke.", "Kopier letter_templates/ fra den utleverte kampanjen.")
        return
    for language in languages:
        templates = Templates(folder, language)
        templates.check([LETTER_TEMPLATES[k] for k in kinds if k in LETTER_TEMPLATES], LETTER_VARIABLES, problems)
        try:
            templates.env.parse(campaign.letter_subject)
        except Exception as exc:  # noqa: BLE001 - any template error in the subject is the user's to fix
            problems.error("campaign.yaml", f"Emnefeltet er ikke en gyldig mal: {exc}.", field="letters.subject")


def render_every_letter(campaign: Campaign, problems: Problems, today: date) -> None:
    """Render every recipient's letter in memory, in the build's own sandbox and with its limits.

    What would stop `toolkit build` half-way (a blocked attribute, an include outside the template
    folder or in a ring, a loop without end, an output too large) stops `validate`, naming the
    template and the line; each problem is reported once, however many letters it affects.
    """
    if not campaign.templates_dir.is_dir():
        return
    templates = templates_for(campaign)
    names = lookup_names(campaign)
    variants = recipient_variant_numbers(campaign.recipients)
    failed: set[tuple[str, str]] = set()  # (language, kind): one problem per template is enough
    reported: set[tuple] = set()
    for recipient in campaign.recipients:
        which = (language_of(campaign, recipient), recipient.kind)
        if which in failed:
            continue
        try:
            render_letter(campaign, templates, recipient, today, names, variant=variants.get(recipient.id))
        except TemplateProblem as exc:
            failed.add(which)
            file, line, message = split_problem(str(exc))
            if (file, line, message) in reported:
                continue  # a template several letters share: reported once
            reported.add((file, line, message))
            problems.error(file, f"{message} (brevet til {recipient.id})", line=line)
            if isinstance(exc.__cause__ or exc.__context__, RenderLimit) or "sekunder" in message:
                return  # a template over the time limit would cost that time again for every letter
    render_supporters_sample(campaign, problems, today, reported)


def render_supporters_sample(campaign: Campaign, problems: Problems, today: date, reported: set) -> None:
    """With supporters.csv (or .xlsx), render the letters of one supporter per written standard, with and without a
    personal paragraph: the signer's branches of the templates run there and nowhere else."""
    path = campaign.folder / SUPPORTERS_FILE
    if not path.is_file() and not path.with_suffix(".xlsx").is_file():  # supporters.xlsx is read in its place
        return
    supporters = load_supporters(path, campaign, Problems())  # its problems are reported by its own check
    sample: dict[tuple[str, bool], Supporter] = {}
    for supporter in supporters:
        sample.setdefault((supporter.language, bool(supporter.personal_paragraph)), supporter)
    run = prepare_run(campaign, list(sample.values()), today)
    for supporter in sample.values():
        try:
            for _ in supporter_letters(run, supporter):
                pass
        except TemplateProblem as exc:
            file, line, message = split_problem(str(exc))
            if (file, line, message) not in reported:
                reported.add((file, line, message))
                problems.error(file, f"{message} (brevet fra underskriveren {supporter.id})", line=line)


def check_campaign(folder: Path, today: date | None = None, *, render_letters: bool = True) -> tuple[Campaign | None, Problems]:
    """Load and check the whole campaign folder; the caller decides what to do with the problems.

    ``render_letters=False`` leaves out rendering every letter (``render_every_letter``), for commands
    that use letters already built and checked (``toolkit send``) and not the templates.
    """
    problems = Problems()
    campaign = load_campaign(Path(folder), problems)
    if campaign is None:
        return None, problems
    check_staleness(campaign, problems, today or date.today())
    check_letter_templates(campaign, problems)
    if render_letters and not problems.errors:
        # Only when the templates parse: a syntax error is reported once above, not once per letter.
        render_every_letter(campaign, problems, today or date.today())
    for check in FEATURE_CHECKS:
        check(campaign, problems)
    return campaign, problems
