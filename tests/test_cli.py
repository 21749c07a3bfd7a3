"""The command line explains itself: every command has help with an example, and --version works."""

from __future__ import annotations

import subprocess
import sys

from toolkit import __version__
from toolkit.cli import cli

from helpers import run


def all_commands(group, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if hasattr(command, "commands"):
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
