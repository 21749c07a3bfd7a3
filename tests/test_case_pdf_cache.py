"""The case attachment's PDF is kept in the campaign's state folder and reused while nothing changed.

Starting LibreOffice costs about 1.3 s of a build. A stand-in ``soffice`` on PATH (a small Python
script) writes a PDF naming the DOCX's digest and counts its calls, so each test knows exactly when
LibreOffice would have been started. The real LibreOffice makes the PDF in test_letter_pages.py.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import textwrap

import pytest
from helpers import run

FAKE_SOFFICE = textwrap.dedent('''\
    #!{python}
    import hashlib, pathlib, sys
    args = sys.argv[1:]
    out = pathlib.Path(args[args.index("--outdir") + 1])
    out.mkdir(parents=True, exist_ok=True)
    sources = [pathlib.Path(a) for a in args if a.endswith(".docx")]
    with open({calls!r}, "a", encoding="utf-8") as handle:
        handle.write(" ".join(s.name for s in sources) + "\\n")
    for source in sources:
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        (out / (source.stem + ".pdf")).write_bytes(b"%PDF-1.7\\n" + digest.encode() + b"\\n%%EOF\\n")
''')


@pytest.fixture
def soffice(tmp_path, monkeypatch):
    """A stand-in LibreOffice first on PATH; returns a function giving the list of its calls so far."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "soffice-calls.txt"
    program = bin_dir / "soffice"
    program.write_text(FAKE_SOFFICE.format(python=sys.executable, calls=str(calls)), encoding="utf-8")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")

    def made() -> list[str]:
        return calls.read_text(encoding="utf-8").splitlines() if calls.exists() else []

    made.program = program
    return made


def letters(campaign_dir, day="2026-12-03"):
    result = run("letters", "--campaign", str(campaign_dir), "--date", day)
    assert result.exit_code == 0, result.output
    out = campaign_dir / "ut"
    return out / "kampanjens-krav.docx", out / "kampanjens-krav.pdf"


def cached(campaign_dir) -> list[str]:
    folder = campaign_dir / ".toolkit" / "pdf"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.case_pdf
def test_a_second_run_reuses_the_pdf_and_a_changed_docx_is_converted_again(soffice, campaign_dir):
    docx, pdf = letters(campaign_dir)
    assert soffice() == ["kampanjens-krav.docx"]
    first = pdf.read_bytes()
    assert hashlib.sha256(docx.read_bytes()).hexdigest().encode() in first
    assert len(cached(campaign_dir)) == 1 and re.fullmatch(r"[0-9a-f]{64}\.pdf", cached(campaign_dir)[0])

    # The same campaign on the same day: the same DOCX bytes, so no LibreOffice and the same PDF.
    pdf.unlink()
    letters(campaign_dir)
    assert soffice() == ["kampanjens-krav.docx"]
    assert pdf.read_bytes() == first

    # Another date changes the document: converted again, and only the new PDF is kept.
    before = cached(campaign_dir)
    docx, pdf = letters(campaign_dir, "2026-12-04")
    assert len(soffice()) == 2
    assert hashlib.sha256(docx.read_bytes()).hexdigest().encode() in pdf.read_bytes()
    assert len(cached(campaign_dir)) == 1 and cached(campaign_dir) != before


@pytest.mark.case_pdf
def test_a_damaged_cache_entry_or_another_libreoffice_means_converting_again(soffice, campaign_dir):
    letters(campaign_dir)
    entry = campaign_dir / ".toolkit" / "pdf" / cached(campaign_dir)[0]
    entry.write_bytes(entry.read_bytes()[:10])  # cut short: not a whole PDF
    docx, pdf = letters(campaign_dir)
    assert len(soffice()) == 2
    assert pdf.read_bytes().rstrip().endswith(b"%%EOF")

    # LibreOffice updated (the program's size or time changes): its PDF may differ, so no reuse.
    stat = soffice.program.stat()
    os.utime(soffice.program, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    letters(campaign_dir)
    assert len(soffice()) == 3


@pytest.mark.case_pdf
def test_the_cache_leaves_files_it_did_not_write_alone(soffice, campaign_dir):
    folder = campaign_dir / ".toolkit" / "pdf"
    folder.mkdir(parents=True)
    mine = {"notater.txt": b"mine", "kampanjens-krav.pdf": b"%PDF-1.7\nuser's own\n%%EOF\n", "abc.pdf": b"x"}
    for name, data in mine.items():
        (folder / name).write_bytes(data)
    letters(campaign_dir)
    letters(campaign_dir, "2026-12-04")  # prunes the first run's entry
    for name, data in mine.items():
        assert (folder / name).read_bytes() == data
    assert len([n for n in cached(campaign_dir) if re.fullmatch(r"[0-9a-f]{64}\.pdf", n)]) == 1


@pytest.mark.case_pdf
def test_a_campaign_folder_without_room_for_the_cache_still_gets_its_pdf(soffice, campaign_dir):
    (campaign_dir / ".toolkit").mkdir(exist_ok=True)
    (campaign_dir / ".toolkit" / "pdf").write_text("a file where the cache folder would be", encoding="utf-8")
    docx, pdf = letters(campaign_dir)
    assert pdf.read_bytes().startswith(b"%PDF-")
    letters(campaign_dir)
    assert len(soffice()) == 2  # nothing cached, so converted each time, and no error
    assert (campaign_dir / ".toolkit" / "pdf").read_text(encoding="utf-8") == "a file where the cache folder would be"
