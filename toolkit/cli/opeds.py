"""`toolkit opeds`: plan the op-eds and write one document per submission.

Library modules are imported inside the commands, so that start-up (`toolkit --help`) stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli import ToolkitCommand, campaign_option, load_valid, parse_letter_date, print_problems


@click.command(cls=ToolkitCommand)
@campaign_option
@click.option("--date", "today", default=None, metavar="ÅÅÅÅ-MM-DD", help="Dagen planen regnes fra (standard: i dag).")
def opeds(campaign_dir: Path, today: str | None):
    """Planlegg kronikker og debattinnlegg: hvilken avis, hvilken dag og hvem som skriver under.

    Hvert innlegg ligger hos én avis om gangen. Lager én DOCX per innlegg for avisa det skal til nå
    (med følgenotat: adresse, lengde, bildekrav, dato, svarfrist og hvor innlegget har vært før),
    en oversikt i ut/opeds/plan.csv med én rad per innlegg og avisene det går videre til, og
    oppdaterer opeds-status.csv i kampanjemappen. Skriv «sendt», «antatt», «publisert», «avslått»
    eller «trukket» der; et innlegg går videre til neste avis bare ved «avslått» eller «trukket».

    \b
    Eksempel:
      toolkit opeds
      toolkit opeds --date 2026-11-30
    """
    from toolkit.core.errors import ToolkitError
    from toolkit.opeds.pack import plan_lines, plan_warnings, write_oped_pack

    when = parse_letter_date(today)
    campaign = load_valid(campaign_dir, when)
    if campaign.opeds is None:
        raise ToolkitError("Kampanjen har ingen kronikker: legg til outlets.csv, signatories.csv og «opeds:» i campaign.yaml "
                           "(se docs/campaign-files.md).")
    from toolkit.pack import pack_session

    with pack_session(campaign, "opeds", echo=lambda text: click.secho(text, fg="yellow", err=True)) as session:
        report = write_oped_pack(campaign, when)
        lines = [session.public(line) for line in plan_lines(report)]
    print_problems(plan_warnings(report))
    for line in lines:
        click.echo(line)
