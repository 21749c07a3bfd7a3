"""Windows, macOS and Linux: what differs between them, exercised here on Linux.

CI runs on Linux only. The Windows and macOS code paths are run here by simulation: the file lock through
a stand-in for msvcrt, the pack's switch by two renames (what macOS and Windows do), and Windows's refusal
to replace a file another program holds open. Paths with æøå, spaces, "#" and "?" and files with CRLF line
ends are real on every system and tested as they are.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import copy_campaign
from helpers import run
from send_helpers import build_pack, make_sendable, set_smtp
from smtp_server import SmtpServer

from toolkit import pack
from toolkit.core import fsutil
from toolkit.core.errors import OutputError, ToolkitError
from toolkit.core.fsutil import atomic_write_bytes, exclusive_lock, release_lock
from toolkit.send import journal as journal_module
from toolkit.send.journal import Journal

DATE = "2026-11-25"


@pytest.fixture
def like_windows(monkeypatch):
    """Windows's handling of a file in use: refused replaces are tried again (quickly, in the tests)."""
    monkeypatch.setattr(fsutil, "RETRY_IN_USE", True)
    monkeypatch.setattr(fsutil, "IN_USE_PAUSE", 0.01)


def refusing(target: Path, times: int, real=os.replace):
    """os.replace as Windows behaves while another program has ``target`` open ``times`` times in a row."""
    calls = []

    def replace(source, destination):
        if str(destination) == str(target):
            calls.append(destination)
            if len(calls) <= times:
                raise PermissionError(errno.EACCES, "The process cannot access the file because it is being used")
        return real(source, destination)

    return replace, calls


def test_a_file_held_open_for_a_moment_is_replaced_on_a_later_try(tmp_path, monkeypatch, like_windows):
    target = tmp_path / "ut" / "brev" / "jd.docx"
    atomic_write_bytes(target, b"gammel")
    replace, calls = refusing(target, 2)
    monkeypatch.setattr(os, "replace", replace)
    atomic_write_bytes(target, b"ny")
    assert target.read_bytes() == b"ny" and len(calls) == 3
    assert [p.name for p in target.parent.iterdir()] == ["jd.docx"]


def test_a_file_held_open_for_good_is_named_and_left_as_it_was(tmp_path, monkeypatch, like_windows):
    target = tmp_path / "ut" / "brev" / "jd.docx"
    atomic_write_bytes(target, b"gammel")
    replace, calls = refusing(target, 1000)
    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OutputError) as caught:
        atomic_write_bytes(target, b"ny")
    assert len(calls) == fsutil.IN_USE_ATTEMPTS
    assert f"Kunne ikke erstatte {target}: filen er låst eller skrivebeskyttet. Er den åpen i Word" in str(caught.value)
    assert target.read_bytes() == b"gammel" and [p.name for p in target.parent.iterdir()] == ["jd.docx"]


def test_on_linux_a_refusal_is_final_at_once(tmp_path, monkeypatch):
    target = tmp_path / "jd.docx"
    atomic_write_bytes(target, b"gammel")
    replace, calls = refusing(target, 1000)
    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OutputError):
        atomic_write_bytes(target, b"ny")
    assert len(calls) == 1


def fake_msvcrt(calls: list):
    """msvcrt.locking as Windows does it (a byte range, refused at once with LK_NBLCK), on Linux's flock."""
    import fcntl

    module = types.ModuleType("msvcrt")
    module.LK_NBLCK = 2

    def locking(fd: int, mode: int, nbytes: int) -> None:
        calls.append((mode, nbytes, os.lseek(fd, 0, os.SEEK_CUR)))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PermissionError(errno.EACCES, "Permission denied") from None

    module.locking = locking
    return module


def test_the_lock_on_windows_locks_the_first_byte_and_refuses_a_second_holder(tmp_path, monkeypatch):
    calls: list = []
    monkeypatch.setitem(sys.modules, "msvcrt", fake_msvcrt(calls))
    monkeypatch.setattr(fsutil.sys, "platform", "win32")
    path = tmp_path / "pakke.lock"
    path.write_bytes(b"x" * 10)
    first = exclusive_lock(path, "opptatt")
    try:
        with pytest.raises(ToolkitError, match="^opptatt$"):
            exclusive_lock(path, "opptatt", wait_seconds=0.3)
    finally:
        release_lock(first)
    release_lock(exclusive_lock(path, "opptatt"))
    assert calls and all(call == (2, 1, 0) for call in calls)  # LK_NBLCK, one byte, at the start


def session(campaign, files: dict[str, bytes]) -> None:
    with pack.pack_session(campaign, "test", echo=lambda text: None):
        for name, data in files.items():
            atomic_write_bytes(campaign.output_dir / name, data)


@pytest.fixture
def two_renames(tmp_path, monkeypatch):
    """A campaign whose pack is switched by two renames, as on macOS and Windows."""
    monkeypatch.setattr(pack, "_exchange", lambda a, b: False)
    folder = tmp_path / "Kvinnegruppa Ås 16 dager"
    folder.mkdir()
    campaign = SimpleNamespace(folder=folder, output_dir=folder / "ut")
    session(campaign, {"a.txt": b"en", "b.txt": b"to"})
    campaign.output_dir = folder / "ut"
    return campaign


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".ut"))


