"""Loading and validating the campaign folder: the shipped data, Excel's CSV, and every kind of error."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import mp_row, read_rows, run, write_rows

from toolkit.core.campaign import load_recipients
from toolkit.core.errors import Problems
from toolkit.validate import check_campaign


def errors_of(folder):
    campaign, problems = check_campaign(folder, date(2026, 11, 25))
    return campaign, problems.errors


def test_shipped_campaign_is_valid(campaign_dir):
    campaign, errors = errors_of(campaign_dir)
    assert errors == []
    assert len(campaign.demands) == 5
    assert [d.number for d in campaign.demands] == [1, 2, 3, 4, 5]
    ministries = [r for r in campaign.recipients if r.kind == "ministry"]
    assert len(ministries) == 17
    assert {"JUSTIS", "UFK", "KOMMFORV"} <= {c for r in campaign.recipients for c in r.committees}
    # Every fact a demand cites exists and names its source.
    for demand in campaign.demands:
        assert demand.facts and demand.arguments
        for fact_id in demand.facts:
            assert campaign.facts[fact_id].source
    # Nothing shipped claims a verified address.
    assert not any(r.email_verified for r in campaign.recipients)


def test_excel_csv_with_semicolons_cp1252_trailing_spaces_and_empty_rows(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    rows.append(mp_row())
    text = ";".join(f" {column} " for column in rows[0]) + "\r\n"
    for row in rows:
        text += ";".join(f'"{value}"' if ";" in value else value for value in row.values()) + "\r\n"
    text += ";" * (len(rows[0]) - 1) + "\r\n" + "\r\n"
    (campaign_dir / "recipients.csv").write_bytes(text.encode("cp1252"))
    campaign, errors = errors_of(campaign_dir)
    assert errors == []
    mp = next(r for r in campaign.recipients if r.id == "mp-test")
    assert mp.name == "Åse Ærlig-Øvrebø"
    assert mp.county == "Øs"
    assert mp.row == len(rows) + 1


def test_utf8_bom_csv(campaign_dir):
    path = campaign_dir / "recipients.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    _, errors = errors_of(campaign_dir)
    assert errors == []


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"id": "jd"}, "id", "brukt før"),
        ({"id": "Ugyldig id"}, "id", "ugyldig"),
        ({"kind": "konge"}, "kind", "Ukjent type"),
        ({"email": "ikke-en-adresse"}, "email", "ikke en gyldig e-postadresse"),
        ({"email_verified": "kanskje"}, "email_verified", "verken ja eller nei"),
        ({"verified_on": "i fjor"}, "verified_on", "ikke en dato"),
        ({"language": "sv"}, "language", "Ukjent språk"),
        ({"name": "Ola\r\nBcc: alle@example.org"}, "name", "linjeskift"),
    ],
)
def test_recipient_errors_name_row_and_field(campaign_dir, change, field, words):
    path = campaign_dir / "recipients.csv"
    rows = read_rows(path)
    rows.append(mp_row(**change))
    write_rows(path, rows)
    _, errors = errors_of(campaign_dir)
    matching = [e for e in errors if e.field == field]
    assert matching, errors
    assert matching[0].file == "recipients.csv"
    assert matching[0].row == len(rows) + 1
    assert words in matching[0].message


def test_all_problems_reported_in_one_run(campaign_dir):
    path = campaign_dir / "recipients.csv"
    rows = read_rows(path)
    rows.append(mp_row(id="mp-a", email="feil"))
    rows.append(mp_row(id="mp-b", kind="ukjent"))
    write_rows(path, rows)
    demands = campaign_dir / "demands.yaml"
    demands.write_text(demands.read_text(encoding="utf-8").replace("[UD]", "[UTD]", 1), encoding="utf-8")
    _, errors = errors_of(campaign_dir)
    fields = {(e.file, e.field) for e in errors}
    assert ("recipients.csv", "email") in fields
    assert ("recipients.csv", "kind") in fields
    assert ("demands.yaml", "ministries") in fields


def test_missing_column_and_binary_file(campaign_dir, tmp_path):
    problems = Problems()
    (tmp_path / "r.csv").write_text("id;name\njd;Justis\n", encoding="utf-8")
    assert load_recipients(tmp_path / "r.csv", problems) == ()
    assert any(e.field is None and "«kind» mangler" in e.message for e in problems.errors)
    problems = Problems()
    (tmp_path / "b.csv").write_bytes(b"PK\x03\x04\x00\x00binary")
    load_recipients(tmp_path / "b.csv", problems)
    assert "binær" in problems.errors[0].message


def test_yaml_syntax_error_names_the_line(campaign_dir):
    path = campaign_dir / "campaign.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "  feil: [uten slutt")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, errors = errors_of(campaign_dir)
    assert errors[0].file == "campaign.yaml"
    assert errors[0].line is not None and 4 <= errors[0].line <= 6


def test_wrong_types_and_period(campaign_dir):
    path = campaign_dir / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("start: 2026-11-25", "start: 2026-12-25", 1)
    path.write_text(text, encoding="utf-8")
    _, errors = errors_of(campaign_dir)
    assert any(e.field == "period.end" and "før starten" in e.message for e in errors), errors


def test_password_in_campaign_file_is_refused(campaign_dir):
    path = campaign_dir / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("smtp:\n", "smtp:\n  password: hemmelig\n", 1), encoding="utf-8")
    _, errors = errors_of(campaign_dir)
    assert any(e.field == "smtp.password" for e in errors)


def test_template_unknown_variable_and_syntax_error(campaign_dir):
    template = campaign_dir / "letter_templates" / "nb" / "letter_ministry.j2"
    template.write_text(template.read_text(encoding="utf-8") + "{{ mottaker.navn }}\n", encoding="utf-8")
    other = campaign_dir / "letter_templates" / "nb" / "letter_committee.j2"
    other.write_text(other.read_text(encoding="utf-8") + "{% if %}\n", encoding="utf-8")
    _, errors = errors_of(campaign_dir)
    unknown = [e for e in errors if "mottaker" in e.message]
    assert unknown and unknown[0].file.endswith("letter_ministry.j2") and unknown[0].line
    syntax = [e for e in errors if e.file.endswith("letter_committee.j2")]
    assert syntax and syntax[0].line


def test_stale_recipient_data_is_a_warning(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    rows.append(mp_row(verified_on="2025-01-01"))
    write_rows(campaign_dir / "recipients.csv", rows)
    campaign, problems = check_campaign(campaign_dir, date(2026, 11, 25))
    assert not problems.errors
    assert any(w.field == "verified_on" and "Åse" in w.message for w in problems.warnings)


def test_validate_command_exit_codes(campaign_dir):
    ok = run("validate", "--campaign", str(campaign_dir))
    assert ok.exit_code == 0, ok.output
    assert "Alt i orden" in ok.output
    rows = read_rows(campaign_dir / "recipients.csv")
    rows.append(mp_row(email="x@"))
    write_rows(campaign_dir / "recipients.csv", rows)
    bad = run("validate", "--campaign", str(campaign_dir))
    assert bad.exit_code == 2
    assert "recipients.csv, rad" in bad.output and "felt «email»" in bad.output
    assert "Traceback" not in bad.output


def test_missing_campaign_folder(tmp_path):
    result = run("build", "--campaign", str(tmp_path / "finnes-ikke"))
    assert result.exit_code != 0
    assert "campaign.yaml" in result.output
    assert "Traceback" not in result.output


def test_unquoted_times_in_the_sending_window(campaign_dir):
    # YAML reads an unquoted 18:00 as the base-60 number 1080; it must still mean 18:00.
    path = campaign_dir / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('end: "18:00"', "end: 18:00"), encoding="utf-8")
    campaign, errors = errors_of(campaign_dir)
    assert errors == []
    assert campaign.smtp.window.end == "18:00"


def test_load_campaign_is_complete_without_validation(campaign_dir):
    # The posts and the op-eds come with the campaign (read on first use), not from a validation run.
    from toolkit.core.model import PostCalendar
    from toolkit.load import load_campaign
    from toolkit.opeds.pieces import OpedSetup

    problems = Problems()
    campaign = load_campaign(campaign_dir, problems)
    assert campaign is not None
    before = len(problems.items)
    assert "calendar" in campaign._loaders and "opeds" in campaign._loaders  # nothing read yet
    calendar = campaign.calendar
    assert isinstance(calendar, PostCalendar) and len(calendar.posts) > 20
    setup = campaign.opeds
    assert isinstance(setup, OpedSetup) and setup.pieces and setup.outlets and setup.lengths
    assert campaign.calendar is calendar and campaign.opeds is setup  # read once
    assert not campaign._loaders
    assert not problems.errors and len(problems.items) >= before


def test_load_campaign_records_a_posts_problem_when_the_posts_are_read(campaign_dir):
    from toolkit.load import load_campaign

    posts = campaign_dir / "posts.yaml"
    text = posts.read_text(encoding="utf-8").replace("    title: Kampanjen åpner\n", "    tittel: Kampanjen åpner\n", 1)
    posts.write_text(text, encoding="utf-8")
    problems = Problems()
    campaign = load_campaign(campaign_dir, problems)
    assert campaign is not None
    assert not [p for p in problems.items if p.file == "posts.yaml"]
    assert campaign.calendar is not None  # read now, with the post's problems
    assert [p for p in problems.items if p.file == "posts.yaml"]


def test_campaign_without_posts_or_opeds_gives_none(campaign_dir):
    from toolkit.load import load_campaign

    (campaign_dir / "posts.yaml").unlink()
    (campaign_dir / "outlets.csv").unlink()
    problems = Problems()
    campaign = load_campaign(campaign_dir, problems)
    assert campaign is not None
    campaign.config.pop("opeds", None)
    assert campaign.calendar is None and campaign.opeds is None
