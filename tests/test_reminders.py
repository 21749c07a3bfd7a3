"""`toolkit letters --reminders`: only to those without an answer after the set days, threaded, sent once."""

from __future__ import annotations

import email
import json
from datetime import date, datetime, timedelta, timezone
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_campaign
from reply_helpers import letter, sent_campaign
from send_helpers import PACK, set_smtp
from smtp_server import SmtpServer

from toolkit.cli import cli
from toolkit.send.journal import Journal, ReplyRow


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    base = tmp_path_factory.mktemp("sendt")
    return sent_campaign(base / "kampanje", copy_campaign(base / "kilde"))


@pytest.fixture
def campaign(sent, tmp_path):
    import shutil

    target = tmp_path / "kampanje"
    shutil.copytree(sent, target)
    return target


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def record(campaign: Path, recipient: str, kind: str, uid: int) -> None:
    """What `toolkit replies` records for an answer (tested against a real IMAP server in test_replies.py)."""
    with Journal.open(campaign / ".toolkit" / "send-journal.sqlite", create=False) as journal:
        message_id = letter(campaign, recipient)["Message-ID"]
        journal.record_reply(ReplyRow(
            folder="INBOX", uidvalidity=1, uid=uid, header_id=f"<svar-{uid}@example.org>", kind=kind,
            message_id=message_id, recipient=recipient, matched_by="thread",
            received_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), sender=f"{recipient}@example.org",
            subject="SV: brevet", excerpt="Takk for brevet.", file="", note="", personal=False, purged=False,
        ))


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def decoded(value) -> str:
    return str(make_header(decode_header(str(value))))


def test_reminders_go_only_to_those_without_an_answer_after_the_set_days_threaded_and_sent_once(campaign):
    record(campaign, "jd", "answer", 1)
    record(campaign, "ud", "auto", 2)  # an out-of-office is not an answer: UD gets a reminder
    early = invoke("letters", "--reminders", "--campaign", str(campaign), "--date", day(20))
    assert early.exit_code == 0, early.output
    assert "Ingen påminnelser å skrive i dag (etter 21 dager uten svar)." in early.output
    assert "For tidlig: 7 mottakere" in early.output and "Har svart, får ingen påminnelse: 1 (jd)." in early.output
    assert not (campaign / "ut" / "purringer").exists()

    result = invoke("letters", "--reminders", "--campaign", str(campaign), "--date", day(21))
    assert result.exit_code == 0, result.output
    expected = set(PACK) - {"jd"}
    assert f"Påminnelser skrevet: {len(expected)}" in result.output
    folder = campaign / "ut" / "purringer"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert {entry["recipient"] for entry in manifest} == expected
    reply_by = date.today() + timedelta(days=21 + 14)
    for recipient in expected:
        first = letter(campaign, recipient)
        reminder = email.message_from_bytes((folder / f"{recipient}.eml").read_bytes())
        assert reminder["In-Reply-To"] == first["Message-ID"] and reminder["References"] == first["Message-ID"]
        assert reminder["Message-ID"] != first["Message-ID"] and reminder["To"] == first["To"]
        subject = decoded(reminder["Subject"])
        assert subject.startswith("Påminnelse: Menneskehandel er vold mot kvinner")
        assert subject.endswith(f"(ref. 16D-2026-{recipient.upper()})")
        body = reminder.get_payload(decode=True).decode("utf-8").replace("\r\n", "\n")
        sent_on = date.today()
        assert f"brevet vårt av {sent_on.day}. " in body and f"(vår ref. 16D-2026-{recipient.upper()})" in body
        assert "Menneskehandel er vold mot kvinner: fem krav fra" in body
        months = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
                  "november", "desember"]
        assert f"innen {reply_by.day}. {months[reply_by.month - 1]} {reply_by.year}" in body
        demand_lines = [line for line in body.splitlines() if line.startswith("- ")]
        assert 1 <= len(demand_lines) <= 5 and all(line[2].isdigit() for line in demand_lines)
        assert "Med vennlig hilsen\nKari Nordmann, leder" in body
    # The justice ministry's demands are the ones its letter led with, one line each.
    lead = [entry for entry in json.loads((campaign / "ut" / "emails" / "manifest.json").read_text())
            if entry["recipient"] == "komite-justis"][0]["lead"]
    body = (folder / "komite-justis.txt").read_text(encoding="utf-8")
    assert len([line for line in body.splitlines() if line.startswith("- ")]) == len(lead)
    assert "ba komiteen ta stilling til" in body

    with SmtpServer() as server:
        set_smtp(campaign, server.port)
        dry = invoke("send", "--campaign", str(campaign), "--rate", "0")
        assert dry.exit_code == 0, dry.output
        assert f"Allerede sendt: {len(PACK)}." in dry.output
        assert len([line for line in dry.output.splitlines() if "Påminnelse: Menneskehandel" in line]) == len(expected)
        assert not server.received
        sent = invoke("send", "--campaign", str(campaign), "--rate", "0", "--send", "--yes")
        assert sent.exit_code == 0, sent.output
        assert server.handler.by_recipient() == {r: 1 for r in expected}
        assert all(item.message["In-Reply-To"] for item in server.received)

        # A later run: nobody gets a second reminder, and send has nothing more to send.
        later = invoke("letters", "--reminders", "--campaign", str(campaign), "--date", day(40))
        assert later.exit_code == 0, later.output
        assert "Ingen påminnelser å skrive i dag" in later.output
        assert f"Har fått påminnelse før, får ikke en til: {len(expected)}" in later.output
        again = invoke("send", "--campaign", str(campaign), "--rate", "0", "--send", "--yes")
        assert again.exit_code == 0 and "Ingenting å sende." in again.output
        assert len(server.received) == len(expected)


