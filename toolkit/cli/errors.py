"""click's usage errors, re-worded in Norwegian.

click builds its messages with gettext from the user's locale, and ships no Norwegian catalogue; a catalogue
of our own would only be used if the user's LANGUAGE/LANG said Norwegian. So the common errors are re-worded
here from the fields click puts on its exceptions (the option, the parameter, the suggestions). Where click
keeps the bad value only in its English sentence (a type's conversion error), the value is read back out of
that sentence; a sentence not recognised here is shown as click wrote it, after a Norwegian "Feil:".
Imported only when an error happens, so that `toolkit --help` does not load it.

Library modules are imported inside the commands, so that start-up (`toolkit --help`) stays fast.
"""

from __future__ import annotations

import re
from difflib import get_close_matches

import click
from click.exceptions import BadOptionUsage, MissingParameter, NoSuchCommand, NoSuchOption


class NorwegianError(click.ClickException):
    """A click error in Norwegian, shown the way click shows it: for a usage error the usage line and where
    to find help first, then "Feil: …"; the exit code is the one click gave (2 for a usage error)."""

    def __init__(self, message: str, ctx: click.Context | None = None, exit_code: int = 1):
        super().__init__(message)
        self.ctx = ctx
        # click types exit_code as a class variable; this error carries the code of the error it re-words.
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file=None) -> None:
        color = self.ctx.color if self.ctx is not None else None
        if self.ctx is not None:
            hint = ""
            command = self.ctx.command
            if command.get_help_option(self.ctx) is not None:
                help_name = max(command.get_help_option_names(self.ctx), key=len)
                hint = f"Se «{self.ctx.command_path} {help_name}» for hjelp.\n"
            click.echo(f"{self.ctx.get_usage()}\n{hint}", file=file, err=True, color=color)
        click.echo(f"Feil: {self.message}", file=file, err=True, color=color)


def in_norwegian(exc: click.ClickException) -> click.ClickException:
    """The error to show instead of click's: the same error, worded in Norwegian."""
    if isinstance(exc, NorwegianError):
        return exc
    ctx = exc.ctx if isinstance(exc, click.UsageError) else None
    return NorwegianError(_message(exc, ctx), ctx, exc.exit_code)


def _message(exc: click.ClickException, ctx: click.Context | None) -> str:
    if isinstance(exc, NoSuchOption):
        return f"Ukjent valg: «{exc.option_name}».{_did_you_mean(exc.possibilities)}"
    if isinstance(exc, NoSuchCommand):
        # click suggests only among the commands loaded so far; ours are loaded lazily, so ask for all.
        known = ctx.command.list_commands(ctx) if ctx is not None and isinstance(ctx.command, click.Group) else []
        return f"Ukjent kommando: «{exc.command_name}».{_did_you_mean(get_close_matches(exc.command_name, known))}"
    if isinstance(exc, MissingParameter):
        return _missing(exc, ctx)
    if isinstance(exc, click.BadParameter):
        hint = _param_hint(exc, ctx)
        message = _value_message(exc.message, exc.param)
        return f"Ugyldig verdi for {hint}: {message}" if hint else f"Ugyldig verdi: {message}"
    if isinstance(exc, BadOptionUsage):
        return _option_usage(exc)
    return _usage_message(exc.message)


def _did_you_mean(possibilities) -> str:
    if not possibilities:
        return ""
    quoted = [f"«{name}»" for name in sorted(possibilities)]
    return f" Mente du {quoted[0]}?" if len(quoted) == 1 else f" Mente du en av disse: {', '.join(quoted)}?"


def _names(param: click.Parameter, ctx: click.Context | None) -> str:
    # click's stubs want a Context, but make_metavar works without one (an error raised outside a command).
    names = param.opts if isinstance(param, click.Option) else [param.make_metavar(ctx)]  # type: ignore[arg-type]
    return " / ".join(f"«{name}»" for name in names)