def test_the_switch_by_two_renames_gives_the_new_pack_and_leaves_nothing(two_renames):
    session(two_renames, {"a.txt": b"en ny"})
    two_renames.output_dir = two_renames.folder / "ut"
    out = two_renames.output_dir
    assert sorted(p.name for p in out.iterdir()) == [".toolkit-pakke.json", "a.txt", "b.txt"]  # b.txt is carried over
    assert (out / "a.txt").read_bytes() == b"en ny" and (out / "b.txt").read_bytes() == b"to"
    assert hidden(two_renames.folder) == []


@pytest.mark.parametrize("refused", ["the old pack", "the new pack"])
def test_a_switch_windows_refuses_leaves_the_old_pack_in_place(two_renames, monkeypatch, like_windows, refused):
    """Windows refuses to rename a folder while a program holds a file in it open: the old pack stays, whole."""
    folder = two_renames.folder
    real_rename = os.rename
    tries = []

    def rename(source, destination):
        moving = Path(source).name
        if (refused == "the old pack" and moving == "ut") or (refused == "the new pack" and moving.startswith(".ut.ny-")):
            tries.append(moving)
            raise PermissionError(errno.EACCES, "Access is denied")
        return real_rename(source, destination)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OutputError) as caught:
        session(two_renames, {"a.txt": b"en ny"})
    assert "Den gamle pakken er urørt; lukk filer fra mappen som er åpne i andre programmer" in str(caught.value)
    assert len(tries) == fsutil.IN_USE_ATTEMPTS
    out = folder / "ut"
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name.endswith(".txt")} == {"a.txt": b"en", "b.txt": b"to"}
    monkeypatch.setattr(os, "rename", real_rename)
    two_renames.output_dir = out
    session(two_renames, {"a.txt": b"en ny"})  # the next run cleans up what the refused one left
    assert hidden(folder) == [] and (out / "a.txt").read_bytes() == b"en ny" and (out / "b.txt").read_bytes() == b"to"


def test_the_journal_check_reads_a_path_with_spaces_aeoa_hash_and_question_mark(tmp_path):
    folder = tmp_path / "Kvinnegruppa Ås #16 dager?" / ".toolkit"
    folder.mkdir(parents=True)
    path = folder / "send-journal.sqlite"
    Journal.open(path, create=True, lock=False).close()
    journal_module._check_ours(path)  # no error: it is a journal of ours
    other = folder / "annen.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(ToolkitError, match="er ikke en sendejournal fra toolkit"):
        journal_module._check_ours(other)


def crlf(folder: Path) -> int:
    """Give every text file of the campaign Windows line ends (CRLF), as Notepad or Excel may save them."""
    count = 0
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in (".yaml", ".csv", ".j2", ".md", ".txt"):
            data = path.read_bytes().replace(b"\r\n", b"\n")
            path.write_bytes(data.replace(b"\n", b"\r\n"))
            count += 1
    return count


def test_a_campaign_in_a_folder_with_aeoa_and_spaces_with_crlf_files_gives_the_same_letters(tmp_path):
    """The same campaign as LF files in "kampanje" and as CRLF files in "Kvinnegruppa Ås 16 dager", with its
    output in "Brev fra Ås": validate is clean, the letters are the same, and sending works."""
    plain = copy_campaign(tmp_path / "kampanje")
    windows = copy_campaign(tmp_path / "Kvinnegruppa Ås 16 dager")
    for folder in (plain, windows):
        make_sendable(folder)
    path = windows / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("output: ut ", "output: Brev fra Ås ", 1), encoding="utf-8")
    assert crlf(windows) > 10
    with SmtpServer() as server:
        set_smtp(plain, server.port)
        set_smtp(windows, server.port)
        crlf(windows)
        assert b"\r\n" in (windows / "campaign.yaml").read_bytes() and b"\r\n" in (windows / "recipients.csv").read_bytes()
        result = run("validate", "--campaign", str(windows))
        assert result.exit_code == 0 and "FEIL" not in result.output, result.output
        for folder in (plain, windows):
            build_pack(folder, ids=("jd", "mp-test"))
        out_plain, out_windows = plain / "ut", windows / "Brev fra Ås"
        letters = sorted(p.relative_to(out_plain) for p in out_plain.rglob("*.txt"))
        assert letters
        for name in letters:
            assert (out_windows / name).read_bytes() == (out_plain / name).read_bytes(), name
        sent = run("send", "--campaign", str(windows), "--send", "--yes", "--rate", "0")
        assert sent.exit_code == 0, sent.output
        assert len(server.received) == 2
        assert (windows / ".toolkit" / "send-journal.sqlite").exists()
        again = run("send", "--campaign", str(windows), "--send", "--yes", "--rate", "0")
        assert again.exit_code == 0 and len(server.received) == 2, again.output
