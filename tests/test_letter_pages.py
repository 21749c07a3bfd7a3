"""The organisation's letters on paper, rendered by LibreOffice as a reader's office suite lays them out.

LibreOffice (``libreoffice-writer-nogui``) and Carlito, a font metric-compatible with the letters'
Calibri, are installed by .ci/run, and pdftotext (``poppler-utils``) reads the pages back. Where they
are missing the test is skipped locally, and fails in CI, where a skipped test is no test.
All letters go through one LibreOffice call, which takes a few seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from helpers import mp_row, read_rows, run, write_rows

TOOLS = ("soffice", "pdftotext", "fc-list")


def missing_tools() -> list[str]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        fonts = subprocess.run(["fc-list"], capture_output=True, text=True).stdout
        if "Carlito" not in fonts and "Calibri" not in fonts:
            missing.append("fonts-crosextra-carlito")
    return missing


@pytest.fixture
def renderer():
    missing = missing_tools()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must install {', '.join(missing)} (see .ci/run)")
        pytest.skip(f"needs {', '.join(missing)}")


def to_pdf(paths, out_dir, tmp_path):
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf",
         "--outdir", str(out_dir), *map(str, paths)],
        check=True, capture_output=True, timeout=300,
    )
    return {p.stem: out_dir / f"{p.stem}.pdf" for p in paths}


def pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


@pytest.mark.case_pdf
def test_letters_fit_two_pages_keep_the_signature_with_the_text_and_restart_page_numbers(renderer, campaign_dir, tmp_path):
    rows = read_rows(campaign_dir / "recipients.csv")
    # Members of the Storting on the committees that own the most demands, one writing nynorsk.
    rows.append(mp_row(id="mp-justis", committees="JUSTIS, KOMMFORV", name="Åse Ærlig-Øvrebø"))
    rows.append(mp_row(id="mp-helse", committees="HELSEOMS, ARBSOS", name="Per Helse", email="per@example.org", language="nn"))
    for row in rows:
        if row["id"] in ("kd", "minister-kd", "minister-kd-forskning"):
            row["language"] = "nn"
    write_rows(campaign_dir / "recipients.csv", rows)
    result = run("letters", "--campaign", str(campaign_dir), "--date", "2026-12-03")
    assert result.exit_code == 0, result.output
    out = campaign_dir / "ut"
    letters = sorted((out / "letters").glob("*.docx"))
    assert len(letters) >= 10
    pdf_dir = tmp_path / "pdf"
    pdfs = to_pdf([*letters, out / "alle-brev.docx"], pdf_dir, tmp_path)
    # The case document came out as PDF too, made by the toolkit itself.
    assert (out / "kampanjens-krav.pdf").read_bytes().startswith(b"%PDF")
    for letter in letters:
        shown = pages(pdfs[letter.stem])
        assert 1 <= len(shown) <= 2, f"{letter.name}: {len(shown)} pages"
        closing = next(i for i, page in enumerate(shown) if "Med vennlig hilsen" in page or "Med venleg helsing" in page)
        before = re.split(r"Med (?:vennlig hilsen|venleg helsing)", shown[closing])[0]
        # Body text above the closing on the same page: the signature block is never alone.
        assert len(" ".join(before.split())) > 150, f"{letter.name}: the signature block starts a page"
        assert any(name in shown[closing] for name in ("Kari Nordmann", "Ola Nordmann"))
        assert "Ola Nordmann" in shown[-1], f"{letter.name}: the signatures were split"
    # The print file: every letter and every copy of the case starts on a page numbered 1.
    printed = pages(pdfs["alle-brev"])
    firsts = [i for i, page in enumerate(printed) if re.search(r"Side 1\s*$", page.rstrip())]
    starts = [i for i, page in enumerate(printed) if "Vår dato:" in page or "Vedlegg til brev" in page]
    assert firsts == starts and len(starts) == 2 * len(letters)
    assert not any(re.search(r"Side [3-9]\s*$", page.rstrip()) for i, page in enumerate(printed) if i in starts)