def test_an_answer_after_the_reminder_was_written_removes_it_before_sending(campaign):
    assert invoke("letters", "--reminders", "--campaign", str(campaign), "--date", day(22)).exit_code == 0
    assert (campaign / "ut" / "purringer" / "aid.eml").exists()
    record(campaign, "aid", "answer", 3)
    rerun = invoke("letters", "--reminders", "--campaign", str(campaign), "--date", day(22))
    assert "Har svart, får ingen påminnelse: 1 (aid)." in rerun.output
    assert not (campaign / "ut" / "purringer" / "aid.eml").exists()
    manifest = json.loads((campaign / "ut" / "purringer" / "manifest.json").read_text(encoding="utf-8"))
    assert "aid" not in {entry["recipient"] for entry in manifest}


def test_a_bounced_letter_gets_no_reminder_and_nynorsk_recipients_get_nynorsk(campaign):
    record(campaign, "mp-hostile", "bounce", 4)
    with Journal.open(campaign / ".toolkit" / "send-journal.sqlite", create=False) as journal:
        rows = journal.rows()
    assert next(r for r in rows.values() if r.recipient == "mp-hostile").state == "failed"
    from helpers import read_rows, write_rows

    rows = read_rows(campaign / "recipients.csv")
    for row in rows:
        if row["id"] == "ud":
            row["language"] = "nn"
    write_rows(campaign / "recipients.csv", rows)
    result = invoke("letters", "--reminders", "--campaign", str(campaign), "--date", day(25))
    assert result.exit_code == 0, result.output
    assert "Brevet kom ikke fram (feilet eller avvist), så ingen påminnelse: mp-hostile." in result.output
    assert not (campaign / "ut" / "purringer" / "mp-hostile.eml").exists()
    nynorsk = (campaign / "ut" / "purringer" / "ud.txt").read_text(encoding="utf-8")
    assert "Vi har ikkje sett at det har kome svar" in nynorsk and "Med venleg helsing" in nynorsk
    subject = decoded(email.message_from_bytes((campaign / "ut" / "purringer" / "ud.eml").read_bytes())["Subject"])
    assert subject.startswith("Påminning: ")


def test_remind_after_days_is_read_from_campaign_yaml(campaign):
    path = campaign / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("letters:\n", "letters:\n  remind_after_days: 7\n", 1),
                    encoding="utf-8")
    result = invoke("letters", "--reminders", "--campaign", str(campaign), "--date", day(7))
    assert result.exit_code == 0 and f"Påminnelser skrevet: {len(PACK)}" in result.output
