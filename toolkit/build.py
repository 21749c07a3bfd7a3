"""`toolkit build`: every part of the campaign pack from one validated campaign.

Library code: it never prints. What a run has to say goes through the ``BuildOutput`` the command line
passes in (progress bars, summary lines, problems), so the same steps serve another front end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

from toolkit.core.errors import Problem, Problems
from toolkit.core.excel_in import list_path
from toolkit.core.model import Campaign
from toolkit.letters.check import REPORT_FILE, check_similarity, write_report
from toolkit.letters.pack import write_letter_pack
from toolkit.letters.render import LetterPlan, plan_letters
from toolkit.letters.supporters import SUPPORTERS_FILE, load_supporters, write_supporter_letters
from toolkit.opeds.pack import plan_lines as oped_plan_lines
from toolkit.opeds.pack import plan_warnings, write_oped_pack
from toolkit.pack import pack_session
from toolkit.send.outbox import ready_summary
from toolkit.site.pages import build_site
from toolkit.social.exports import calendar_now, calendar_summary, write_calendar


@dataclass
class BuildOutput:
    """How a build talks to the person running it; the command line fills it in (toolkit.cli.pack)."""

    # progress_bar(total, label) -> a context manager whose ``update(n)`` moves the bar on
    progress_bar: Callable[[int, str], AbstractContextManager[Any]]
    echo: Callable[[str], None] = print
    problems: Callable[[Sequence[Problem]], None] = lambda problems: None


# Each step writes one part of the pack and returns a line for the summary.
BuildStep = Callable[[Campaign, date, BuildOutput], str]


def letters_step(campaign: Campaign, when: date, out: BuildOutput) -> str:
    with out.progress_bar(len(plan_letters(campaign).letters), "Brev") as bar:
        report = write_letter_pack(campaign, None, when, progress=bar.update)
    unverified = f" ({len(report.unverified)} med uverifisert e-postadresse)" if report.unverified else ""
    lines = [f"Brev: {report.letters} brev som DOCX, tekst og e-post{unverified}; utskriftsfil og oversikt."]
    lines.extend("  " + line for line in letter_plan_lines(report.plan))
    lines.extend("  " + note for note in report.notes)
    lines.extend(similarity_lines(campaign, report.fingerprints, "organisasjonens brev"))
    lines.append("  Organisasjonens brev til ulike mottakere deler tekst med vilje; likheten her er bare til orientering.")
    return "\n".join(lines)


def similarity_lines(campaign: Campaign, fingerprints, label: str) -> list[str]:
    """Check how alike a batch of letters is and write the report; returns the summary lines."""

    report = check_similarity(fingerprints, campaign.similarity_threshold)
    write_report(report, campaign.output_dir / REPORT_FILE)
    return report.summary_lines(label, worst=3)


def calendar_step(campaign: Campaign, when: date, out: BuildOutput) -> str:
    if campaign.calendar is None:
        return "Postkalender: ingen posts.yaml, så ingen kalender."
    # --date sets "today" for the calendar as for the letters and the op-eds.
    return calendar_summary(write_calendar(campaign, campaign.calendar, calendar_now(campaign, when)), campaign.output_dir)


def supporters_step(campaign: Campaign, when: date, out: BuildOutput) -> str:
    path = list_path(campaign.folder, SUPPORTERS_FILE)  # supporters.xlsx if that is the one
    if not path.is_file():
        return f"Underskrivere: ingen {SUPPORTERS_FILE} i kampanjemappen, så ingen brev fra underskrivere."
    problems = Problems()
    supporters = load_supporters(path, campaign, problems)
    problems.raise_if_errors()
    with out.progress_bar(len(supporters), "Underskrivere") as bar:
        report = write_supporter_letters(campaign, supporters, when, progress=bar.update)
    lines = [f"Underskrivere: {report.letters} brev fra {report.supporters} underskrivere, i mappen «supporters»; "
             f"{report.ready} er klare til sending."]
    lines += ["  " + line for line in report.problem_lines()]
    lines += report.similarity.summary_lines("underskrivernes brev", worst=3)
    out.echo("\n".join(lines))
    report.raise_if_too_similar()
    return ""


def opeds_step(campaign: Campaign, when: date, out: BuildOutput) -> str:
    """Plan the op-eds from ``when`` and write their documents."""
    if campaign.opeds is None:
        return "Kronikker: ingen (kampanjen har ingen outlets.csv)."
    report = write_oped_pack(campaign, when)
    out.problems(plan_warnings(report))
    return "\n".join(oped_plan_lines(report))


def site_step(campaign: Campaign, when: date, out: BuildOutput) -> str:
    return build_site(campaign).summary()


def send_step(campaign: Campaign, when: date, out: BuildOutput) -> str:
    """Nothing is sent by a build: say what is ready and how to look at it before sending."""
    return ready_summary(campaign)


# Supporters' letters come last of the writers: a batch with near-copies fails the build after
# everything else is written. send_step only reads what the others wrote.
BUILD_STEPS: list[BuildStep] = [letters_step, opeds_step, calendar_step, site_step, supporters_step, send_step]


def run_build(campaign: Campaign, when: date, out: BuildOutput, warn: Callable[[str], None] | None = None) -> None:
    """Run every build step in order inside one pack session, echoing each step's summary as soon as it is done.

    The steps write into the session's staging folder (``campaign.output_dir`` while they run); the
    pack is switched into place only when every step has finished, so a failed or killed build
    leaves the previous pack whole (see toolkit.pack). A new output is a new step here that writes
    under ``campaign.output_dir`` with fsutil's atomic helpers; nothing else is needed.
    """
    started = time.perf_counter()
    with pack_session(campaign, "build", echo=warn or out.echo) as session:
        def public(text: str) -> None:
            out.echo(session.public(text))

        step_out = BuildOutput(out.progress_bar, public, out.problems)
        for step in BUILD_STEPS:
            summary = step(campaign, when, step_out)
            if summary:
                public(summary)
    out.echo(f"Ferdig på {time.perf_counter() - started:.1f} s. Alt ligger i {campaign.output_dir}.")


def letter_plan_lines(plan: LetterPlan) -> list[str]:
    """Who did not get a letter of their own, and why, for `letters` and `build`."""
    lines = []
    merged = [(r, why) for r, why in plan.left_out if why != "eier ingen av kravene"]
    owners_none = [r.id for r, why in plan.left_out if why == "eier ingen av kravene"]
    if merged:
        lines.append(f"{len(merged)} mottakere deler e-postadresse med et annet brev og får det i stedet:")
        lines.extend(f"  {r.id}: {why}" for r, why in merged)
    if owners_none:
        lines.append(
            f"{len(owners_none)} mottakere fikk ikke brev fordi de ikke eier noen av kravene: {', '.join(owners_none)}. "
            "Sett letters.inform_others: true i campaign.yaml, eller bruk --to ID, for et brev til orientering."
        )
    for email, ids in plan.shared:
        lines.append(f"ADVARSEL: {email} får {len(ids)} ulike brev ({', '.join(ids)}); "
                     "toolkit send sender bare ett av dem uten --allow-shared-inbox.")
    return lines
