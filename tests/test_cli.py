"""The command line explains itself: every command has help with an example, and --version works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from helpers import run

from toolkit import __version__
from toolkit.cli import COMMANDS, ToolkitGroup, cli

ROOT = Path(__file__).resolve().parent.parent


def all_commands(group, prefix=()):
    """Every command and subcommand, loading the lazily registered ones."""
    ctx = click.Context(group, info_name="toolkit")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


def test_every_command_has_help_with_an_example():
    for path, command in all_commands(cli):
        result = run(*path, "--help")
        assert result.exit_code == 0, path
        assert command.help, f"{' '.join(path)} has no help text"
        if not hasattr(command, "commands"):
            assert "Eksempel" in result.output, f"{' '.join(path)} --help has no example"


def test_top_level_help_and_version():
    result = run("--help")
    assert result.exit_code == 0 and "Eksempel" in result.output
    assert run("--version").output.strip() == f"toolkit {__version__}"


CLICK_ENGLISH = ("Usage:", "Options:", "Commands:", "Arguments:", "Show this message", "Show the version", "[OPTIONS]",
                 "COMMAND [ARGS]", "[default", "[required]", "DIRECTORY", "Error", "Try '")


def toolkit(*args: str):
    """Run the CLI in-process under the name users type."""
    return CliRunner().invoke(cli, list(args), prog_name="toolkit", catch_exceptions=False)


def test_every_help_is_norwegian_including_the_words_click_adds():
    paths = [()] + [path for path, _ in all_commands(cli)]
    for path in paths:
        output = toolkit(*path, "--help").output
        assert "Bruk: toolkit" in output and "\nValg:\n" in output, path
        assert "-h, --help" in output and "Vis denne hjelpen og avslutt." in output, path
        assert not [word for word in CLICK_ENGLISH if word in output], (path, output)
        command = cli if not path else dict(all_commands(cli))[path]
        if isinstance(command, click.Group):
            assert "\nKommandoer:\n" in output and "KOMMANDO [ARGUMENTER]..." in output, path
        else:
            assert f"Bruk: toolkit {' '.join(path)} [VALG]" in output, path
    assert "-V, --version  Vis versjonsnummeret og avslutt." in toolkit("--help").output


def usage_error(*args: str):
    """Run the CLI with a usage mistake: exit code 2, no traceback, nothing in click's English."""
    result = toolkit(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not [word for word in CLICK_ENGLISH if word in result.output], result.output
    return result.output


def test_an_unknown_option_is_named_in_norwegian_with_the_usage_and_where_to_find_help():
    output = usage_error("validate", "--date", "2026-11-25")
    assert output.splitlines() == [
        "Bruk: toolkit validate [VALG]",
        "Se «toolkit validate --help» for hjelp.",
        "",
        "Feil: Ukjent valg: «--date».",
    ]
    assert usage_error("--campain", ".").splitlines()[-1] == "Feil: Ukjent valg: «--campain»."
    assert usage_error("send", "--yess").splitlines()[-1] == "Feil: Ukjent valg: «--yess». Mente du «--yes»?"


def test_a_misspelt_command_gets_the_norwegian_message_and_clicks_suggestion():
    assert usage_error("valdate").splitlines()[-1] == "Feil: Ukjent kommando: «valdate». Mente du «validate»?"
    assert usage_error("recipients", "lst").splitlines()[-1] == "Feil: Ukjent kommando: «lst». Mente du «list»?"
    assert usage_error("brev").splitlines()[-1] == "Feil: Ukjent kommando: «brev»."
    # The suggestion does not depend on which commands happen to be loaded already.
    unloaded = ToolkitGroup(name=cli.name, help=cli.help, params=cli.params, context_settings=cli.context_settings)
    result = CliRunner().invoke(unloaded, ["sned"], prog_name="toolkit")
    assert result.exit_code == 2 and result.output.splitlines()[-1] == "Feil: Ukjent kommando: «sned». Mente du «send»?"


@pytest.mark.parametrize(("args", "message"), [
    (["letters", "--date", "25.11.2026"],
     "Ugyldig verdi for «--date»: «25.11.2026» er ikke en dato; skriv den som 2026-11-25."),
    (["send", "--security", "tls"],
     "Ugyldig verdi for «--security»: «tls» er ikke et av valgene. Velg en av disse: starttls, ssl, none."),
    (["init", "ny-kampanje", "--year", "1999"], "Ugyldig verdi for «--year»: 1999 går ikke: tallet må være fra 2000 til 2100."),
    (["send", "--rate", "mange"], "Ugyldig verdi for «--rate»: «mange» er ikke et heltall."),
    (["send", "--smtp-port", "tjuefem"], "Ugyldig verdi for «--smtp-port»: «tjuefem» er ikke et heltall."),
    (["letters", "--supporters", "finnes-ikke.csv"], "Ugyldig verdi for «--supporters»: «finnes-ikke.csv» finnes ikke."),
    (["validate", "ekstra"], "Uventet argument: «ekstra». Kommandoen tar ikke imot det."),
    (["validate", "æ", "ø"], "Uventede argumenter: «æ ø». Kommandoen tar ikke imot dem."),
    (["letters", "--to"], "Valget «--to» må ha en verdi etter seg."),
    (["send", "--send=ja"], "Valget «--send» tar ingen verdi."),
])
def test_invalid_values_are_explained_in_norwegian(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert usage_error(*args).splitlines()[-1] == f"Feil: {message}"
    assert list(tmp_path.iterdir()) == []


def test_a_usage_error_in_a_real_process_exits_2_with_the_norwegian_message_on_stderr(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "toolkit", "validate", "--date", "2026-11-25"],
                            capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == "Feil: Ukjent valg: «--date»." and "Traceback" not in result.stderr


def probe_group():
    """A toolkit group with a command that has what no toolkit command has yet: a required argument, a
    required choice, and errors raised from inside the command."""
    group = ToolkitGroup(name="toolkit")

    @group.command("probe")
    @click.argument("navn")
    @click.option("--farge", type=click.Choice(["rød", "blå"]), required=True)
    @click.option("--stopp", type=click.Choice(["avbryt", "feil"]))
    def probe(navn, farge, stopp):
        """Probe."""
        if stopp == "avbryt":
            raise click.Abort()
        if stopp == "feil":
            raise click.ClickException("filen «æøå.csv» kunne ikke åpnes")
        click.echo(f"{navn} {farge}")

    return group


@pytest.mark.parametrize(("args", "code", "last_line"), [
    (["probe"], 2, "Feil: Mangler argumentet «NAVN»."),
    (["probe", "Åse"], 2, "Feil: Mangler valget «--farge». Velg en av disse: rød, blå."),
    (["probe", "Åse", "--farge", "rød", "--stopp", "avbryt"], 1, "Avbrutt."),
    (["probe", "Åse", "--farge", "rød", "--stopp", "feil"], 1, "Feil: filen «æøå.csv» kunne ikke åpnes"),
    (["probe", "Åse", "--farge", "blå"], 0, "Åse blå"),
])
def test_missing_values_aborts_and_errors_from_inside_a_command_are_norwegian(args, code, last_line):
    result = CliRunner().invoke(probe_group(), args, prog_name="toolkit")
    assert result.exit_code == code and result.output.splitlines()[-1] == last_line, result.output
    assert not [word for word in CLICK_ENGLISH + ("Aborted",) if word in result.output], result.output
    assert ("Bruk: toolkit probe [VALG] NAVN" in result.output) == (code == 2)


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from toolkit.cli import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'docx', 'babel', 'jinja2', 'yagmail', 'icalendar', 'yaml') if m in sys.modules]\n"
        "print('heavy=' + ','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "heavy="


