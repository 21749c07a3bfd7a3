"""Hostile data and faults: arbitrary text, reserved names, killed builds, full or read-only disks."""

from __future__ import annotations

import email
import errno
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from email import policy

import docx
import pytest
from conftest import LETTER_DATE, ROOT, copy_campaign
from helpers import mp_row, read_rows, run, write_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.core.errors import CampaignInvalid, OutputError
from toolkit.core.fsutil import atomic_write_bytes, atomic_writer, safe_stem
from toolkit.core.model import Recipient
from toolkit.letters.emails import build_email
from toolkit.letters.pack import templates_for
from toolkit.letters.render import render_letter
from toolkit.validate import check_campaign

ANY_TEXT = st.text(st.characters(), max_size=200)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    folder = copy_campaign(tmp_path_factory.mktemp("kampanje"))
    campaign, problems = check_campaign(folder, LETTER_DATE)
    assert not problems.errors
    return campaign


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=ANY_TEXT, title=ANY_TEXT, party=ANY_TEXT, county=ANY_TEXT)
def test_any_text_gives_a_valid_docx_and_email(shipped, name, title, party, county):
    from toolkit.core.docx import build_docx

    recipient = Recipient(
        id="mp-x", kind="mp", name=name, title=title, organisation="Stortinget", committees=("JUSTIS",),
        party_name=party, county_name=county, email="x@example.org", email_verified=True,
    )
    letter = render_letter(shipped, templates_for(shipped), recipient, LETTER_DATE)
    data = build_docx(letter.paragraphs, title=letter.subject)
    import io

    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    docx.Document(io.BytesIO(data))
    raw = build_email(shipped, recipient, letter.subject, letter.text, LETTER_DATE)
    message = email.message_from_bytes(raw, policy=policy.default)
    # Whatever the name holds, the message has exactly one recipient and no added headers.
    assert [a.addr_spec for a in message["To"].addresses] == ["x@example.org"]
    assert message["Bcc"] is None and message["Cc"] is None
    assert len(message.get_all("Subject")) == 1


# A CSV file is text on disk: lone surrogates cannot be saved in one, so they are left out here.
CSV_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.fixed_dictionaries({key: CSV_TEXT for key in ("id", "kind", "name", "email", "committees", "verified_on")}))
def test_any_recipient_row_is_loaded_or_refused_cleanly(tmp_path_factory, row):
    folder = copy_campaign(tmp_path_factory.mktemp("k"))
    rows = read_rows(folder / "recipients.csv")
    rows.append(mp_row(**row))
    write_rows(folder / "recipients.csv", rows)
    try:
        campaign, problems = check_campaign(folder, LETTER_DATE)
    except CampaignInvalid:  # pragma: no cover - check_campaign collects, it does not raise
        pytest.fail("check_campaign must collect problems, not raise")
    for problem in problems.errors:
        assert problem.file and problem.message


@pytest.mark.parametrize("name", ["con", "NUL", "aux.txt", "com1", "../../x", "a" * 300, "æøå", "", ". .", "lpt9.docx"])
def test_file_names_are_portable(name):
    stem = safe_stem(name)
    assert stem and len(stem) <= 80
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in stem)
    assert stem.split(".")[0].lower() not in {"con", "nul", "aux", "com1", "lpt9"}
    assert ".." not in stem and "/" not in stem


def test_full_disk_and_read_only_folder_give_clear_messages(tmp_path, monkeypatch):
    real_fdopen = os.fdopen

    def failing(code):
        def fdopen(fd, *args, **kwargs):
            handle = real_fdopen(fd, *args, **kwargs)

            def write(_data):
                raise OSError(code, os.strerror(code))

            handle.write = write
            return handle

        return fdopen

    def failing_write(code):
        def write(fd, data):
            raise OSError(code, os.strerror(code))

        return write

    target = tmp_path / "ut" / "brev.docx"
    atomic_write_bytes(target, b"gammel")
    # atomic_write_bytes writes with os.write, atomic_writer through a file object (os.fdopen): both fail.
    for code, message in ((errno.ENOSPC, "Disken er full"), (errno.EROFS, "Har ikke lov til å skrive")):
        monkeypatch.setattr(os, "fdopen", failing(code))
        monkeypatch.setattr(os, "write", failing_write(code))
        with pytest.raises(OutputError, match=message):
            atomic_write_bytes(target, b"ny")
        with pytest.raises(OutputError, match=message):
            with atomic_writer(target) as handle:
                handle.write(b"ny")
    monkeypatch.undo()
    assert target.read_bytes() == b"gammel"
    assert [p.name for p in target.parent.iterdir()] == ["brev.docx"]


def test_output_folder_in_the_way(campaign_dir):
    (campaign_dir / "ut").write_text("en fil, ikke en mappe", encoding="utf-8")
    result = run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 3, result.output
    assert "Kunne ikke skrive" in result.output and "Traceback" not in result.output


def test_build_killed_at_any_point_leaves_whole_files(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    rows.extend(mp_row(id=f"mp-{n}", name=f"Person {n}") for n in range(150))
    write_rows(campaign_dir / "recipients.csv", rows)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "toolkit", "build", "--campaign", str(campaign_dir), "--date", "2026-11-25"]
    assert subprocess.run(command, env=env, capture_output=True).returncode == 0
    out = campaign_dir / "ut"
    letters = out / "letters"
    # The same input gives the same bytes, so after a kill every file must be exactly the old one,
    # and none may be missing: the pack is written beside the old one and switched in whole.
    from toolkit.core.fsutil import PACK_MANIFEST

    reference = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != PACK_MANIFEST}
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5, 2.0, 2.5, 3.0, 3.5):
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        pack = campaign_dir / "ut"
        if not pack.exists():
            # Killed between the two renames of the fallback switch (only where the system cannot swap
            # folders in one step): the old pack is beside it, and the next run puts it back.
            assert list(campaign_dir.glob(".ut.gammel-*")), delay
            continue
        found = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != PACK_MANIFEST}
        assert found.keys() == reference.keys(), delay
        for path, data in found.items():
            if path.suffix == ".pdf":
                # LibreOffice stamps each PDF with a new document ID, so a run that finished writes other bytes.
                assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), path
                continue
            assert data == reference[path], path
        for path in letters.glob("*.docx"):
            with zipfile.ZipFile(path) as archive:
                assert archive.testzip() is None, path
    finished = subprocess.run(command, env=env, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert not list((campaign_dir / "ut").rglob(".*.tmp"))
    assert not list(campaign_dir.glob(".ut.*")), "what the killed runs left beside the pack is tidied"
    manifest = json.loads((out / "emails" / "manifest.json").read_text(encoding="utf-8"))
    assert len(list(letters.glob("*.docx"))) == len(manifest) >= 150  # one letter per inbox, every MP
