"""`toolkit letters --supporters FIL`: one run of supporters' letters, from the file to the summary.

Library code (toolkit.cli.pack calls it): it reports through the ``echo`` and ``warn`` it is given and
never prints or exits itself.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import Any

from toolkit.core.errors import Problems, ToolkitError
from toolkit.core.model import Campaign
from toolkit.letters.render import select_recipients
from toolkit.letters.supporters import DEFAULT_MAX_MB, OUTPUT_FOLDER, OVERVIEW_FILE, load_supporters, write_supporter_letters
from toolkit.pack import public_path

# progress_bar(total, label) -> a context manager whose ``update(n)`` moves the bar on
ProgressBar = Callable[[int, str], AbstractContextManager[Any]]


class UnknownMinistry(ToolkitError):
    """A ``--ministry`` that recipients.csv does not have."""


def write_supporters_pack(campaign: Campaign, supporters_file: Path, when: date, selectors: tuple[str, ...], ministries: tuple[str, ...],
                          *, progress_bar: ProgressBar, echo: Callable[[str], None], warn: Callable[[str], None],
                          pack: str = "files", only: str = "", max_mb: float | None = None) -> None:
    """`toolkit letters --supporters FIL`: check the file, then write every supporter's letters.

    What the run has to say goes to ``echo`` (and ``warn`` for what needs attention); an unknown
    ``--ministry`` raises ``UnknownMinistry``, which the command line reports against that option.
    """
    problems = Problems()
    supporters = load_supporters(supporters_file, campaign, problems, supporters_file.name, max_mb or DEFAULT_MAX_MB)
    problems.raise_if_errors()
    mps = [r for r in campaign.recipients if r.kind == "mp"]
    chosen = select_recipients(mps, selectors) if selectors else mps
    extra = []
    for ministry in ministries:
        match = [r for r in campaign.recipients if r.kind == "ministry" and r.ministry.upper() == ministry.upper()]
        if not match:
            known = ", ".join(sorted(r.ministry for r in campaign.recipients if r.kind == "ministry"))
            raise UnknownMinistry(f"Departementet «{ministry}» finnes ikke i recipients.csv. Bruk en av: {known}.")
        extra.extend(match)
    with progress_bar(len(supporters), "Underskrivere") as bar:
        report = write_supporter_letters(campaign, supporters, when, representatives=chosen, extra=tuple(extra), progress=bar.update,
                                         pack=pack, only=only)
    out = public_path(campaign.output_dir / OUTPUT_FOLDER)
    inside = {"zip": " (brevene samlet i brev.zip, e-postene ved siden av)", "eml": " (bare e-postene)",
              "docx": " (bare DOCX-filene og utskriftsfilen, til papirpost; ingen e-post å sende)"}.get(only or pack, "")
    echo(f"{report.letters} brev fra {report.supporters} underskrivere, én mappe per underskriver i {out}{inside}.")
    echo(f"Oversikten over hvem som har fått hva, står i {out / OVERVIEW_FILE}.")
    if report.without_letters:
        warn(
            f"{len(report.without_letters)} underskrivere fikk ingen brev, fordi ingen av representantene deres passet til --to.",
        )
    for line in report.problem_lines():
        warn(line)
    for line in report.similarity.summary_lines("underskrivernes brev", worst=5):
        echo(line)
    report.raise_if_too_similar()