def _param_hint(exc: click.BadParameter, ctx: click.Context | None) -> str:
    if exc.param_hint is not None:
        hints = [exc.param_hint] if isinstance(exc.param_hint, str) else list(exc.param_hint)
        return " / ".join(f"«{hint.strip(chr(39))}»" for hint in hints)
    return _names(exc.param, ctx) if exc.param is not None else ""


def _missing(exc: MissingParameter, ctx: click.Context | None) -> str:
    param = exc.param
    kind = exc.param_type or (param.param_type_name if param is not None else None)
    names = f" {_param_hint(exc, ctx)}" if (exc.param_hint is not None or param is not None) else ""
    lead = {"argument": "Mangler argumentet", "option": "Mangler valget"}.get(kind or "", "Mangler")
    message = f"{lead}{names}."
    if exc.message:
        message += f" {exc.message}"
    if param is not None and isinstance(param.type, click.Choice):
        message += f" Velg en av disse: {', '.join(map(str, param.type.choices))}."
    return message


_QUOTED = r"(?P<q>['\"])(?P<value>.*)(?P=q)"
_PATH = rf"(?:File|Directory|Path) {_QUOTED}"
_VALUE_MESSAGES = [
    (rf"{_QUOTED} is not a valid integer(?: range)?\.", "«{value}» er ikke et heltall."),
    (rf"{_QUOTED} is not a valid float(?: range)?\.", "«{value}» er ikke et tall."),
    (rf"{_PATH} does not exist\.", "«{value}» finnes ikke."),
    (rf"{_PATH} is a file\.", "«{value}» er en fil; her trengs en mappe."),
    (rf"{_PATH} is a directory\.", "«{value}» er en mappe; her trengs en fil."),
    (rf"{_PATH} is not readable\.", "Verktøyet får ikke lese «{value}»."),
]


def _value_message(message: str, param: click.Parameter | None) -> str:
    """A type's conversion error in Norwegian; anything else (our own messages are Norwegian) unchanged."""
    kind = param.type if param is not None else None
    if isinstance(kind, click.Choice) and (match := re.fullmatch(rf"{_QUOTED} is not (?:one of )?.*\.", message)):
        return f"«{match['value']}» er ikke et av valgene. Velg en av disse: {', '.join(map(str, kind.choices))}."
    if isinstance(kind, (click.IntRange, click.FloatRange)) and (
        match := re.fullmatch(r"(?P<value>.*) is not in the range .*\.", message)
    ):
        if kind.min is not None and kind.max is not None:
            allowed = f"fra {kind.min} til {kind.max}"
        elif kind.min is not None:
            allowed = f"minst {kind.min}"
        else:
            allowed = f"høyst {kind.max}"
        return f"{match['value']} går ikke: tallet må være {allowed}."
    for pattern, wording in _VALUE_MESSAGES:
        if match := re.fullmatch(pattern, message):
            return wording.format(value=match["value"])
    return message


def _option_usage(exc: BadOptionUsage) -> str:
    name = exc.option_name
    if re.fullmatch(r"Option .* requires an argument\.", exc.message):
        return f"Valget «{name}» må ha en verdi etter seg."
    if match := re.fullmatch(r"Option .* requires (?P<count>\d+) arguments\.", exc.message):
        return f"Valget «{name}» må ha {match['count']} verdier etter seg."
    if re.fullmatch(r"Option .* does not take a value\.", exc.message):
        return f"Valget «{name}» tar ingen verdi."
    return exc.message


def _usage_message(message: str) -> str:
    # click joins the extra arguments with spaces, so they are quoted together, not split again.
    if match := re.fullmatch(r"Got unexpected extra argument \((?P<args>.*)\)", message):
        return f"Uventet argument: «{match['args']}». Kommandoen tar ikke imot det."
    if match := re.fullmatch(r"Got unexpected extra arguments \((?P<args>.*)\)", message):
        return f"Uventede argumenter: «{match['args']}». Kommandoen tar ikke imot dem."
    if message == "Missing command.":
        return "Mangler kommando."
    return message
