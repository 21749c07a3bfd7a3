"""`toolkit calendar`: the social-post calendar and its exports.

Library modules are imported inside the commands, so that start-up (`toolkit --help`) stays fast.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from toolkit.cli import ToolkitCommand, campaign_option, print_problems, require_campaign
from toolkit.core.errors import CampaignInvalid, ToolkitError


@click.command(cls=ToolkitCommand)
@campaign_option
@click.option("--allow-invalid", is_flag=True,
              help="Lag filene selv om innlegg er for lange eller bryter andre regler på en plattform; de blir merket UGYLDIG.")
@click.option("--from", "from_day", default=None, metavar="ÅÅÅÅ-MM-DD",
              help="Regn innlegg før denne dagen som passert (standard: nå). "
                   "Passerte innlegg er ikke med i filene for planleggingsverktøyene.")
def calendar(campaign_dir: Path, allow_invalid: bool, from_day: str | None):
    """Lag postkalenderen for sosiale medier: kalenderfil (.ics), CSV-filer og en kalenderside.

    Alt havner i mappen calendar/ i utdatamappen. Innlegg som er for lange for en plattform,
    stopper kjøringen, med mindre --allow-invalid er gitt. Innlegg med et tidspunkt som har
    passert, står i kalenderfilen og CSV-en som «publisert/passert», men er ikke med i filene
    for Buffer, Hootsuite og Sprout.

    \b
    Eksempel:
      toolkit calendar
      toolkit calendar --from 2026-12-03   # regn alt før 3. desember som passert
      toolkit calendar --allow-invalid     # lag filene likevel, med ugyldige innlegg merket
    """
    from toolkit.social.exports import calendar_now, calendar_summary, write_calendar
    from toolkit.validate import check_campaign

    require_campaign(campaign_dir)
    campaign, problems = check_campaign(campaign_dir)
    allowed = set(campaign.calendar.rule_problems) if allow_invalid and campaign and campaign.calendar else set()
    errors = [p for p in problems.errors if p not in allowed]
    if errors:
        raise CampaignInvalid(errors + problems.warnings)
    assert campaign is not None  # no campaign only when campaign.yaml is unusable, an error raised above
    # Rule breaks let through by --allow-invalid are shown as warnings: the run goes on.
    print_problems([replace(p, severity="warning") if p in allowed else p
                    for p in problems.items if p.severity == "warning" or p in allowed])
    if campaign.calendar is None:
        raise ToolkitError("Kampanjen har ingen posts.yaml, så det er ingen postkalender å lage. "
                           "Kopier posts.yaml og observances.yaml fra den utleverte kampanjen og skriv egne innlegg.")
    day = None
    if from_day:
        from datetime import date

        try:
            day = date.fromisoformat(from_day)
        except ValueError:
            raise click.BadParameter(f"«{from_day}» er ikke en dato; skriv den som 2026-12-03.", param_hint="--from") from None
    from toolkit.pack import pack_session

    with pack_session(campaign, "calendar", echo=lambda text: click.secho(text, fg="yellow", err=True)):
        report = write_calendar(campaign, campaign.calendar, calendar_now(campaign, day, exact=True))
    click.echo(calendar_summary(report, campaign.output_dir))
