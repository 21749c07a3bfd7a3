"""Lists kept in Excel (.xlsx) are read like their CSV twins, with problems named as Excel shows them."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import copy_campaign
from helpers import run

from toolkit.core.campaign import load_recipients
from toolkit.core.errors import Problems
from toolkit.core.excel_in import cell_text, column_letter
from toolkit.core.sources import read_csv


def csv_to_xlsx(source: Path, target: Path, *, sheet: str = "Mottakere", title_row: bool = False,
                typed_dates: tuple[str, ...] = (), header_spaces: bool = False) -> None:
    """Save a CSV as a workbook the way a user would: typed dates, a title row, untidy header cells."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.reader(handle))
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    if title_row:
        ws.append(["Mottakere 16 dager 2026"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(records[0]))
    header = records[0]
    ws.append([f" {name.upper()}  " if header_spaces else name for name in header])
    for record in records[1:]:
        cells = []
        for name, value in zip(header, record, strict=True):
            if name in typed_dates and value:
                cells.append(datetime.strptime(value, "%Y-%m-%d"))
            else:
                cells.append(value)
        ws.append(cells)
    for name in typed_dates:
        column = header.index(name) + 1
        for row in ws.iter_rows(min_row=2 + title_row, min_col=column, max_col=column):
            row[0].number_format = "dd.mm.yyyy"
    workbook.save(target)


def letters_of(folder: Path) -> dict[str, bytes]:
    out = folder / "ut" / "letters"
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


def test_column_letters():
    assert [column_letter(i) for i in (1, 6, 26, 27, 52, 703)] == ["A", "F", "Z", "AA", "AZ", "AAA"]


def test_cell_text_as_excel_shows_it():
    assert cell_text(30, "0000") == "0030"  # a postcode stored as a number, shown with its format
    assert cell_text(30, "General", "postnummer") == "0030"  # a postcode column without the format
    assert cell_text(22245000.0) == "22245000"  # a phone number stored as a float
    assert cell_text(datetime(2026, 11, 20)) == "2026-11-20"
    assert cell_text(date(2026, 11, 20)) == "2026-11-20"
    assert cell_text(True) == "ja"
    assert cell_text("  tekst ") == "tekst"
    assert cell_text(None) == ""


def test_shipped_campaign_from_xlsx_gives_the_same_letters(tmp_path):
    from_csv = copy_campaign(tmp_path / "csv")
    from_xlsx = copy_campaign(tmp_path / "xlsx")
    csv_to_xlsx(from_xlsx / "recipients.csv", from_xlsx / "recipients.xlsx", title_row=True,
                typed_dates=("verified_on", "email_verified_on"), header_spaces=True)
    (from_xlsx / "recipients.csv").unlink()
    for folder in (from_csv, from_xlsx):
        result = run("letters", "--campaign", str(folder), "--date", "2026-11-25")
        assert result.exit_code == 0, result.output
    csv_letters, xlsx_letters = letters_of(from_csv), letters_of(from_xlsx)
    assert len(csv_letters) > 10
    assert csv_letters == xlsx_letters


def test_typed_dates_and_untidy_header_read_as_in_csv(tmp_path):
    folder = copy_campaign(tmp_path / "k")
    problems = Problems()
    expected = load_recipients(folder / "recipients.csv", problems)
    csv_to_xlsx(folder / "recipients.csv", folder / "recipients.xlsx", title_row=True,
                typed_dates=("verified_on", "email_verified_on"), header_spaces=True)
    (folder / "recipients.csv").unlink()
    problems = Problems()
    got = load_recipients(folder / "recipients.csv", problems)
    assert not problems.errors, [str(p) for p in problems.errors]
    # Rows are numbered as in Excel: the title row pushes everything one down.
    assert [r.row for r in got] == [r.row + 1 for r in expected]
    assert [(r.id, r.verified_on, r.email_verified_on, r.postal_address) for r in got] == [
        (r.id, r.verified_on, r.email_verified_on, r.postal_address) for r in expected
    ]
    assert any(r.verified_on for r in got)


def test_errors_name_sheet_row_and_column(tmp_path):
    folder = copy_campaign(tmp_path / "k")
    csv_to_xlsx(folder / "recipients.csv", folder / "recipients.xlsx")
    (folder / "recipients.csv").unlink()
    workbook = openpyxl.load_workbook(folder / "recipients.xlsx")
    ws = workbook["Mottakere"]
    header = [cell.value for cell in ws[1]]
    email_column = header.index("email") + 1
    ws.cell(row=14, column=email_column, value="ikke en adresse")
    workbook.save(folder / "recipients.xlsx")
    result = run("validate", "--campaign", str(folder))
    assert result.exit_code == 2
    letter = column_letter(email_column)
    assert (f"recipients.xlsx, ark «Mottakere», rad 14, kolonne {letter} «email»: «ikke en adresse» er ikke en gyldig "
            "e-postadresse.") in result.output
    assert "Traceback" not in result.output


def test_both_csv_and_xlsx_is_an_error_naming_them(tmp_path):
    folder = copy_campaign(tmp_path / "k")
    csv_to_xlsx(folder / "recipients.csv", folder / "recipients.xlsx")
    result = run("validate", "--campaign", str(folder))
    assert result.exit_code == 2
    assert "Både recipients.csv og recipients.xlsx finnes" in result.output
    assert "Fjern (eller flytt) den du ikke bruker: recipients.csv eller recipients.xlsx." in result.output


def test_postcode_phone_and_named_sheet(tmp_path):
    path = tmp_path / "supporters.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notater"
    workbook.active.append(["Dette arket er ikke listen"])
    ws = workbook.create_sheet("Underskrivere")
    ws.append(["id", "Postnummer", "telefon", "merket"])
    ws.append(["kari", 30, 22245000.0, "a"])
    ws.append(["ola", 1234, 4790000000.0, None])
    ws["B2"].number_format = "0000"
    ws.merge_cells("D2:D3")  # a value merged down over two rows counts on both
    workbook.save(path)
    problems = Problems()
    table = read_csv(tmp_path / "supporters.csv", problems, "supporters.csv", ("id",))
    assert not problems.items
    assert table.rows == [
        (2, {"id": "kari", "postnummer": "0030", "telefon": "22245000", "merket": "a"}),
        (3, {"id": "ola", "postnummer": "1234", "telefon": "4790000000", "merket": "a"}),
    ]


def test_missing_column_names_the_sheet(tmp_path):
    path = tmp_path / "outlets.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Aviser"
    workbook.active.append(["id", "name"])
    workbook.active.append(["vg", "VG"])
    workbook.save(path)
    problems = Problems()
    assert read_csv(tmp_path / "outlets.csv", problems, "outlets.csv", ("id", "name", "kind")) is None
    assert [str(p) for p in problems.errors] == [
        "outlets.xlsx, ark «Aviser», rad 1: Kolonnen «kind» mangler. Legg den til i overskriftsraden. "
        "Kolonnene som trengs: id, name, kind."
    ]


@pytest.mark.parametrize("content, words", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "passordbeskyttet"),
    (b"id;name\nvg;VG\n", "ikke en Excel-arbeidsbok"),
])
def test_unreadable_workbook_is_a_clear_error(tmp_path, content, words):
    (tmp_path / "outlets.xlsx").write_bytes(content)
    problems = Problems()
    assert read_csv(tmp_path / "outlets.csv", problems, "outlets.csv", ("id",)) is None
    assert len(problems.errors) == 1 and words in str(problems.errors[0])
    assert str(problems.errors[0]).startswith("outlets.xlsx: ")


