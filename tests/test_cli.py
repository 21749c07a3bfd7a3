"""The command line explains itself: every command has help with an example, and --version works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import click

from toolkit import __version__
from toolkit.cli import COMMANDS, ToolkitGroup, cli

from helpers import run

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
        def help_text(group):
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

    for args, allowed in (["--help"], set()), ([], set()), (["validate", "--help"], {"toolkit.cli_pack"}):
        extra = modules(ours, *args) - modules(bare, *args) - {"toolkit", "toolkit.cli"}
        assert extra == allowed, f"toolkit {' '.join(args)} imports {sorted(extra)}: import them inside the commands"



def test_progress_bar_stays_silent_when_stderr_is_not_a_terminal(capsys):
    from toolkit.cli import progress_bar

    with progress_bar(200, "Brev") as bar:
        for _ in range(200):
            bar.update(1)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
