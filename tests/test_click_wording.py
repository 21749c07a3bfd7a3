"""toolkit/cli/errors.py re-words click's English usage errors by reading click's sentences. This test makes
click produce each sentence the module knows and fails loudly, naming the sentence, when a click release
words one differently: then update the patterns in toolkit/cli/errors.py and the click pin in pyproject.toml."""

from __future__ import annotations

from importlib.metadata import version

import click
import pytest
from click.testing import CliRunner

from toolkit.cli.errors import _option_usage, _usage_message, _value_message

CHANGED = "click {version} words this error differently: update toolkit/cli/errors.py and the pin in pyproject.toml"


def _conversion_message(param_type: click.ParamType, value: str) -> str:
    with pytest.raises(click.BadParameter) as caught:
        param_type.convert(value, None, None)
    return caught.value.message


@pytest.mark.parametrize(
    ("param_type", "value", "expected"),
    [
        (click.INT, "tre", "«tre» er ikke et heltall."),
        (click.FLOAT, "mye", "«mye» er ikke et tall."),
        (click.IntRange(1, 5), "9", "9 går ikke: tallet må være fra 1 til 5."),
        (click.IntRange(min=1), "0", "0 går ikke: tallet må være minst 1."),
        (click.Choice(["ja", "nei"]), "kanskje", "«kanskje» er ikke et av valgene. Velg en av disse: ja, nei."),
        (click.Path(exists=True), "/finnes/ikke/her", "«/finnes/ikke/her» finnes ikke."),
        (click.Path(dir_okay=False), "/", "«/» er en mappe; her trengs en fil."),
    ],
)
def test_clicks_conversion_errors_are_still_the_sentences_the_toolkit_rewords(param_type, value, expected):
    message = _conversion_message(param_type, value)
    param = click.Option(["--x"], type=param_type)
    assert _value_message(message, param) == expected, CHANGED.format(version=version("click")) + f": {message!r}"


def _usage_error(args: list[str]) -> click.UsageError:
    @click.command()
    @click.option("--name")
    @click.option("--flag", is_flag=True)
    def command(name, flag):
        pass

    result = CliRunner().invoke(command, args, standalone_mode=False)
    assert isinstance(result.exception, click.UsageError), result.exception
    return result.exception


def test_clicks_option_and_argument_errors_are_still_the_sentences_the_toolkit_rewords():
    missing_value = _usage_error(["--name"])
    assert _option_usage(missing_value) == "Valget «--name» må ha en verdi etter seg.", CHANGED.format(
        version=version("click")) + f": {missing_value.message!r}"
    flag_value = _usage_error(["--flag=ja"])
    assert _option_usage(flag_value) == "Valget «--flag» tar ingen verdi.", CHANGED.format(
        version=version("click")) + f": {flag_value.message!r}"
    extra = _usage_error(["ekstra"])
    assert _usage_message(extra.message) == "Uventet argument: «ekstra». Kommandoen tar ikke imot det.", CHANGED.format(
        version=version("click")) + f": {extra.message!r}"
    extras = _usage_error(["en", "to"])
    assert _usage_message(extras.message).startswith("Uventede argumenter: «en to»"), CHANGED.format(
        version=version("click")) + f": {extras.message!r}"