def test_supporters_from_a_workbook(campaign_dir, tmp_path):
    import stortinget_data as data
    from supporters_data import supporter_rows

    answer = tmp_path / "dagensrepresentanter.xml"
    answer.write_bytes(data.to_xml(data.people()))
    assert run("recipients", "import-stortinget", "--campaign", str(campaign_dir), "--file", str(answer)).exit_code == 0
    rows = supporter_rows(6)
    workbook = openpyxl.Workbook()
    workbook.active.title = "Underskrivere"
    workbook.active.append(list(rows[0]))
    for row in rows:
        workbook.active.append(list(row.values()))
    workbook.active.cell(row=4, column=3, value="ikke-en-adresse")
    workbook.save(campaign_dir / "supporters.xlsx")
    result = run("validate", "--campaign", str(campaign_dir))
    assert result.exit_code == 2
    assert "supporters.xlsx, ark «Underskrivere», rad 4, kolonne C «email»" in result.output
    workbook.active.cell(row=4, column=3, value=rows[2]["email"])
    workbook.save(campaign_dir / "supporters.xlsx")
    result = run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25", "--supporters", str(campaign_dir / "supporters.xlsx"))
    assert result.exit_code == 0, result.output
    folders = [p for p in (campaign_dir / "ut" / "supporters").iterdir() if p.is_dir()]
    assert sorted(p.name for p in folders) == sorted(row["id"] for row in rows)
