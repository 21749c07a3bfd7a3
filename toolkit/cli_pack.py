"""`toolkit validate`, `letters`, `build` and `check`: the commands that check the campaign and write its pack."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli import (
    ToolkitCommand, campaign_option, date_option, load_valid, parse_letter_date, print_problems, progress_bar,
)


@click.command(cls=ToolkitCommand)
@campaign_option
def validate(campaign_dir: Path):
    """Sjekk kampanjefilene og vis alle problemer på én gang.

    Avslutter med kode 2 hvis noe må rettes.

    \b
    Eksempel:
      toolkit validate --campaign min-kampanje
    """
    from toolkit.errors import ToolkitError
    from toolkit.validate import check_campaign

    if not (campaign_dir / "campaign.yaml").exists() and not campaign_dir.is_dir():
        raise ToolkitError(f"Mappen {campaign_dir} finnes ikke.")
    campaign, problems = check_campaign(campaign_dir)
    problems.raise_if_errors()
    print_problems(problems.warnings)
    count = len(campaign.recipients)
    click.secho(
        f"Alt i orden: {len(campaign.demands)} krav, {len(campaign.facts)} fakta, {count} mottakere"
        + (f", {len(problems.warnings)} advarsler." if problems.warnings else "."),
        fg="green",
    )


@click.command(cls=ToolkitCommand)
@campaign_option
@date_option
@click.option("--to", "selectors", multiple=True, metavar="UTVALG",
              help="Bare disse mottakerne: en id, eller kind:minister, party:A, county:Os, committee:JUSTIS, ministry:JD. Kan gjentas.")
@click.option("--supporters", "supporters_file", default=None, metavar="FIL",
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Brev fra underskriverne i FIL (supporters.csv) til representantene fra deres valgdistrikt.")
@click.option("--ministry", "ministries", multiple=True, metavar="ID",
              help="Med --supporters: send også et brev fra hver underskriver til dette departementet (for eksempel JD).")
@click.option("--pack", "pack", type=click.Choice(["filer", "zip"]), default="filer",
              help="Med --supporters: «filer» (standard) skriver hvert brev som egne filer; «zip» samler hver underskrivers brev (DOCX, tekst, e-post, utskriftsfil) i én brev.zip; "
                   "e-postene ligger også løse ved siden av, til «toolkit send».")
@click.option("--only", "only", type=click.Choice(["eml"]), default=None,
              help="Med --supporters: «eml» skriver bare e-postene (og manifestet), ikke DOCX- og tekstfiler. "
                   "Til en kjøring som bare skal sendes.")
@click.option("--max-mb", "max_mb", type=float, default=None, metavar="MB",
              help="Med --supporters: sikkerhetsgrensen for hvor stor FIL kan være (standard 1024 MB).")
def letters(campaign_dir: Path, letter_date: str | None, selectors: tuple[str, ...],
            supporters_file: Path | None, ministries: tuple[str, ...], pack: str, only: str | None, max_mb: float | None):
    """Lag brev til mottakerne: DOCX, tekst og e-post (.eml), en utskriftsfil og en oversikt.

    Med --supporters skriver hver underskriver til representantene fra sitt valgdistrikt, og
    brevene havner i én mappe per underskriver under «supporters» i utdatamappen.

    \b
    Eksempel:
      toolkit letters --to kind:minister --to komite-justis
      toolkit letters --date 2026-11-25
      toolkit letters --supporters supporters.csv --ministry JD
    """
    from toolkit.letter_pack import write_letter_pack
    from toolkit.letters import select_recipients

    when = parse_letter_date(letter_date)
    if ministries and supporters_file is None:
        raise click.UsageError("--ministry brukes sammen med --supporters.")
    if supporters_file is None and (pack != "filer" or only or max_mb):
        raise click.UsageError("--pack, --only og --max-mb brukes sammen med --supporters.")
    if pack == "zip" and only:
        raise click.UsageError("Velg enten --pack zip eller --only eml.")
    if max_mb is not None and max_mb <= 0:
        raise click.BadParameter("Grensen må være et positivt tall (megabyte).", param_hint="--max-mb")
    campaign = load_valid(campaign_dir, when)
    if supporters_file is not None:
        from toolkit.cli_recipients import write_supporters_pack

        write_supporters_pack(campaign, supporters_file, when, selectors, ministries,
                              pack="zip" if pack == "zip" else "files", only=only or "", max_mb=max_mb)
        return
    chosen = select_recipients(campaign.recipients, selectors)
    with progress_bar(len(chosen), "Brev") as bar:
        report = write_letter_pack(campaign, chosen, when, full_run=not selectors, progress=bar.update)
    click.echo(f"{report.letters} brev skrevet i {campaign.output_dir}.")
    if report.unverified:
        click.echo(f"{len(report.unverified)} e-postadresser er ikke verifisert og blir ikke sendt til uten --include-unverified.")


@click.command(cls=ToolkitCommand)
@campaign_option
@date_option
def build(campaign_dir: Path, letter_date: str | None):
    """Lag hele kampanjepakken: sjekker filene først, og skriver så alt i utdatamappen.

    \b
    Eksempel:
      toolkit build
      toolkit build --campaign kampanje-2027 --date 2027-11-20
    """
    from toolkit.build import run_build

    when = parse_letter_date(letter_date)
    campaign = load_valid(campaign_dir, when)
    run_build(campaign, when, progress_bar, click.echo)


@click.command(cls=ToolkitCommand)
@campaign_option
@date_option
def check(campaign_dir: Path, letter_date: str | None):
    """Mål hvor like brevene er: høyeste likhet per brev, fordeling og de likeste parene.

    Metoden er den WriteToThem bruker: fingeravtrykk av tekstbiter på 32 tegn og
    Dice-koeffisienten. Hilsen, underskrift og kravenes titler telles ikke med.
    Rapporten skrives til likhet-brev.csv i utdatamappen.

    \b
    Eksempel:
      toolkit check
    """
    from toolkit.check import REPORT_FILE, check_similarity, write_report
    from toolkit.letter_pack import letter_fingerprint, templates_for
    from toolkit.letters import lookup_names, render_letter, variant_numbers

    when = parse_letter_date(letter_date)
    campaign = load_valid(campaign_dir, when)
    templates, names = templates_for(campaign), lookup_names(campaign)
    variants = variant_numbers(campaign.recipients)
    items = [
        letter_fingerprint(render_letter(campaign, templates, r, when, names, variant=variants[r.id]), group=r.id)
        for r in campaign.recipients
    ]
    report = check_similarity(items, campaign.similarity_threshold)
    write_report(report, campaign.output_dir / REPORT_FILE)
    for line in report.summary_lines("organisasjonens brev", worst=10):
        click.echo(line)
    click.echo(
        "Brev til ulike mottakere fra organisasjonen deler tekst med vilje; dette er bare til orientering. "
        f"Rapporten ligger i {campaign.output_dir / REPORT_FILE}."
    )
