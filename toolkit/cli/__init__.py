"""The `toolkit` command line: parses options, calls the library, prints.

`toolkit --help` imports nothing but click: each command lives in a module of toolkit/cli/ that is
imported only when the command runs or shows its own help, and library modules are imported inside the
commands, so that start-up (`toolkit --help`) stays fast.
"""

from __future__ import annotations

import io
import os
import sys
from typing import TYPE_CHECKING

import click

from toolkit import __version__

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from toolkit.core.model import Campaign

# Each command: the module that defines it (as a click command of the same name) and the first paragraph
# of its help, which is all `toolkit --help` shows, so that listing the commands imports none of their
# modules. tests/test_cli.py checks these against the commands. A new command is one line here.
COMMANDS = {
    "build": ("toolkit.cli.pack", "Lag hele kampanjepakken: sjekker filene først, og skriver så alt i utdatamappen."),
    "calendar": ("toolkit.cli.calendar",
                 "Lag postkalenderen for sosiale medier: kalenderfil (.ics), CSV-filer og en kalenderside."),
    "check": ("toolkit.cli.pack",
              "Mål hvor like brevene er: høyeste likhet per brev, fordeling og de likeste parene."),
    "init": ("toolkit.cli.init", "Lag en ny kampanjemappe fra eksempelkampanjen som følger med verktøyet."),
    "letters": ("toolkit.cli.pack",
                "Lag brev til mottakerne: DOCX, tekst og e-post (.eml), en utskriftsfil og en oversikt."),
    "opeds": ("toolkit.cli.opeds",
              "Planlegg kronikker og debattinnlegg: hvilken avis, hvilken dag og hvem som skriver under."),
    "purge": ("toolkit.cli.purge", "Slett personopplysningene toolkit har lagret, når kampanjen er over."),
    "recipients": ("toolkit.cli.recipients",
                   "Mottakerlisten: hent stortingsrepresentantene og se hvem som får hvilke krav først."),
    "replies": ("toolkit.cli.replies",
                "Hent svarene på brevene fra organisasjonens e-postkasse (IMAP) og før dem inn i sendejournalen."),
    "site": ("toolkit.cli.site",
             "Lag kampanjens nettside: supportere finner representantene sine og skriver til dem selv."),
    "send": ("toolkit.cli.send", "Send e-postene som «toolkit build» laget. Uten --send er det en prøvekjøring."),
    "status": ("toolkit.cli.status", "Vis hvor kampanjen står i dag: brev, svar, kronikker og dagens innlegg."),
    "validate": ("toolkit.cli.pack", "Sjekk kampanjefilene og vis alle problemer på én gang."),
}


HELP_OPTION_HELP = "Vis denne hjelpen og avslutt."


class NorwegianHelpFormatter(click.HelpFormatter):
    """click's help layout with Norwegian headings ("Bruk:", "Valg", "Kommandoer")."""

    SECTIONS = {"Options": "Valg", "Commands": "Kommandoer", "Positional arguments": "Argumenter"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "Bruk: " if prefix is None else prefix)

    def section(self, name: str):
        return super().section(self.SECTIONS.get(name, name))


class NorwegianContext(click.Context):
    formatter_class = NorwegianHelpFormatter


class ToolkitCommand(click.Command):
    """A command whose help is Norwegian: click's own words in it (the usage line, the headings, the help
    option) are replaced; the words the command's author wrote are Norwegian already."""

    context_class = NorwegianContext

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[VALG]")
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_HELP
        return option


class ToolkitSubGroup(ToolkitCommand, click.Group):
    """A group of subcommands (`toolkit recipients …`), Norwegian like the commands."""

    command_class = ToolkitCommand
    group_class = type  # a group made with @group.group() is one of these too

    def __init__(self, *args, subcommand_metavar: str | None = "KOMMANDO [ARGUMENTER]...", **kwargs):
        super().__init__(*args, subcommand_metavar=subcommand_metavar, **kwargs)


class ToolkitGroup(ToolkitSubGroup):
    """Loads each command on first use, and shows the toolkit's own errors as short messages with their
    exit codes, never a traceback; click's usage errors are shown in Norwegian (toolkit.cli.errors)."""

    def list_commands(self, ctx):
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            from importlib import import_module

            self.add_command(getattr(import_module(COMMANDS[cmd_name][0]), cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx, formatter):
        """The command list, made by click from the summaries of the commands not loaded yet."""
        listing = click.Group(commands=[
            self.commands.get(name) or click.Command(name, help=COMMANDS[name][1]) for name in self.list_commands(ctx)
        ])
        click.Group.format_commands(listing, ctx, formatter)

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as exc:
            raise _in_norwegian(exc) from exc

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.secho("\nAvbrutt. Filene som ble skrevet er hele; kjør kommandoen på nytt for å fortsette.", err=True)
            ctx.exit(130)
        except click.exceptions.Abort:
            click.echo("Avbrutt.", err=True)
            ctx.exit(1)
        except click.exceptions.Exit:
            raise
        except click.ClickException as exc:
            raise _in_norwegian(exc) from exc
        except BrokenPipeError:
            # The output went to a program that stopped reading (`toolkit … | head`): not an error.
            sys.stderr = open(os.devnull, "w")
            ctx.exit(0)
        except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
            from toolkit.core.errors import CampaignInvalid, ToolkitError  # here, so that --help does not load it

            if isinstance(exc, CampaignInvalid):
                print_problems(exc.problems)
                click.secho(f"\n{exc} Rett feilene over og kjør kommandoen på nytt.", fg="red", err=True)
                ctx.exit(exc.exit_code)
            if isinstance(exc, ToolkitError):
                click.secho(f"Feil: {exc}", fg="red", err=True)
                ctx.exit(exc.exit_code)
            if os.environ.get("TOOLKIT_DEBUG"):
                raise
            click.secho(
                f"Uventet feil: {type(exc).__name__}: {exc}\nDette er en feil i verktøyet. "
                "Kjør med TOOLKIT_DEBUG=1 for detaljer, og meld fra til utviklerne.",
                fg="red", err=True,
            )
            ctx.exit(1)


def _in_norwegian(exc: click.ClickException) -> click.ClickException:
    """click's error, to be shown in Norwegian (the re-wording is loaded only when an error happens)."""
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):  # the help itself, shown for a bare `toolkit`
        return exc
    from toolkit.cli.errors import in_norwegian

    return in_norwegian(exc)


