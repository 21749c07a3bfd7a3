"""`toolkit purge`: list, and after one confirmation delete, the personal data the toolkit wrote.

Library modules are imported inside the commands, so that start-up (`toolkit --help`) stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli import ToolkitCommand, campaign_option


@click.command(cls=ToolkitCommand)
@campaign_option
@click.option("--yes", "-y", is_flag=True, help="Ikke spør før sletting.")
@click.option("--now", "early", is_flag=True,
              help="Slett også før fristen (privacy.keep_days etter kampanjen), for eksempel når noen ber om det.")
@click.option("--date", "today", default=None, metavar="ÅÅÅÅ-MM-DD", help="Dagen fristen regnes fra (standard: i dag).")
def purge(campaign_dir: Path, yes: bool, early: bool, today: str | None):
    """Slett personopplysningene toolkit har lagret, når kampanjen er over.

    Viser først hva som blir slettet (underskrivernes mapper, lagrede svar fra privatpersoner og
    personopplysningene i sendejournalen) og hva som blir beholdt, og hvorfor. Så spør den én gang.
    Fristen er privacy.keep_days (standard 90) dager etter kampanjens siste dag. Se docs/privacy.md.

    \b
    Eksempel:
      toolkit purge             # se hva som blir slettet, og svar ja eller nei
    """
    from toolkit.cli import parse_letter_date
    from toolkit.cli.replies import journal_path
    from toolkit.core.templates import format_date
    from toolkit.followup.privacy import carry_out, deadline, plan_purge
    from toolkit.send.journal import Journal

    when = parse_letter_date(today)
    campaign = _load(campaign_dir)
    limit = deadline(campaign)
    journal = Journal.open(journal_path(campaign), create=False, lock=True)
    try:
        plan = plan_purge(campaign, journal)
        out = campaign.output_dir
        if plan.empty:
            click.echo("Ingen personopplysninger å slette: toolkit har ikke lagret noen (eller de er slettet før).")
        else:
            click.echo("Dette blir slettet:")
            if plan.folders:
                click.echo(f"  {len(plan.folders)} underskrivermapper i {out / 'supporters'} (brev, e-post og manifest):")
                for folder in plan.folders[:10]:
                    click.echo(f"    {folder.name}/")
                if len(plan.folders) > 10:
                    click.echo(f"    … og {len(plan.folders) - 10} til")
            for path in plan.files:
                click.echo(f"  {path.relative_to(out).as_posix()}")
            if plan.journal_replies or plan.journal_letters:
                click.echo(
                    f"  I sendejournalen: avsender, emne og første linjer i {plan.journal_replies} e-poster som ikke er svar fra "
                    "offentlige organer (svar fra privatpersoner, automatiske svar og e-post uten treff), "
                    f"og filnavnet (som viser underskriveren) for {plan.journal_letters} brev fra underskrivere. "
                    "Radene blir stående, så tallene stemmer også etterpå."
                )
        click.echo("Dette blir beholdt, og hvorfor:")
        for note in plan.kept:
            click.echo(f"  {note}")
        if plan.empty:
            return
        if when <= limit and not early:
            click.secho(
                f"Fristen for å slette er {format_date(limit)} (privacy.keep_days etter kampanjens slutt). "
                "Ingenting er slettet. Vil du slette nå likevel, bruk --now.", fg="yellow",
            )
            return
        if not yes:
            try:
                answer = click.prompt("Slette dette nå? Det kan ikke angres. [j/N]", default="n", show_default=False)
            except click.exceptions.Abort:
                answer = "n"
            if answer.strip().lower() not in ("j", "ja", "y", "yes"):
                click.echo("Ingenting er slettet.", err=True)
                raise click.exceptions.Exit(1)
        from toolkit.pack import pack_lock

        with pack_lock(campaign, echo=lambda text: click.secho(text, fg="yellow", err=True)):
            cleared = carry_out(plan, campaign, journal)
    finally:
        if journal is not None:
            journal.close()
    click.secho(
        f"Slettet: {len(plan.folders)} underskrivermapper, {len(plan.files)} filer; tømt i sendejournalen: "
        f"{cleared['replies']} svar og {cleared['supporter_letters']} brev fra underskrivere.", fg="green",
    )


def _load(campaign_dir: Path):
    """Only campaign.yaml must be right: a post that is too long must not keep personal data on disk."""
    from toolkit.core.errors import CampaignInvalid, Problems, ToolkitError
    from toolkit.load import load_campaign

    if not (campaign_dir / "campaign.yaml").exists():
        raise ToolkitError(
            f"Fant ikke campaign.yaml i {campaign_dir.resolve()}. Gå til kampanjemappen eller bruk --campaign MAPPE."
        )
    problems = Problems()
    campaign = load_campaign(campaign_dir, problems)
    from toolkit.followup.privacy import keep_days

    if campaign is not None:
        keep_days(campaign, problems)
    blocking = [p for p in problems.errors if p.file == "campaign.yaml"]
    if campaign is None or blocking:
        raise CampaignInvalid(blocking or problems.errors)
    return campaign
