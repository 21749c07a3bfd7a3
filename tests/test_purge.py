"""`toolkit purge` deletes what docs/privacy.md says it deletes and nothing else, and asks first; build and
send warn when personal data is kept past the limit."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_campaign
from helpers import run, write_rows
from reply_helpers import letter, sent_campaign
from send_helpers import set_smtp
from smtp_server import SmtpServer
from supporters_data import supporter_rows

from toolkit.cli import cli
from toolkit.send.journal import Journal, ReplyRow

AFTER = "2027-03-11"  # the campaign ends 10 December 2026; 90 days later is 10 March 2027
BEFORE = "2027-03-10"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A campaign after the fact: letters and supporters' letters sent, replies of every kind saved."""
    base = tmp_path_factory.mktemp("purge")
    folder = sent_campaign(base / "kampanje", copy_campaign(base / "kilde"))
    rows = supporter_rows(3)
    for row in rows:
        row["county"] = "Øs"  # where the test's MPs are
        row["personal_paragraph"] = row["personal_paragraph"] or "Jeg har skrevet mitt eget avsnitt om dette."
    write_rows(folder / "supporters.csv", rows)
    result = run("letters", "--campaign", str(folder), "--supporters", str(folder / "supporters.csv"), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    with SmtpServer() as server:
        set_smtp(folder, server.port)
        sent = CliRunner().invoke(cli, ["send", "--campaign", str(folder), "--send", "--yes", "--rate", "0"],
                                  catch_exceptions=False)
        assert sent.exit_code == 0, sent.output
        assert len(server.received) == 6  # three supporters to two MPs each
    replies = folder / "ut" / "svar"
    replies.mkdir()
    saved = [("jd", "answer", False), ("minister-jd", "auto", True), ("", "unmatched", True), ("mp-hostile", "bounce", False)]
    with Journal.open(folder / ".toolkit" / "send-journal.sqlite", create=False) as journal:
        for uid, (recipient, kind, personal) in enumerate(saved, start=1):
            name = f"svar/2026-12-01-{recipient or 'ukjent'}-{kind}-inbox-1-{uid}.eml"
            (folder / "ut" / name).write_bytes(f"From: avsender{uid}@example.net\r\nSubject: Svar {uid}\r\n\r\nHei.\r\n".encode())
            journal.record_reply(ReplyRow(
                folder="INBOX", uidvalidity=1, uid=uid, header_id=f"<{uid}@example.net>", kind=kind,
                message_id=letter(folder, recipient)["Message-ID"] if recipient else "", recipient=recipient,
                matched_by="thread" if recipient else "", received_at=datetime(2026, 12, 1, tzinfo=timezone.utc).isoformat(),
                sender=f"Avsender {uid} <avsender{uid}@example.net>", subject=f"Svar {uid}", excerpt="Hei.", file=name,
                note="", personal=personal, purged=False,
            ))
    # A file in the supporters' folder the toolkit did not write: named, never touched.
    (folder / "ut" / "supporters" / "mine-notater.txt").write_text("notater", encoding="utf-8")
    return folder


@pytest.fixture
def campaign(prepared, tmp_path):
    return Path(shutil.copytree(prepared, tmp_path / "kampanje"))


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def journal_fields(folder: Path) -> tuple[list, list]:
    with sqlite3.connect(folder / ".toolkit" / "send-journal.sqlite") as db:
        messages = db.execute("SELECT message_id, recipient, address, file, state FROM messages ORDER BY message_id").fetchall()
        replies = db.execute("SELECT uid, kind, recipient, sender, subject, excerpt, file, header_id, personal "
                             "FROM replies ORDER BY uid").fetchall()
    return messages, replies


def purge(folder: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["purge", "--campaign", str(folder), *args], input=input, catch_exceptions=False)


def test_purge_lists_asks_and_deletes_exactly_what_the_privacy_page_says(campaign):
    before_files, (before_messages, before_replies) = files(campaign), journal_fields(campaign)
    supporter_files = {f for f in before_files if f.startswith("ut/supporters/") and f != "ut/supporters/mine-notater.txt"}
    assert any(f.endswith(".eml") for f in supporter_files) and "ut/supporters/oversikt-underskrivere.csv" in supporter_files
    personal_replies = {"ut/" + r[6] for r in before_replies if r[8]}
    assert len(personal_replies) == 2

    refused = purge(campaign, "--date", AFTER, input="nei\n")
    assert refused.exit_code == 1 and "Ingenting er slettet." in refused.output
    assert refused.output.count("[j/N]") == 1
    assert "3 underskrivermapper" in refused.output and "u-00000/" in refused.output
    assert "svar fra privatpersoner, automatiske svar og e-post uten treff" in refused.output and "offentlige dokumenter" in refused.output
    assert "supporters.csv i kampanjemappen: det er din egen fil" in refused.output
    assert "mine-notater.txt: ble ikke laget av toolkit" in refused.output
    assert files(campaign) == before_files and journal_fields(campaign) == (before_messages, before_replies)

    done = purge(campaign, "--date", AFTER, input="ja\n")
    assert done.exit_code == 0, done.output
    assert "Slettet: 3 underskrivermapper" in done.output
    deleted = supporter_files | personal_replies
    assert files(campaign) == before_files - deleted
    assert "kampanje/supporters.csv" not in deleted and (campaign / "supporters.csv").exists()

    after_messages, after_replies = journal_fields(campaign)
    assert len(after_messages) == len(before_messages) and len(after_replies) == len(before_replies)  # counts kept
    for old, new in zip(before_messages, after_messages, strict=True):
        if old[3].startswith("supporters/"):
            assert new == (old[0], old[1], old[2], "supporters/(slettet)", old[4])
        else:
            assert new == old
    for old, new in zip(before_replies, after_replies, strict=True):
        if old[8]:  # personal: sender, subject, first lines, file and Message-ID gone; kind and recipient kept
            assert new == (old[0], old[1], old[2], "(slettet)", "(slettet)", "", "", "", 1)
        else:
            assert new == old

    # Nothing left to delete; status still counts what was sent and answered.
    again = purge(campaign, "--date", AFTER, "--yes")
    assert again.exit_code == 0 and "Ingen personopplysninger å slette" in again.output
    status = run("status", "--campaign", str(campaign), "--date", "2026-12-05")
    assert "Brev: 8 skrevet, 7 sendt, 1 feilet, 1 besvart" in status.output
    assert "underskriveres brev: 0 skrevet, 6 sendt" in status.output


def test_before_the_deadline_nothing_is_deleted_unless_asked(campaign):
    before = files(campaign)
    result = purge(campaign, "--date", BEFORE, "--yes")
    assert result.exit_code == 0
    assert "Fristen for å slette er 10. mars 2027" in result.output and "Ingenting er slettet" in result.output
    assert files(campaign) == before
    early = purge(campaign, "--date", BEFORE, "--yes", "--now")
    assert early.exit_code == 0 and "Slettet: 3 underskrivermapper" in early.output
    assert not (campaign / "ut" / "supporters" / "u-00000").exists()


def test_build_and_send_warn_when_personal_data_is_kept_too_long(campaign):
    # A campaign that ended in November (the posts and op-eds, planned for the real period, are left out).
    import re

    for name in ("posts.yaml", "outlets.csv", "signatories.csv", "opeds-status.csv"):
        (campaign / name).unlink(missing_ok=True)
    path = campaign / "campaign.yaml"
    text = path.read_text(encoding="utf-8").replace("period: {start: 2026-11-25, end: 2026-12-10}",
                                                    "period: {start: 2026-11-01, end: 2026-11-20}")
    text = re.sub(r"(?m)^opeds:\n(?:[ ].*\n|[ \t]*\n)*", "", text)
    assert "  keep_days: 90\n" in text
    path.write_text(text.replace("  keep_days: 90\n", "  keep_days: 1\n"), encoding="utf-8")
    warning = "Personopplysninger er eldre enn grensen: kampanjen sluttet 20. november 2026"
    for command in (["send"], ["validate"]):
        result = run(*command, "--campaign", str(campaign))
        assert result.exit_code == 0, result.output
        assert warning in result.output and "toolkit purge" in result.output, result.output
        assert "3 underskrivermapper" in result.output and "lagrede svar" in result.output
    built = run("build", "--campaign", str(campaign), "--date", "2026-11-10")
    assert built.exit_code == 0, built.output
    assert warning in built.output
    purged = purge(campaign, "--yes")
    assert purged.exit_code == 0, purged.output[-1500:]
    assert warning not in run("validate", "--campaign", str(campaign)).output
