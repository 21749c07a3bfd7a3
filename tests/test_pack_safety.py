"""Only its own files, one build at a time, always a whole pack (toolkit.pack).

The builds here run as the organiser runs them: the real command, in-process or as a process.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from helpers import mp_row, read_rows, run, write_rows

from toolkit.core.fsutil import PACK_MANIFEST

DATE = "2026-11-25"


def build(campaign_dir: Path, date: str = DATE):
    return run("build", "--campaign", str(campaign_dir), "--date", date)


def set_output(campaign_dir: Path, output: str) -> None:
    path = campaign_dir / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    assert "output: ut " in text
    path.write_text(text.replace("output: ut ", f"output: {output} ", 1), encoding="utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


USER_FILES = {
    "letters/mitt-brev.docx": b"PK mitt eget brev",
    "letters/notat.txt": "mine notater, æøå".encode(),
    "emails/utkast.eml": b"From: meg\r\n\r\nUtkast\r\n",
    "opeds/kronikk-utkast.docx": b"PK min kronikk",
    ".skjult.tmp": b"hidden",
    "calendar/.bilde.abc.tmp": b"hidden too",
    "egne/regneark.xlsx": b"PK regneark",
    "send-journal-kopi.sqlite": b"not a journal",
}


def place(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_a_folder_outside_the_campaign_with_other_files_is_refused_and_left_as_it_was(campaign_dir, tmp_path):
    foreign = tmp_path / "dokumenter"
    place(foreign, USER_FILES)
    before = snapshot(foreign)
    set_output(campaign_dir, str(foreign))
    result = build(campaign_dir)
    assert result.exit_code == 2, result.output
    assert f"Utdatamappen {foreign} ligger utenfor kampanjemappen og har filer, men ingen .toolkit-pakke.json" in result.output
    assert "felt «output»" in result.output and "Traceback" not in result.output
    assert snapshot(foreign) == before
    assert run("validate", "--campaign", str(campaign_dir)).exit_code == 2
    # A new or empty folder outside the campaign is fine, and once the toolkit wrote it, so is the next build.
    set_output_to = tmp_path / "ny-pakke"
    path = campaign_dir / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(str(foreign), str(set_output_to)), encoding="utf-8")
    assert build(campaign_dir).exit_code == 0
    assert (set_output_to / PACK_MANIFEST).is_file()
    again = build(campaign_dir)
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("output, says", [
    ("/etc", "er en systemmappe"),
    ("/etc/toolkit-pakke", "er en systemmappe"),
    ("/usr/local/share/pakke", "er en systemmappe"),
    ("../..", "er kampanjemappen selv eller en mappe over den"),
    ("..", "er kampanjemappen selv eller en mappe over den"),
    (".", "er kampanjemappen selv eller en mappe over den"),
    ("../../../../../../../../etc", "er en systemmappe"),
    ("letter_templates/ut", "der malene ligger"),
    (".toolkit", "toolkits egen tilstand"),
])
def test_system_folders_and_escapes_are_refused(campaign_dir, output, says):
    set_output(campaign_dir, output)
    result = build(campaign_dir)
    assert result.exit_code == 2, result.output
    assert says in result.output and "felt «output»" in result.output
    assert "Traceback" not in result.output


def test_files_the_toolkit_did_not_write_are_kept_byte_for_byte(campaign_dir):
    out = campaign_dir / "ut"
    rows = read_rows(campaign_dir / "recipients.csv")
    write_rows(campaign_dir / "recipients.csv", rows + [mp_row(id="mp-ekstra")])
    place(out, USER_FILES)
    assert build(campaign_dir).exit_code == 0
    for rel, data in USER_FILES.items():
        assert (out / rel).read_bytes() == data, rel
    manifest = json.loads((out / PACK_MANIFEST).read_text(encoding="utf-8"))["files"]
    assert not set(USER_FILES) & set(manifest)
    assert "letters/jd.docx" in manifest and "emails/manifest.json" in manifest and "calendar/index.html" in manifest
    # A second build, with a recipient gone: its files go, the user's stay.
    write_rows(campaign_dir / "recipients.csv", rows)
    assert (out / "letters" / "mp-ekstra.docx").exists()
    result = build(campaign_dir)
    assert result.exit_code == 0, result.output
    assert not (out / "letters" / "mp-ekstra.docx").exists() and not (out / "emails" / "mp-ekstra.eml").exists()
    for rel, data in USER_FILES.items():
        assert (out / rel).read_bytes() == data, rel
    assert not [p for p in campaign_dir.iterdir() if "gamle-filer" in p.name]
    assert not [p for p in campaign_dir.iterdir() if p.name.startswith(".ut.")]


def test_a_file_of_the_users_in_the_toolkits_place_is_kept_aside_not_deleted(campaign_dir):
    out = campaign_dir / "ut"
    assert build(campaign_dir).exit_code == 0
    # The organiser edits a letter by hand, and puts a file of their own where a letter will come.
    (out / "letters" / "jd.txt").write_text("Min egen versjon av brevet.", encoding="utf-8")
    rows = read_rows(campaign_dir / "recipients.csv")
    rows.append(mp_row(id="mp-ny", name="Ny Representant"))
    write_rows(campaign_dir / "recipients.csv", rows)
    (out / "letters" / "mp-ny.docx").write_bytes(b"brukerens egen fil")
    result = build(campaign_dir)
    assert result.exit_code == 0, result.output
    kept = [p for p in campaign_dir.iterdir() if p.name.startswith("ut-gamle-filer-")]
    assert len(kept) == 1
    assert (kept[0] / "letters" / "jd.txt").read_text(encoding="utf-8") == "Min egen versjon av brevet."
    assert (kept[0] / "letters" / "mp-ny.docx").read_bytes() == b"brukerens egen fil"
    assert sorted(p.relative_to(kept[0]).as_posix() for p in kept[0].rglob("*") if p.is_file()) == \
        ["letters/jd.txt", "letters/mp-ny.docx"]
    assert "2 filer" in result.output and str(kept[0]) in result.output
    assert (out / "letters" / "mp-ny.docx").read_bytes().startswith(b"PK")


def test_a_killed_switch_is_completed_or_undone_by_the_next_run(campaign_dir):
    out = campaign_dir / "ut"
    assert build(campaign_dir).exit_code == 0
    reference = snapshot(out)
    # Killed between the two renames of the fallback: the output folder is gone, the old pack is aside.
    aside = campaign_dir / ".ut.gammel-0123456789ab"
    out.rename(aside)
    unfinished = campaign_dir / ".ut.ny-ba9876543210"
    unfinished.mkdir()
    (unfinished / ".toolkit-under-arbeid").write_text("x", encoding="utf-8")
    (unfinished / "halv.docx").write_bytes(b"half")
    # The next command that writes the pack (here only one letter) puts things right first.
    result = run("letters", "--campaign", str(campaign_dir), "--date", DATE, "--to", "jd")
    assert result.exit_code == 0, result.output
    assert not aside.exists() and not unfinished.exists()
    after = snapshot(out)
    assert after.keys() == reference.keys()
    # (A run with --to writes the print file and the overview of the chosen recipients only.)
    # A run with --to writes the print file and the overview of the chosen recipients only, and puts
    # their entries last in emails/manifest.json; every other file is the old one, byte for byte.
    assert sorted(k for k in reference if after[k] != reference[k]) == \
        [PACK_MANIFEST, "alle-brev.docx", "emails/manifest.json", "oversikt-brev.csv", "oversikt-brev.xlsx"]
    assert sorted(json.loads(after["emails/manifest.json"]), key=str) == sorted(json.loads(reference["emails/manifest.json"]), key=str)
    # Killed just after the swap: the old pack sits under the staging name, without the mark.
    assert build(campaign_dir).exit_code == 0
    old = campaign_dir / ".ut.ny-00000000000f"
    (campaign_dir / "ut").rename(old)
    assert build(campaign_dir).exit_code == 0
    assert not old.exists()
    assert snapshot(campaign_dir / "ut").keys() == reference.keys()


def many_recipients(campaign_dir: Path, count: int) -> int:
    rows = read_rows(campaign_dir / "recipients.csv")
    rows.extend(mp_row(id=f"mp-{n}", name=f"Person {n}", email=f"p{n}@example.org") for n in range(count - len(rows)))
    write_rows(campaign_dir / "recipients.csv", rows)
    # One letter per inbox, to the recipients that own a demand and to every MP (issue 14).
    from toolkit.letters.render import plan_letters
    from toolkit.validate import check_campaign

    campaign, _ = check_campaign(campaign_dir)
    return len(plan_letters(campaign).letters)


def start_build(campaign_dir: Path, date: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "toolkit", "build", "--campaign", str(campaign_dir), "--date", date],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs,
    )


def check_whole(out: Path, count: int) -> str:
    """The pack is one build's: every letter of one date, every e-mail as its manifest says. Returns the date."""
    texts = list((out / "letters").glob("*.txt"))
    assert len(texts) == count and len(list((out / "letters").glob("*.docx"))) == count
    dates = {date for date in ("25. november 2026", "26. november 2026") for t in texts if date in t.read_text(encoding="utf-8")}
    assert len(dates) == 1, dates
    manifest = json.loads((out / "emails" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest) == count == len(list((out / "emails").glob("*.eml")))
    for entry in manifest:
        assert hashlib.sha256((out / "emails" / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    pack = json.loads((out / PACK_MANIFEST).read_text(encoding="utf-8"))["files"]
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != PACK_MANIFEST}
    assert set(pack) == on_disk
    return dates.pop()


def test_two_builds_started_together_give_one_whole_pack(campaign_dir):
    count = many_recipients(campaign_dir, 2000)
    first = start_build(campaign_dir, "2026-11-25")
    second = start_build(campaign_dir, "2026-11-26")
    results = [process.communicate(timeout=600) for process in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, results
    waited = [i for i, (_, err) in enumerate(results) if "Venter på at en annen toolkit-kommando" in err]
    assert len(waited) == 1, results
    date = check_whole(campaign_dir / "ut", count)
    # The one that waited finished last: its pack is the one in place.
    assert date == ("25. november 2026", "26. november 2026")[waited[0]]
    assert not [p for p in campaign_dir.iterdir() if p.name.startswith(".ut.")]


def test_a_build_whose_output_is_cut_off_still_finishes_and_reports(campaign_dir):
    # `toolkit build | head -1`: the reader stops after one line.
    process = start_build(campaign_dir, DATE)
    process.stdout.readline()
    process.stdout.close()
    process.wait(timeout=300)
    assert process.returncode == 0, process.stderr.read()
    assert (campaign_dir / "ut" / "calendar" / "index.html").is_file()
    assert (campaign_dir / "ut" / PACK_MANIFEST).is_file()
    # A failing build with its output cut off still fails.
    (campaign_dir / "ut").rename(campaign_dir / "ut-gammel")
    (campaign_dir / "ut").write_text("en fil i veien", encoding="utf-8")
    failing = start_build(campaign_dir, DATE)
    failing.stdout.close()
    failing.wait(timeout=300)
    assert failing.returncode == 3
    assert "er en fil, ikke en mappe" in failing.stderr.read()


def test_a_second_build_waits_no_longer_than_allowed(campaign_dir, monkeypatch):
    from toolkit.core.fsutil import exclusive_lock, state_dir

    state = state_dir(campaign_dir, create=True)
    holder = exclusive_lock(state / "pakke.lock", "opptatt")
    try:
        monkeypatch.setenv("TOOLKIT_LOCK_WAIT", "0.5")
        started = time.monotonic()
        result = build(campaign_dir)
        assert result.exit_code == 1 and "skriver fortsatt kampanjepakken" in result.output
        assert "Venter på at en annen toolkit-kommando" in result.output
        assert time.monotonic() - started < 30
        assert not (campaign_dir / "ut").exists()
    finally:
        holder.close()
