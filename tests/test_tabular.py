"""CSV exports: written row by row, byte for byte what csv_bytes gives, and never half-written."""

from __future__ import annotations

import csv
import io

import pytest

from toolkit.core.tabular import csv_bytes, write_csv

HEADER = ["id", "navn", "merknad"]
ROWS = [
    ["u-1", "Åse Ærlig-Øvrebø", "=SUM(A1)"],
    ["u-2", 'Ola "Nordmann" & <Co>', "to\nlinjer; med semikolon"],
    ["u-3", "", "-1"],
]


@pytest.mark.parametrize("excel", [True, False])
def test_streamed_export_is_what_csv_bytes_gives(tmp_path, excel):
    path = tmp_path / "ut" / "oversikt.csv"
    write_csv(path, HEADER, (row for row in ROWS), excel=excel)  # a generator: rows are written as they come
    data = path.read_bytes()
    assert data == csv_bytes(HEADER, ROWS, excel=excel)
    assert data.startswith(b"\xef\xbb\xbf") == excel
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if excel else ","))
    assert rows[0] == HEADER and rows[1][1] == "Åse Ærlig-Øvrebø" and rows[1][2] == "'=SUM(A1)"
    assert rows[2][2] == "to\nlinjer; med semikolon" and rows[3][2] == "'-1"
    write_csv(path, None, [], excel=excel)
    assert path.read_bytes() == csv_bytes(None, [], excel=excel)


def test_export_that_fails_halfway_leaves_the_old_file(tmp_path):
    path = tmp_path / "oversikt.csv"
    write_csv(path, HEADER, ROWS, excel=True)
    before = path.read_bytes()

    def rows():
        yield ROWS[0]
        raise RuntimeError("stopped while writing")

    with pytest.raises(RuntimeError):
        write_csv(path, HEADER, rows(), excel=True)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["oversikt.csv"]  # no temporary file left behind
