"""The overviews are also written as .xlsx: frozen header, filters, fitted widths, typed dates, problem rows marked."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone

import openpyxl
from helpers import run

from toolkit.core.excel_out import PROBLEM_FILL, write_table, write_xlsx
from toolkit.send.journal import Journal
from toolkit.send.mailer import export_failures


def open_sheet(path):
    workbook = openpyxl.load_workbook(path)
    assert len(workbook.worksheets) == 1
    return workbook.worksheets[0]


def assert_overview(sheet, header):
    assert [cell.value for cell in sheet[1]] == header
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{sheet.max_row}"
    assert all(cell.font.bold for cell in sheet[1])
    for index, name in enumerate(header, start=1):
        width = sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width
        assert width >= min(len(name), 60), name


def flagged(row) -> bool:
    return row[0].fill.fgColor.rgb == PROBLEM_FILL


def test_build_writes_the_overviews_as_xlsx(campaign_dir):
    result = run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    out = campaign_dir / "ut"

    letters = open_sheet(out / "oversikt-brev.xlsx")
    csv_rows = list(csv.reader(io.StringIO((out / "oversikt-brev.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert_overview(letters, csv_rows[0])
    values = [[cell.value or "" for cell in row] for row in letters.iter_rows(min_row=2)]
    assert values == csv_rows[1:]  # the same rows as the CSV
    for row in letters.iter_rows(min_row=2):
        unverified = bool(row[4].value) and row[5].value == "nei"
        assert flagged(row) == unverified
    assert any(flagged(row) for row in letters.iter_rows(min_row=2))

    plan = open_sheet(out / "opeds" / "plan.xlsx")
    header = [cell.value for cell in plan[1]]
    assert_overview(plan, header)
    days = [row[header.index("dato")].value for row in plan.iter_rows(min_row=2)]
    # openpyxl reads Excel dates as datetime; a piece no outlet could still take has no day to send
    assert days and all(isinstance(day, datetime) for day in days if day is not None) and any(days)
    first_dated = 2 + next(i for i, day in enumerate(days) if day is not None)
    assert plan.cell(row=first_dated, column=header.index("dato") + 1).number_format == "dd.mm.yyyy"
    assert days[first_dated - 2].date() >= date(2026, 11, 25)

    similarity = open_sheet(out / "likhet-brev.xlsx")
    assert_overview(similarity, ["brev", "avsender", "høyeste likhet", "mest lik", "over grensen"])
    scores = [row[2].value for row in similarity.iter_rows(min_row=2)]
    assert scores and all(isinstance(score, (int, float)) for score in scores)
    assert similarity["C2"].number_format == "0.00"


def test_send_failures_as_xlsx_with_utc_times(tmp_path):
    out = tmp_path / "ut"
    out.mkdir()
    clock = lambda: datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)  # noqa: E731
    with Journal.open(out / "send-journal.sqlite", create=True, lock=True, now=clock) as journal:
        journal.add_pending([("<a@example.org>", "jd", "a@example.org", "jd.eml", "h")])
        journal.start_sending("<a@example.org>", "h")
        journal.mark_failed("<a@example.org>", "=550 ukjent mottaker")
        failed, path = export_failures(journal, out)
    sheet = open_sheet(path.with_suffix(".xlsx"))
    assert_overview(sheet, ["mottaker", "adresse", "fil", "status", "forsøk", "feil", "sist forsøkt (UTC)"])
    row = [cell.value for cell in sheet[2]]
    assert row[3] == "feilet" and row[4] == 1 and row[6] == datetime(2026, 11, 25, 9, 30)
    assert row[5] == "=550 ukjent mottaker" and sheet["F2"].data_type == "s"  # text, never a formula
    assert flagged(sheet[2])


def test_streamed_table_matches_its_csv(tmp_path):
    rows = ([f"id-{i}", "2026-11-25" if i % 2 else "", "nei" if i % 3 == 0 else "ja", "=SUM(A1)"] for i in range(500))
    write_table(tmp_path / "x.csv", ["id", "dato", "klar", "notat"], rows, dates=("dato",), problem=lambda r: r[2] == "nei")
    text = (tmp_path / "x.csv").read_text(encoding="utf-8-sig")
    records = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(records) == 501 and records[1][3] == "'=SUM(A1)"
    sheet = open_sheet(tmp_path / "x.xlsx")
    assert sheet.max_row == 501
    assert sheet["B3"].value == datetime(2026, 11, 25) and sheet["B2"].value is None
    assert flagged(sheet[2]) and not flagged(sheet[3])
    assert sheet["D2"].value == "=SUM(A1)" and sheet["D2"].data_type == "s"


def test_width_fits_the_longest_cell(tmp_path):
    write_xlsx(tmp_path / "w.xlsx", ["a", "b"], [["kort", "en ganske mye lengre tekst her"]])
    sheet = open_sheet(tmp_path / "w.xlsx")
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width >= 6


def test_supporters_overview_as_xlsx(campaign_dir, tmp_path):
    import stortinget_data as data
    from helpers import write_rows
    from supporters_data import supporter_rows

    answer = tmp_path / "dagensrepresentanter.xml"
    answer.write_bytes(data.to_xml(data.people()))
    assert run("recipients", "import-stortinget", "--campaign", str(campaign_dir), "--file", str(answer)).exit_code == 0
    rows = supporter_rows(12)
    rows[3]["personal_paragraph"] = ""  # a draft: marked in the overview
    write_rows(tmp_path / "underskrivere.csv", rows, delimiter=";")
    result = run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25", "--supporters", str(tmp_path / "underskrivere.csv"))
    assert result.exit_code == 0, result.output
    sheet = open_sheet(campaign_dir / "ut" / "supporters" / "oversikt-underskrivere.xlsx")
    assert_overview(sheet, ["id", "navn", "e-post", "valgdistrikt", "antall brev", "mappe", "status"])
    by_id = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert len(by_id) == 12
    assert flagged(by_id[rows[3]["id"]]) and by_id[rows[3]["id"]][6].value.startswith("utkast")
    assert not flagged(by_id[rows[0]["id"]]) and isinstance(by_id[rows[0]["id"]][4].value, int)


def test_opeds_status_kept_in_excel_is_updated_there(campaign_dir):
    assert run("opeds", "--campaign", str(campaign_dir), "--date", "2026-11-20").exit_code == 0
    status_csv = campaign_dir / "opeds-status.csv"
    records = list(csv.reader(io.StringIO(status_csv.read_text(encoding="utf-8-sig")), delimiter=";"))
    workbook = openpyxl.Workbook()
    workbook.active.title = "Status"
    workbook.active.append(records[0])
    for record in records[1:]:
        workbook.active.append([date.fromisoformat(record[0])] + record[1:])
    workbook.active.cell(row=2, column=7, value="sendt")  # the organiser records a submission in Excel
    workbook.save(campaign_dir / "opeds-status.xlsx")
    status_csv.unlink()
    result = run("opeds", "--campaign", str(campaign_dir), "--date", "2026-11-20")
    assert result.exit_code == 0, result.output
    assert not status_csv.exists()  # never written beside the workbook
    sheet = open_sheet(campaign_dir / "opeds-status.xlsx")
    assert sheet["G2"].value == "sendt" and isinstance(sheet["A2"].value, datetime)


def test_libreoffice_calc_opens_the_workbooks(campaign_dir, tmp_path):
    """The workbooks are written by the toolkit itself: a spreadsheet program must open them, dates as dates."""
    import os
    import shutil
    import subprocess

    import pytest

    binary = shutil.which("soffice")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is missing in CI: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed here")
    assert run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25").exit_code == 0
    out = campaign_dir / "ut"
    converted = tmp_path / "csv"
    subprocess.run([binary, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(converted),
                    str(out / "opeds" / "plan.xlsx"), str(out / "oversikt-brev.xlsx")],
                   check=True, capture_output=True, timeout=240)
    plan = list(csv.reader(io.StringIO((converted / "plan.csv").read_text(encoding="utf-8"))))
    ours = list(csv.reader(io.StringIO((out / "opeds" / "plan.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert plan[0] == ours[0] and len(plan) == len(ours)
    column = ours[0].index("dato")
    for calc_row, csv_row in zip(plan[1:], ours[1:], strict=True):
        # A date cell is shown as a date in the spreadsheet's own format, not as Excel's serial number.
        assert calc_row[:2] == csv_row[:2]
        if not csv_row[column]:  # a piece no outlet could still take: no day to send
            assert calc_row[column] == ""
            continue
        year, month, day = csv_row[column].split("-")
        assert re.fullmatch(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}", calc_row[column]) and str(int(day)) in calc_row[column]
    letters = list(csv.reader(io.StringIO((converted / "oversikt-brev.csv").read_text(encoding="utf-8"))))
    expected = list(csv.reader(io.StringIO((out / "oversikt-brev.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert letters == expected