def print_problems(problems) -> None:
    for problem in problems:
        label = "FEIL" if problem.severity == "error" else "ADVARSEL"
        colour = "red" if problem.severity == "error" else "yellow"
        click.secho(f"{label}: ", fg=colour, nl=False, err=True)
        click.echo(str(problem), err=True)


def campaign_option(function):
    from pathlib import Path

    return click.option(
        "--campaign", "-c", "campaign_dir", default=".", metavar="MAPPE",
        type=click.Path(file_okay=False, path_type=Path),
        help="Kampanjemappen (der campaign.yaml ligger). Standard: mappen du står i.",
    )(function)


def date_option(function):
    return click.option(
        "--date", "letter_date", default=None, metavar="ÅÅÅÅ-MM-DD",
        help="Datoen som står i brevene (standard: i dag).",
    )(function)


def parse_letter_date(value: str | None) -> date:
    from datetime import date, datetime

    if value is None:
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo("Europe/Oslo")).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"«{value}» er ikke en dato; skriv den som 2026-11-25.", param_hint="--date") from None


def load_valid(campaign_dir: Path, today: date | None = None, *, render_letters: bool = True) -> Campaign:
    """Validate the campaign; stop with every problem listed if anything is wrong, else warn and go on."""
    from toolkit.validate import check_campaign

    require_campaign(campaign_dir)
    campaign, problems = check_campaign(campaign_dir, today, render_letters=render_letters)
    problems.raise_if_errors()
    assert campaign is not None  # no campaign only when campaign.yaml is unusable, an error raised above
    if problems.warnings:
        print_problems(problems.warnings)
    return campaign


def require_campaign(campaign_dir: Path) -> None:
    """Stop with exit code 2 when ``campaign_dir`` is not a campaign folder (missing, or no campaign.yaml)."""
    from toolkit.core.errors import CampaignNotFound

    if not campaign_dir.is_dir():
        raise CampaignNotFound(
            f"Kampanjemappen {campaign_dir.resolve()} finnes ikke. Sjekk navnet etter --campaign (mappen der "
            "campaign.yaml ligger), eller gå til kampanjemappen og kjør kommandoen der."
        )
    if not (campaign_dir / "campaign.yaml").exists():
        raise CampaignNotFound(
            f"Fant ikke campaign.yaml i {campaign_dir.resolve()}. Gå til kampanjemappen eller bruk --campaign MAPPE."
        )


def progress_bar(length: int, label: str):
    """A progress bar on long runs, shown only to a person at a terminal."""
    show = length >= 50 and sys.stderr.isatty()
    return click.progressbar(length=length, label=label, file=sys.stderr, hidden=not show)


@click.group(cls=ToolkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="toolkit", message="%(prog)s %(version)s",
                      help="Vis versjonsnummeret og avslutt.")
def cli():
    """Lag en hel kampanjepakke fra en kampanjemappe: brev, e-post, kronikker og en postkalender.

    Kjør kommandoene i kampanjemappen, eller pek på den med --campaign.

    \b
    Eksempel:
      toolkit validate          # sjekk filene
      toolkit build             # lag hele pakken i mappen «ut»
      toolkit letters --to jd   # bare brevet til Justisdepartementet
    """


class _PipeSafeOutput(io.RawIOBase):
    """A standard stream's file descriptor on which a reader that stopped reading (`toolkit build | head -1`)
    makes the rest of the output vanish instead of stopping the command: the work goes on, and a
    failure still ends the process with its exit code."""

    def __init__(self, fd: int):
        super().__init__()
        self.fd = fd
        self.broken = False

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return os.isatty(self.fd)

    def fileno(self) -> int:
        return self.fd

    def write(self, data) -> int:
        if not self.broken:
            try:
                return os.write(self.fd, data)
            except BrokenPipeError:
                self.broken = True
        return len(data)


def _pipe_safe(stream):
    """``stream`` (sys.stdout or sys.stderr) made safe against a closed pipe, when it is one."""
    try:
        if stream is None or stream.isatty():
            return stream
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return stream
    stream.flush()
    return io.TextIOWrapper(io.BufferedWriter(_PipeSafeOutput(fd)), encoding=stream.encoding, errors=stream.errors,
                            line_buffering=stream.line_buffering, write_through=True)


def main() -> None:
    sys.stdout, sys.stderr = _pipe_safe(sys.stdout), _pipe_safe(sys.stderr)
    cli(prog_name="toolkit")
