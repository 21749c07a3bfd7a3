"""The bad-input corpus: every case stops with exit code 2, names the place, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import run

CORPUS = yaml.safe_load((Path(__file__).parent / "bad_inputs.yaml").read_text(encoding="utf-8"))["cases"]


def generate(path: Path, kind: str) -> None:
    if kind == "binary":
        path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4)
    elif kind == "big_csv":
        row = b"id,kind,name\n" + b"x,other,Navn Navnesen\n" * (50 * 1024 * 1024 // 22 + 1)
        path.write_bytes(row)
    elif kind == "outside_symlink":
        # A template replaced by a link to a file outside the campaign, whose content must not reach a letter.
        secret = path.parents[3] / "hemmelig.txt"
        secret.write_text("HEMMELIG INNHOLD fra utenfor kampanjen\n", encoding="utf-8")
        path.unlink()
        path.symlink_to(secret)
    elif kind == "nul_byte":
        # A NUL byte pasted into the seventh line (row 7), as copying from another program can leave one.
        lines = path.read_bytes().split(b"\n")
        lines[6] = lines[6][:3] + b"\x00" + lines[6][3:]
        path.write_bytes(b"\n".join(lines))
    elif kind == "huge_cell":
        # A quote never closed: the rest of the row (and the file) becomes one cell of 300,000 characters.
        path.write_bytes(path.read_bytes() + b'ny,other,"Navn uten slutt' + b"x" * 300_000 + b"\r\n")
    elif kind == "cp1252_garbage":
        # Windows-1252 bytes with a kind no one can read: the decoding works, the value does not.
        path.write_bytes(path.read_bytes() + "ny,\xe6\xf8\xe5,Åse,,,,,,,,,,nei,,,,,,,\r\n".encode("cp1252"))
    else:
        raise ValueError(kind)


def apply(case: dict, folder: Path) -> None:
    for name, text in (case.get("write") or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, (old, new) in (case.get("replace") or {}).items():
        text = (folder / name).read_text(encoding="utf-8")
        assert old in text, f"{case['name']}: {old!r} is not in {name}"
        (folder / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    for name, text in (case.get("append") or {}).items():
        with (folder / name).open("a", encoding="utf-8", newline="") as handle:
            handle.write(text)
    for name in case.get("delete") or []:
        (folder / name).unlink()
    for name, kind in (case.get("generate") or {}).items():
        generate(folder / name, kind)


def test_corpus_is_large_and_named_uniquely():
    names = [case["name"] for case in CORPUS]
    assert len(names) >= 40 and len(set(names)) == len(names)


@pytest.mark.parametrize("case", CORPUS, ids=[case["name"] for case in CORPUS])
def test_bad_input(case, campaign_dir):
    apply(case, campaign_dir)
    result = run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output
    assert not (campaign_dir / "ut").exists(), "nothing may be written for invalid input"
    expect = case["expect"]
    lines = [line for line in output.splitlines() if line.startswith("FEIL: ")]
    matching = [line for line in lines if line[6:].startswith(expect["file"]) and expect["says"] in line]
    assert matching, f"no problem in {expect['file']} saying {expect['says']!r}:\n{output}"
    line = matching[0]
    if "line" in expect:
        number = expect["line"]
        lines_of_file = (campaign_dir / expect["file"]).read_text(encoding="utf-8").splitlines()
        if number == "last":
            number = len(lines_of_file)
        elif isinstance(number, dict):  # {at: text}: the first line holding the text, wherever edits moved it
            number = next(i for i, text in enumerate(lines_of_file, 1) if number["at"] in text)
        assert f"linje {number}" in line, line
    if "row" in expect:
        assert f"rad {expect['row']}" in line, line
    if "field" in expect:
        assert f"felt «{expect['field']}»" in line, line
