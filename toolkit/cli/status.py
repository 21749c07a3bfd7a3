"""`toolkit status`: where the campaign stands today, on the screen and as status.html and status.csv.

Library modules are imported inside the commands, so that start-up (`toolkit --help`) stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli import ToolkitCommand, campaign_option, load_valid


@click.command(cls=ToolkitCommand)
@campaign_option
@click.option("--date", "today", default=None, metavar="ÅÅÅÅ-MM-DD", help="Dagen statusen gjelder (standard: i dag).")
def status(campaign_dir: Path, today: str | None):
    """Vis hvor kampanjen står i dag: brev, svar, kronikker og dagens innlegg.

    Tallene hentes fra sendejournalen (også svarene «toolkit replies» har hentet), opeds-status.csv og
    postkalenderen. De skrives også til status.html (kan skrives ut og åpnes uten nett) og status.csv
    i utdatamappen, så et styre kan se dem uten terminal.

    \b
    Eksempel:
      toolkit status
    """
    from toolkit.cli import parse_letter_date
    from toolkit.cli.replies import journal_path
    from toolkit.followup.status import collect, screen_lines, write_status
    from toolkit.send.journal import Journal

    when = parse_letter_date(today)
    campaign = load_valid(campaign_dir, when)
    journal = Journal.open(journal_path(campaign), create=False)
    try:
        result = collect(campaign, journal, when)
    finally:
        if journal is not None:
            journal.close()
    for line in screen_lines(result, campaign):
        click.echo(line)
    from toolkit.pack import pack_session, public_path

    with pack_session(campaign, "status", echo=lambda text: click.secho(text, fg="yellow", err=True)):
        html_path, csv_path = (public_path(path) for path in write_status(result, campaign))
    click.echo(f"Skrevet: {html_path} og {csv_path}.")
