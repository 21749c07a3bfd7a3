"""`toolkit calendar`: the social-post calendar and its exports."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from toolkit.cli import ToolkitCommand, campaign_option, print_problems, require_campaign
from toolkit.errors import CampaignInvalid, ToolkitError


@click.command(cls=ToolkitCommand)
@campaign_option
@click.option("--allow-invalid", is_flag=True,
              help="Lag filene selv om innlegg er for lange eller bryter andre regler på en plattform; de blir merket UGYLDIG.")
def calendar(campaign_dir: Path, allow_invalid: bool):
    """Lag postkalenderen for sosiale medier: kalenderfil (.ics), CSV-filer og en kalenderside.

    Alt havner i mappen calendar/ i utdatamappen. Innlegg som er for lange for en plattform,
    stopper kjøringen, med mindre --allow-invalid er gitt.

    \b
    Eksempel:
      toolkit calendar
      toolkit calendar --allow-invalid   # lag filene likevel, med ugyldige innlegg merket
    """
    from toolkit.post_exports import write_calendar
    from toolkit.validate import check_campaign

    require_campaign(campaign_dir)
    campaign, problems = check_campaign(campaign_dir)
    allowed = set(campaign.calendar.rule_problems) if allow_invalid and campaign and campaign.calendar else set()
    errors = [p for p in problems.errors if p not in allowed]
    if errors:
        raise CampaignInvalid(errors + problems.warnings)
    # Rule breaks let through by --allow-invalid are shown as warnings: the run goes on.
    print_problems([replace(p, severity="warning") if p in allowed else p
                    for p in problems.items if p.severity == "warning" or p in allowed])
    if campaign.calendar is None:
        raise ToolkitError("Kampanjen har ingen posts.yaml, så det er ingen postkalender å lage. "
                           "Kopier posts.yaml og observances.yaml fra den utleverte kampanjen og skriv egne innlegg.")
    from toolkit.pack import pack_session

    with pack_session(campaign, "calendar", echo=lambda text: click.secho(text, fg="yellow", err=True)):
        report = write_calendar(campaign, campaign.calendar)
    click.echo(calendar_summary(report, campaign.output_dir))


def calendar_summary(report, output_dir: Path) -> str:
    """The line both `toolkit calendar` and `toolkit build` print."""
    text = f"Postkalender: {report.posts} innlegg i {output_dir / 'calendar'} (kalenderfil, CSV, filer for Buffer, Hootsuite og Sprout, kalenderside)."
    if report.invalid:
        which = "ugyldig innlegg er" if report.invalid == 1 else "ugyldige innlegg er"
        text += f" {report.invalid} {which} merket UGYLDIG og utelatt fra filene for planleggingsverktøyene."
    return text