def test_every_command_is_listed_for_lazy_loading():
    names = cli.list_commands(click.Context(cli))
    assert names == sorted(COMMANDS), "register new commands in toolkit.cli.COMMANDS, not with cli.add_command"
    for name in names:
        assert cli.get_command(click.Context(cli), name).name == name


def test_listed_summaries_are_the_commands_own():
    """The summaries `toolkit --help` shows without loading the commands are the commands' first paragraphs."""
    for name, (_, summary) in COMMANDS.items():
        command = cli.get_command(click.Context(cli), name)
        for limit in (30, 45, 60, 74, 120):
            assert click.Command(name, help=summary).get_short_help_str(limit) == command.get_short_help_str(limit), name
        first_paragraph = command.help.split("\n\n")[0]
        assert " ".join(summary.split()) == " ".join(first_paragraph.split()), name


def test_help_listing_without_the_commands_is_what_click_shows_with_them():
    for name in COMMANDS:
        cli.get_command(click.Context(cli), name)
    unloaded = ToolkitGroup(name=cli.name, help=cli.help, params=cli.params, context_settings=cli.context_settings)
    assert unloaded.commands == {}
    for width in (50, 80, 120, 200):
        def help_text(group, width=width):
            return group.get_help(click.Context(group, info_name="toolkit", terminal_width=width, max_content_width=width,
                                                 **group.context_settings))

        assert help_text(unloaded) == help_text(cli)
        assert unloaded.commands == {}, "the listing loaded a command"
    assert "validate    Sjekk kampanjefilene og vis alle problemer på én gang." in help_text(unloaded)


def test_help_imports_nothing_but_what_click_itself_needs():
    """`toolkit --help` and `toolkit` alone load the same modules as a bare click group does, plus toolkit.cli;
    a command's own help adds only its module (and pathlib, for the --campaign option's type)."""
    bare = textwrap.dedent("""
        import json, sys, click

        if sys.argv[1:2] == ["validate"]:
            import pathlib

        @click.group(context_settings={"help_option_names": ["-h", "--help"]})
        @click.version_option("0", "--version", "-V")
        def group():
            "Help."

        @group.command()
        @click.option("--campaign", type=click.Path())
        def validate(campaign):
            "Help."

        try:
            group(sys.argv[1:], prog_name="toolkit")
        except SystemExit:
            pass
        print(json.dumps(sorted(sys.modules)))
    """)
    ours = textwrap.dedent("""
        import json, sys
        from toolkit.cli import cli

        try:
            cli(sys.argv[1:], prog_name="toolkit")
        except SystemExit:
            pass
        print(json.dumps(sorted(sys.modules)))
    """)

    # -S: no .pth files, whose imports (an editable install's finder imports pathlib and re) would hide ours.
    path = os.pathsep.join([str(ROOT), str(Path(click.__file__).parent.parent)])

    def modules(code, *args):
        result = subprocess.run([sys.executable, "-S", "-c", code, *args], capture_output=True, text=True, check=True,
                                cwd=ROOT, env={"PYTHONPATH": path, "PATH": ""})
        return set(json.loads(result.stdout.strip().splitlines()[-1]))

    for args, allowed in (["--help"], set()), ([], set()), (["validate", "--help"], {"toolkit.cli.pack"}):
        extra = modules(ours, *args) - modules(bare, *args) - {"toolkit", "toolkit.cli"}
        assert extra == allowed, f"toolkit {' '.join(args)} imports {sorted(extra)}: import them inside the commands"



def test_progress_bar_stays_silent_when_stderr_is_not_a_terminal(capsys):
    from toolkit.cli import progress_bar

    with progress_bar(200, "Brev") as bar:
        for _ in range(200):
            bar.update(1)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
