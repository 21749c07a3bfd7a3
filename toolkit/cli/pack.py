"""`toolkit validate`, `letters`, `build` and `check`: the commands that check the campaign and write its pack.

Library modules are imported inside the commands, so that start-up (`toolkit --help`) stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli import (
    ToolkitCommand,
    campaign_option,
    date_option,
    load_valid,
    parse_letter_date,
    print_problems,
    progress_bar,
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
    from toolkit.cli import require_campaign
    from toolkit.validate import check_campaign

    if not campaign_dir.is_dir():
        require_campaign(campaign_dir)
    campaign, problems = check_campaign(campaign_dir)
    problems.raise_if_errors()
    assert campaign is not None  # no campaign only when campaign.yaml is unusable, an error raised above
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
@click.option("--reminders", is_flag=True,
              help="Skriv en påminnelse til hver mottaker som ikke har svart etter letters.remind_after_days dager (standard 21).")
@click.option("--pack", "pack", type=click.Choice(["filer", "zip"]), default="filer",
              help="Med --supporters: «filer» (standard) skriver hvert brev som egne filer; «zip» samler hver underskrivers "
                   "brev (DOCX, tekst, e-post, utskriftsfil) i én brev.zip; e-postene ligger også løse ved siden av, til «toolkit send».")
@click.option("--only", "only", type=click.Choice(["eml", "docx"]), default=None,
              help="Med --supporters: «eml» skriver bare e-postene (og manifestet), ikke DOCX- og tekstfiler; "
                   "til en kjøring som bare skal sendes. «docx» skriver bare brevene som DOCX og utskriftsfilen "
                   "alle-brev.docx, ingen tekstfiler og ingen e-post; til grupper som sender brevene i posten. "
                   "Da har «toolkit send» ingenting å sende fra disse mappene.")
@click.option("--max-mb", "max_mb", type=float, default=None, metavar="MB",
              help="Med --supporters: sikkerhetsgrensen for hvor stor FIL kan være (standard 1024 MB).")
def letters(campaign_dir: Path, letter_date: str | None, selectors: tuple[str, ...],
            supporters_file: Path | None, ministries: tuple[str, ...], reminders: bool = False,
            pack: str = "filer", only: str | None = None, max_mb: float | None = None):
    """Lag brev til mottakerne: DOCX, tekst og e-post (.eml), en utskriftsfil og en oversikt.

    Med --supporters skriver hver underskriver til representantene fra sitt valgdistrikt, og
    brevene havner i én mappe per underskriver under «supporters» i utdatamappen.

    \b
    Eksempel:
      toolkit letters --to kind:minister --to komite-justis
      toolkit letters --date 2026-11-25
      toolkit letters --supporters supporters.csv --ministry JD
      toolkit letters --reminders      # påminnelser til dem som ikke har svart
    """
    from toolkit.build import letter_plan_lines
    from toolkit.letters.pack import write_letter_pack
    from toolkit.letters.render import select_recipients

    when = parse_letter_date(letter_date)
    if reminders:
        if selectors or supporters_file or ministries or pack != "filer" or only or max_mb:
            raise click.UsageError("--reminders brukes alene (uten --to, --supporters, --ministry, --pack, --only og --max-mb).")
        from toolkit.cli.reminders import write_reminders_command

        write_reminders_command(load_valid(campaign_dir, when), when)
        return
    if ministries and supporters_file is None:
        raise click.UsageError("--ministry brukes sammen med --supporters.")
    if supporters_file is None and (pack != "filer" or only or max_mb):
        raise click.UsageError("--pack, --only og --max-mb brukes sammen med --supporters.")
    if pack == "zip" and only:
        raise click.UsageError(f"Velg enten --pack zip eller --only {only}.")
    if max_mb is not None and max_mb <= 0:
        raise click.BadParameter("Grensen må være et positivt tall (megabyte).", param_hint="--max-mb")
    campaign = load_valid(campaign_dir, when)
    from toolkit.pack import pack_session

    if supporters_file is not None:
        from toolkit.letters.supporters_run import UnknownMinistry, write_supporters_pack

        with pack_session(campaign, "letters --supporters", echo=_warn):
            try:
                write_supporters_pack(campaign, supporters_file, when, selectors, ministries,
                                      progress_bar=progress_bar, echo=click.echo, warn=_yellow,
                                      pack="zip" if pack == "zip" else "files", only=only or "", max_mb=max_mb)
            except UnknownMinistry as exc:
                raise click.BadParameter(str(exc), param_hint="--ministry") from None
        return
    from toolkit.letters.render import plan_letters

    select_recipients(campaign.recipients, selectors)  # an unknown selector is an error before anything is written
    count = len(plan_letters(campaign, selectors).letters)
    with pack_session(campaign, "letters", echo=_warn), progress_bar(count, "Brev") as bar:
        report = write_letter_pack(campaign, None, when, full_run=not selectors, progress=bar.update, selectors=selectors)
    click.echo(f"{report.letters} brev skrevet i {campaign.output_dir}.")
    for line in letter_plan_lines(report.plan):
        click.echo(line)
    for note in report.notes:
        click.secho(note, fg="yellow")
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
    from toolkit.build import BuildOutput, run_build

    when = parse_letter_date(letter_date)
    campaign = load_valid(campaign_dir, when)
    run_build(campaign, when, BuildOutput(progress_bar, click.echo, print_problems), warn=_warn)


def _warn(text: str) -> None:
    click.secho(text, fg="yellow", err=True)


def _yellow(text: str) -> None:
    click.secho(text, fg="yellow")


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
    from toolkit.letters.check import REPORT_FILE, check_similarity, write_report
    from toolkit.letters.pack import letter_fingerprint, templates_for
    from toolkit.letters.render import lookup_names, plan_letters, recipient_variant_numbers, render_letter

    when = parse_letter_date(letter_date)
    campaign = load_valid(campaign_dir, when)
    templates, names = templates_for(campaign), lookup_names(campaign)
    # The letters the pack writes: one per inbox, to the recipients `toolkit letters` writes to.
    planned = plan_letters(campaign).letters
    variants = recipient_variant_numbers([p.recipient for p in planned])
    items = [
        letter_fingerprint(
            render_letter(campaign, templates, p.recipient, when, names, variant=variants[p.recipient.id], planned=p),
            group=p.recipient.id,
        )
        for p in planned
    ]
    report = check_similarity(items, campaign.similarity_threshold)
    from toolkit.pack import pack_session

    with pack_session(campaign, "check", echo=_warn):
        write_report(report, campaign.output_dir / REPORT_FILE)
    for line in report.summary_lines("organisasjonens brev", worst=10):
        click.echo(line)
    click.echo(
        "Brev til ulike mottakere fra organisasjonen deler tekst med vilje; dette er bare til orientering. "
        f"Rapporten ligger i {campaign.output_dir / REPORT_FILE}."
    )
