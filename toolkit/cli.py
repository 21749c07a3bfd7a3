"""The `toolkit` command line: parses options, calls the library, prints. Heavy imports stay inside commands."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from pathlib import Path

import click

from toolkit import __version__
from toolkit.errors import CampaignInvalid, ToolkitError


class ToolkitGroup(click.Group):
    """Shows the toolkit's own errors as short messages with their exit codes, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CampaignInvalid as exc:
            print_problems(exc.problems)
            click.secho(f"\n{exc} Rett feilene over og kjør kommandoen på nytt.", fg="red", err=True)
            ctx.exit(exc.exit_code)
        except ToolkitError as exc:
            click.secho(f"Feil: {exc}", fg="red", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.secho("\nAvbrutt. Filene som ble skrevet er hele; kjør kommandoen på nytt for å fortsette.", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # The output went to a program that stopped reading (`toolkit … | head`): not an error.
            sys.stderr = open(os.devnull, "w")
            ctx.exit(0)
        except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
            if os.environ.get("TOOLKIT_DEBUG"):
                raise
            click.secho(
                f"Uventet feil: {type(exc).__name__}: {exc}\nDette er en feil i verktøyet. "
                "Kjør med TOOLKIT_DEBUG=1 for detaljer, og meld fra til utviklerne.",
                fg="red", err=True,
            )
            ctx.exit(1)


def print_problems(problems) -> None:
    for problem in problems:
        label = "FEIL" if problem.severity == "error" else "ADVARSEL"
        colour = "red" if problem.severity == "error" else "yellow"
        click.secho(f"{label}: ", fg=colour, nl=False, err=True)
        click.echo(str(problem), err=True)


def campaign_option(function):
    return click.option(
        "--campaign", "-c", "campaign_dir", default=".", show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Kampanjemappen (der campaign.yaml ligger).",
    )(function)


def date_option(function):
    return click.option(
        "--date", "letter_date", default=None, metavar="ÅÅÅÅ-MM-DD",
        help="Datoen som står i brevene (standard: i dag).",
    )(function)


def parse_letter_date(value: str | None) -> date:
    if value is None:
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo("Europe/Oslo")).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"«{value}» er ikke en dato; skriv den som 2026-11-25.", param_hint="--date") from None


def load_valid(campaign_dir: Path, today: date | None = None):
    """Validate the campaign; stop with every problem listed if anything is wrong, else warn and go on."""
    from toolkit.validate import check_campaign

    if not (campaign_dir / "campaign.yaml").exists():
        raise ToolkitError(
            f"Fant ikke campaign.yaml i {campaign_dir.resolve()}. Gå til kampanjemappen eller bruk --campaign MAPPE."
        )
    campaign, problems = check_campaign(campaign_dir, today)
    problems.raise_if_errors()
    if problems.warnings:
        print_problems(problems.warnings)
    return campaign


def progress_bar(length: int, label: str):
    """A progress bar on long runs, shown only to a person at a terminal."""
    show = length >= 50 and sys.stderr.isatty()
    return click.progressbar(length=length, label=label, file=sys.stderr if show else open(os.devnull, "w"))


@click.group(cls=ToolkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="toolkit", message="%(prog)s %(version)s")
def cli():
    """Lag en hel kampanjepakke fra en kampanjemappe: brev, e-post, kronikker og en postkalender.

    Kjør kommandoene i kampanjemappen, eller pek på den med --campaign.

    \b
    Eksempel:
      toolkit validate          # sjekk filene
      toolkit build             # lag hele pakken i mappen «ut»
      toolkit letters --to jd   # bare brevet til Justisdepartementet
    """


@cli.command()
@campaign_option
def validate(campaign_dir: Path):
    """Sjekk kampanjefilene og vis alle problemer på én gang.

    Avslutter med kode 2 hvis noe må rettes.

    \b
    Eksempel:
      toolkit validate --campaign min-kampanje
    """
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


@cli.command()
@campaign_option
@date_option
@click.option("--to", "selectors", multiple=True, metavar="UTVALG",
              help="Bare disse mottakerne: en id, eller kind:minister, party:A, county:Os, committee:JUSTIS, ministry:JD. Kan gjentas.")
@click.option("--supporters", "supporters_file", default=None, metavar="FIL",
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Brev fra underskriverne i FIL (supporters.csv) til representantene fra deres valgdistrikt.")
@click.option("--ministry", "ministries", multiple=True, metavar="ID",
              help="Med --supporters: send også et brev fra hver underskriver til dette departementet (for eksempel JD).")
def letters(campaign_dir: Path, letter_date: str | None, selectors: tuple[str, ...],
            supporters_file: Path | None, ministries: tuple[str, ...]):
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
    campaign = load_valid(campaign_dir, when)
    if supporters_file is not None:
        from toolkit.cli_recipients import write_supporters_pack

        write_supporters_pack(campaign, supporters_file, when, selectors, ministries)
        return
    chosen = select_recipients(campaign.recipients, selectors)
    with progress_bar(len(chosen), "Brev") as bar:
        report = write_letter_pack(campaign, chosen, when, full_run=not selectors, progress=bar.update)
    click.echo(f"{report.letters} brev skrevet i {campaign.output_dir}.")
    if report.unverified:
        click.echo(f"{len(report.unverified)} e-postadresser er ikke verifisert og blir ikke sendt til uten --include-unverified.")


@cli.command()
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


@cli.command()
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


from toolkit.cli_calendar import calendar  # noqa: E402

cli.add_command(calendar)

from toolkit.cli_opeds import opeds  # noqa: E402
cli.add_command(opeds)


from toolkit.cli_recipients import recipients  # noqa: E402

cli.add_command(recipients)


from toolkit.cli_send import send  # noqa: E402

cli.add_command(send)


def main() -> None:
    cli(prog_name="toolkit")
