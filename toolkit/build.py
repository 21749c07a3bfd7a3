"""`toolkit build`: every part of the campaign pack from one validated campaign."""

from __future__ import annotations

import time
from datetime import date
from typing import Callable

from toolkit.core.model import Campaign

# Each step writes one part of the pack and returns a line for the summary.
BuildStep = Callable[[Campaign, date, Callable], str]


def letters_step(campaign: Campaign, when: date, progress_bar) -> str:
    from toolkit.cli.pack import plan_lines
    from toolkit.letters.pack import write_letter_pack
    from toolkit.letters.render import plan_letters

    with progress_bar(len(plan_letters(campaign).letters), "Brev") as bar:
        report = write_letter_pack(campaign, None, when, progress=bar.update)
    unverified = f" ({len(report.unverified)} med uverifisert e-postadresse)" if report.unverified else ""
    lines = [f"Brev: {report.letters} brev som DOCX, tekst og e-post{unverified}; utskriftsfil og oversikt."]
    lines.extend("  " + line for line in plan_lines(report.plan))
    lines.extend("  " + note for note in report.notes)
    lines.extend(similarity_lines(campaign, report.fingerprints, "organisasjonens brev"))
    lines.append("  Organisasjonens brev til ulike mottakere deler tekst med vilje; likheten her er bare til orientering.")
    return "\n".join(lines)


def similarity_lines(campaign: Campaign, fingerprints, label: str) -> list[str]:
    """Check how alike a batch of letters is and write the report; returns the summary lines."""
    from toolkit.letters.check import REPORT_FILE, check_similarity, write_report

    report = check_similarity(fingerprints, campaign.similarity_threshold)
    write_report(report, campaign.output_dir / REPORT_FILE)
    return report.summary_lines(label, worst=3)


def calendar_step(campaign: Campaign, when: date, progress_bar) -> str:
    from toolkit.cli.calendar import calendar_summary
    from toolkit.social.exports import calendar_now, write_calendar

    if campaign.calendar is None:
        return "Postkalender: ingen posts.yaml, så ingen kalender."
    # --date sets "today" for the calendar as for the letters and the op-eds.
    return calendar_summary(write_calendar(campaign, campaign.calendar, calendar_now(campaign, when)), campaign.output_dir)


def supporters_step(campaign: Campaign, when: date, progress_bar, echo=print) -> str:
    from toolkit.core.errors import Problems
    from toolkit.core.excel_in import list_path
    from toolkit.letters.supporters import SUPPORTERS_FILE, load_supporters, write_supporter_letters

    path = list_path(campaign.folder, SUPPORTERS_FILE)  # supporters.xlsx if that is the one
    if not path.is_file():
        return f"Underskrivere: ingen {SUPPORTERS_FILE} i kampanjemappen, så ingen brev fra underskrivere."
    problems = Problems()
    supporters = load_supporters(path, campaign, problems)
    problems.raise_if_errors()
    with progress_bar(len(supporters), "Underskrivere") as bar:
        report = write_supporter_letters(campaign, supporters, when, progress=bar.update)
    lines = [f"Underskrivere: {report.letters} brev fra {report.supporters} underskrivere, i mappen «supporters»; "
             f"{report.ready} er klare til sending."]
    lines += ["  " + line for line in report.problem_lines()]
    lines += report.similarity.summary_lines("underskrivernes brev", worst=3)
    echo("\n".join(lines))
    report.raise_if_too_similar()
    return ""


def opeds_step(campaign: Campaign, when: date, progress_bar) -> str:
    from toolkit.opeds.pack import opeds_step as write_opeds

    return write_opeds(campaign, when, progress_bar)


def site_step(campaign: Campaign, when: date, progress_bar) -> str:
    from toolkit.site.pages import build_site

    return build_site(campaign).summary()


def send_step(campaign: Campaign, when: date, progress_bar) -> str:
    """Nothing is sent by a build: say what is ready and how to look at it before sending."""
    from toolkit.send.outbox import ready_summary

    return ready_summary(campaign)


# Supporters' letters come last of the writers: a batch with near-copies fails the build after
# everything else is written. send_step only reads what the others wrote.
BUILD_STEPS: list[BuildStep] = [letters_step, opeds_step, calendar_step, site_step, supporters_step, send_step]


def run_build(campaign: Campaign, when: date, progress_bar, echo: Callable[[str], None] = print,
              warn: Callable[[str], None] | None = None) -> None:
    """Run every build step in order inside one pack session, echoing each step's summary as soon as it is done.

    The steps write into the session's staging folder (``campaign.output_dir`` while they run); the
    pack is switched into place only when every step has finished, so a failed or killed build
    leaves the previous pack whole (see toolkit.pack). A new output is a new step here that writes
    under ``campaign.output_dir`` with fsutil's atomic helpers; nothing else is needed.
    """
    from toolkit.pack import pack_session

    started = time.perf_counter()
    with pack_session(campaign, "build", echo=warn or echo) as session:
        def public(text: str) -> None:
            echo(session.public(text))

        for step in BUILD_STEPS:
            summary = step(campaign, when, progress_bar, public) if step is supporters_step else step(campaign, when, progress_bar)
            if summary:
                public(summary)
    echo(f"Ferdig på {time.perf_counter() - started:.1f} s. Alt ligger i {campaign.output_dir}.")
