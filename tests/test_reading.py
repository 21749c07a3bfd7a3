"""Reading what organisers save (issue 13's smaller cases): duplicate YAML keys, UTF-16, Excel's sep= line,
NUL bytes, huge cells, a locked output file, a campaign folder that is not there."""

from __future__ import annotations

import errno
import os

import pytest
from helpers import read_rows, run, write_rows

from toolkit.core.campaign import load_recipients
from toolkit.core.errors import OutputError, Problems
from toolkit.core.fsutil import atomic_write_bytes
from toolkit.core.sources import load_yaml


def test_a_yaml_key_written_twice_names_both_lines(tmp_path):
    path = tmp_path / "campaign.yaml"
    path.write_text("year: 2026\noutput: ut\nperiod: {start: 2026-11-25}\noutput: /etc\n", encoding="utf-8")
    problems = Problems()
    assert load_yaml(path, problems, "campaign.yaml") is None
    (problem,) = problems.errors
    assert problem.line == 4
    assert "nøkkelen «output» står to ganger, på linje 2 og linje 4" in problem.message
    assert "bare én verdi kan gjelde" in problem.hint


def test_a_nested_key_written_twice_is_caught_too(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("smtp:\n  host: a\n  port: 587\n  host: b\n", encoding="utf-8")
    problems = Problems()
    load_yaml(path, problems, "c.yaml")
    assert "«host» står to ganger, på linje 2 og linje 4" in problems.errors[0].message


@pytest.mark.parametrize("written", ["2026-13-25", "2026-11-31", "2026-02-29"])
def test_a_date_that_does_not_exist_is_named_on_its_line(tmp_path, written):
    path = tmp_path / "posts.yaml"
    path.write_text(f"posts:\n  - id: a\n    date: {written}\n", encoding="utf-8")
    problems = Problems()
    assert load_yaml(path, problems, "posts.yaml") is None
    (problem,) = problems.errors
    assert problem.line == 3
    assert f"datoen «{written}» finnes ikke" in problem.message
    assert "måneden er 01–12" in problem.hint


def test_a_real_date_is_still_read_as_a_date(tmp_path):
    path = tmp_path / "posts.yaml"
    path.write_text("day: 2028-02-29\nwhen: 2026-12-03 18:00:00\n", encoding="utf-8")
    data = load_yaml(path, Problems(), "posts.yaml")
    assert str(data["day"]) == "2028-02-29" and data["when"].hour == 18


def test_an_impossible_date_in_the_campaign_stops_validate_with_its_line_not_a_crash(campaign_dir):
    posts = campaign_dir / "posts.yaml"
    text = posts.read_text(encoding="utf-8")
    assert "date: 2026-11-25" in text
    posts.write_text(text.replace("date: 2026-11-25", "date: 2026-13-25", 1), encoding="utf-8")
    result = run("validate", "--campaign", str(campaign_dir))
    assert result.exit_code != 0
    assert "datoen «2026-13-25» finnes ikke" in result.output
    assert "Uventet feil" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_unicode_text_from_excel_is_read(campaign_dir, encoding):
    rows = read_rows(campaign_dir / "recipients.csv")
    # Excel's "Unicode Text": UTF-16 with a BOM, tab-separated; also without the BOM.
    write_rows(campaign_dir / "recipients.csv", rows, delimiter="\t", encoding=encoding)
    problems = Problems()
    recipients = load_recipients(campaign_dir / "recipients.csv", problems)
    assert not problems.errors, problems.errors
    assert [r.id for r in recipients] == [row["id"] for row in rows]
    assert any("å" in r.name or "ø" in r.name or "æ" in r.name for r in recipients)


def test_excels_sep_line_is_understood_and_not_counted_as_a_row(campaign_dir):
    path = campaign_dir / "recipients.csv"
    rows = read_rows(path)
    rows[1]["kind"] = "ukjent-type"
    write_rows(path, rows, delimiter=";")
    path.write_bytes(b"sep=;\r\n" + path.read_bytes())
    problems = Problems()
    recipients = load_recipients(path, problems)
    assert len(recipients) == len(rows)
    (problem,) = problems.errors
    # The header is row 1 as Excel shows it (the sep= line is hidden there), so the second data row is row 3.
    assert problem.row == 3 and problem.field == "kind"


def test_a_stray_nul_byte_is_named_on_its_line(campaign_dir):
    path = campaign_dir / "recipients.csv"
    lines = path.read_bytes().split(b"\n")
    lines[6] = lines[6][:5] + b"\x00" + lines[6][5:]
    path.write_bytes(b"\n".join(lines))
    problems = Problems()
    load_recipients(path, problems)
    (problem,) = problems.errors
    assert problem.line == 7 and "Linje 7 har et NUL-tegn" in problem.message


def test_a_huge_cell_gets_a_norwegian_message_on_its_row(campaign_dir):
    path = campaign_dir / "recipients.csv"
    count = len(read_rows(path))
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write('ny,other,"Et navn uten avsluttende anførselstegn' + "x" * 300_000 + "\r\n")
    problems = Problems()
    load_recipients(path, problems)
    (problem,) = problems.errors
    assert problem.row == count + 2
    assert "har mer enn 131 072 tegn" in problem.message and "anførselstegn" in problem.hint
    assert "field larger" not in str(problem)


def test_a_locked_output_file_is_named_not_its_folder(tmp_path, monkeypatch):
    target = tmp_path / "ut" / "letters" / "jd.docx"
    atomic_write_bytes(target, b"gammel")
    real_replace = os.replace

    def locked(source, destination):
        if str(destination) == str(target):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(OutputError) as caught:
        atomic_write_bytes(target, b"ny")
    assert f"Kunne ikke erstatte {target}: filen er låst" in str(caught.value)
    assert target.read_bytes() == b"gammel" and sorted(p.name for p in target.parent.iterdir()) == ["jd.docx"]


@pytest.mark.parametrize("command", ["validate", "build", "letters", "send", "calendar", "opeds"])
def test_a_campaign_folder_that_is_not_there_exits_2(tmp_path, command):
    result = run(command, "--campaign", str(tmp_path / "finnes-ikke"))
    assert result.exit_code == 2, result.output
    assert "finnes ikke" in result.output and "--campaign" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("kept_as", ["csv", "xlsx"])
def test_validate_renders_the_signers_branch_of_the_templates(tmp_path, kept_as):
    """A template error only supporters' letters reach (inside {% if signer %}) stops validate, with its line,
    whether the supporters are kept in supporters.csv or in supporters.xlsx."""
    import stortinget_data as data
    from conftest import copy_campaign
    from supporters_data import supporter_rows

    campaign_dir = copy_campaign(tmp_path / "kampanje")
    answer = tmp_path / "dagensrepresentanter.xml"
    answer.write_bytes(data.to_xml(data.people()))
    assert run("recipients", "import-stortinget", "--campaign", str(campaign_dir), "--file", str(answer)).exit_code == 0
    rows = supporter_rows(4)
    if kept_as == "csv":
        write_rows(campaign_dir / "supporters.csv", rows)
    else:
        import openpyxl

        workbook = openpyxl.Workbook()
        workbook.active.append(list(rows[0]))
        for row in rows:
            workbook.active.append(list(row.values()))
        workbook.save(campaign_dir / "supporters.xlsx")
    template = campaign_dir / "letter_templates" / "nb" / "_letter.j2"
    template.write_text(template.read_text(encoding="utf-8") + "{% if signer %}{{ signer.__class__.__mro__ }}{% endif %}\n",
                        encoding="utf-8")
    line = len(template.read_text(encoding="utf-8").splitlines())
    result = run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 2, result.output
    assert f"letter_templates/nb/_letter.j2, linje {line}: Malen gjør noe sandkassen ikke tillater" in result.output
    assert "brevet fra underskriveren u-0000" in result.output
    assert not (campaign_dir / "ut").exists()
