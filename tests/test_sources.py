"""Reading YAML: libyaml's parser and the Python one give the same data, lines and messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from toolkit.core.errors import Problems
from toolkit.core.sources import LineDict, LineList, _FastLineLoader, _LineLoader, load_yaml


def with_lines(value):
    """The loaded value with every remembered line number, for comparing two loads."""
    if isinstance(value, LineDict):
        return ("map", value.line, dict(value.lines), {key: with_lines(item) for key, item in value.items()})
    if isinstance(value, LineList):
        return ("list", value.line, list(value.lines), [with_lines(item) for item in value])
    return value


@pytest.mark.parametrize("name", sorted(p.name for p in ROOT.glob("*.yaml")) + ["tests/bad_inputs.yaml"])
def test_libyaml_and_python_loaders_agree_on_data_and_lines(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert _FastLineLoader is not _LineLoader and issubclass(_FastLineLoader, yaml.CSafeLoader)
    fast = with_lines(yaml.load(text, Loader=_FastLineLoader))  # noqa: S506 - SafeLoader subclasses
    assert fast == with_lines(yaml.load(text, Loader=_LineLoader))  # noqa: S506
    assert fast[0] == "map" and fast[3]


@pytest.mark.parametrize("source, line, words", [
    ('a: 1\nb: "ikke lukket\nc: 3\n', 2, "YAML-feil"),
    ("a: 1\n  b: 2\n", 2, "mapping values are not allowed here"),
    ("a: [1, 2\nb: 3\n", 1, "YAML-feil"),
    ("? [1, 2]\n: x\n", 1, "en nøkkel må være enkel tekst"),
])
def test_errors_are_worded_by_the_python_parser(tmp_path: Path, source, line, words):
    path = tmp_path / "campaign.yaml"
    path.write_text(source, encoding="utf-8")
    problems = Problems()
    assert load_yaml(path, problems, "campaign.yaml") is None
    [error] = problems.errors
    assert error.line == line and words in error.message
    try:
        yaml.load(source, Loader=_LineLoader)  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        assert (exc.problem or exc.context).strip() in error.message
    else:
        pytest.fail("the Python parser accepted broken YAML")
