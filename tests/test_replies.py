"""`toolkit replies` against a real IMAP server (Dovecot on loopback) holding every kind of message."""

from __future__ import annotations

import email
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import trustme
from conftest import copy_campaign
from imap_server import PASSWORD, USER, Dovecot, Proxy, needs_dovecot
from reply_helpers import BIG, EXPECTED, campaign_mail, replies_rows, run_replies, sent_campaign, set_imap

pytestmark = needs_dovecot
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """One campaign whose letters went out; each test works on its own copy."""
    base = tmp_path_factory.mktemp("sendt")
    return sent_campaign(base / "kampanje", copy_campaign(base / "kilde"))


@pytest.fixture(scope="module")
def mailbox(ca, sent):
    with Dovecot(ca) as server:
        inbox, archive = campaign_mail(sent)
        # Mail from before the first letter went out is not looked at, even from an address written to.
        old = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
        server.append("INBOX", b"From: jd@example.org\r\nSubject: Gammel sak\r\nDate: Sun, 01 Jun 2025 12:00:00 +0000\r\n"
                               b"Message-ID: <gammel@jd.example>\r\n\r\nFra i fjor.\r\n", when=old)
        server.append("INBOX", *inbox)
        server.append("Arkiv", *archive)
        yield server


@pytest.fixture
def campaign(sent, tmp_path, mailbox, ca, monkeypatch):
    import shutil

    target = tmp_path / "kampanje"
    shutil.copytree(sent, target)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    monkeypatch.setenv("TOOLKIT_IMAP_PASSWORD", PASSWORD)
    set_imap(target, mailbox.tls_port)
    return target


def by_recipient(rows) -> dict[str, tuple]:
    found = {}
    for _folder, _uid, kind, recipient, matched_by, _file in rows:
        key = recipient or kind
        assert key not in found, f"{key} recorded twice"
        found[key] = (kind, recipient, matched_by)
    return found


def test_every_kind_of_message_is_classified_and_nothing_is_changed_on_the_server(campaign, mailbox):
    flags_before = {folder: mailbox.flags(folder) for folder in ("INBOX", "Arkiv")}
    result = run_replies(campaign)
    assert result.exit_code == 0, result.output
    rows = replies_rows(campaign)
    assert by_recipient(rows) == EXPECTED
    out = result.output
    assert "Svar: 6" in out and "Automatiske svar (regnes ikke som svar): 1" in out
    assert "Kom ikke fram (merket som feilet i sendejournalen): 1" in out and "550 5.1.1" in out
    assert "Uten treff" in out and "ukjent@annet.example" in out and "samme e-postdomene" in out
    # 10 in INBOX (not the one from 2025) and 5,001 in Arkiv were new; the copy of the JD answer in Arkiv
    # is not recorded again.
    assert "Nye e-poster i mappene siden" in out and ": 5011;" in out
    assert "Hentet før (samme e-post i en annen mappe): 1." in out
    # Read-only: no message got \Seen or lost one, none was moved or deleted.
    assert {folder: mailbox.flags(folder) for folder in ("INBOX", "Arkiv")} == flags_before
    assert mailbox.count("INBOX") == 11 and mailbox.count("Arkiv") == 5001
    # The bounce marked the address as failed in the send journal; the others stay sent.
    with sqlite3.connect(campaign / ".toolkit" / "send-journal.sqlite") as db:
        states = dict(db.execute("SELECT recipient, state FROM messages"))
        errors = dict(db.execute("SELECT recipient, last_error FROM messages"))
        answers = {r: (sender, subject, excerpt) for r, sender, subject, excerpt in
                   db.execute("SELECT recipient, sender, subject, excerpt FROM replies WHERE kind = 'answer'")}
    assert states["mp-hostile"] == "failed" and "5.1.1" in errors["mp-hostile"]
    assert {r for r, s in states.items() if s == "sent"} == set(EXPECTED) - {"mp-hostile", "unmatched"}
    sender, subject, excerpt = answers["jd"]
    assert sender == "Justis- og beredskapsdepartementet <jd@example.org>" and subject.startswith("SV: Menneskehandel")
    assert excerpt.startswith("Takk for brevet.") and ">" not in excerpt
    assert answers["mp-test"][0] == "Åse Ærlig-Øvrebø <ase@example.org>"
    assert answers["komite-justis"][0] == "Rådgiver i komiteen <radgiver.justis@example.org>"  # raw UTF-8 header
    assert answers["komite-ufk"][2] == "Komiteen takker for innspillet."
    # Every recorded message is saved as .eml and parses back; the 10 MB attachment is whole.
    saved = {file for *_, file in rows}
    assert saved == {p.relative_to(campaign / "ut").as_posix() for p in (campaign / "ut" / "svar").iterdir()}
    big = next(campaign / "ut" / f for f in saved if "mp-test" in f)
    assert big.stat().st_size > BIG
    attachment = [p for p in email.message_from_bytes(big.read_bytes()).walk() if p.get_filename() == "svar.pdf"]
    assert len(attachment[0].get_payload(decode=True)) == BIG
    listed = run_replies(campaign, "--list")
    assert listed.exit_code == 0 and "Svar: 6" in listed.output and "Uten treff: 1" in listed.output
    # The password is used, never written.
    for path in campaign.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
    assert PASSWORD not in result.output + listed.output


def test_without_imap_settings_the_block_to_add_is_named(campaign):
    path = campaign / "campaign.yaml"
    import re

    path.write_text(re.sub(r"(?m)^imap:\n(?:[ ].*\n|[ \t]*\n)*", "", path.read_text(encoding="utf-8")), encoding="utf-8")
    result = run_replies(campaign)
    assert result.exit_code == 1
    assert "legg til en «imap:»-blokk i campaign.yaml ved siden av «smtp:»" in result.output


def test_a_rerun_adds_nothing(campaign, mailbox):
    assert run_replies(campaign).exit_code == 0
    first = replies_rows(campaign)
    again = run_replies(campaign)
    assert again.exit_code == 0
    assert "Nye e-poster i mappene siden" in again.output and ": 0;" in again.output and "Ingen nye svar." in again.output
    assert replies_rows(campaign) == first
    # New mail after the first run is fetched, and only that.
    mailbox.append("INBOX", b"From: ud@example.org\r\nSubject: Tillegg\r\nMessage-ID: <tillegg@ud.example>\r\n\r\nEtt tillegg.\r\n")
    try:
        third = run_replies(campaign)
        assert ": 1;" in third.output and "Svar: 1" in third.output
        assert replies_rows(campaign)[:len(first)] == first and len(replies_rows(campaign)) == len(first) + 1
    finally:
        with mailbox.client() as client:
            client.select_folder("INBOX")
            client.delete_messages(client.search(["HEADER", "Message-ID", "tillegg@ud.example"]))
            client.expunge()


def start_replies(campaign: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "toolkit", "replies", "--campaign", str(campaign)],
                            cwd=campaign, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class KillOn:
    """Kill the client when it sends the ``nth`` command containing ``marker`` (before the server sees it)."""

    def __init__(self, marker: bytes, nth: int):
        self.marker, self.nth = marker, nth
        self.fired = False

    def __call__(self, sent: bytes):
        if not self.fired and sent.count(self.marker) >= self.nth:
            self.fired = True
            return "kill"
        return None


def test_a_run_killed_at_three_points_records_each_reply_exactly_once(campaign, mailbox):
    set_imap(campaign, 0, security="none")  # through the proxy, which must read the commands
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    points = [
        KillOn(b"BODY.PEEK[]", 1),  # fetching the first campaign message's body: nothing recorded yet
        KillOn(b"BODY.PEEK[]", 4),  # in the middle of INBOX, with answers recorded before it
        # INBOX done (one header fetch), the 5,000-message folder's first batch of headers done, the second asked for.
        KillOn(b"BODY.PEEK[HEADER]", 3),
    ]
    counts = []
    for point in points:
        proxy = Proxy(mailbox.port, point)
        set_imap(campaign, proxy.port, security="none")
        process = start_replies(campaign, env)
        proxy.kill = process.kill
        _, stderr = process.communicate(timeout=300)
        proxy.stop()
        assert point.fired and process.returncode == -9, stderr[-2000:]
        rows = replies_rows(campaign) if (campaign / ".toolkit" / "send-journal.sqlite").exists() else []
        by_recipient(rows)  # never twice
        counts.append(len(rows))
    assert counts[0] < counts[1] < counts[2] == len(EXPECTED)
    set_imap(campaign, mailbox.port, security="none")
    final = start_replies(campaign, env)
    stdout, stderr = final.communicate(timeout=300)
    assert final.returncode == 0, stderr
    # Only what was not looked at before: the Arkiv folder from its second batch of 500 on.
    assert f": {5001 - 500};" in stdout and "Ingen nye svar." in stdout
    rows = replies_rows(campaign)
    assert by_recipient(rows) == EXPECTED
    assert {file for *_, file in rows} == {p.relative_to(campaign / "ut").as_posix() for p in (campaign / "ut" / "svar").iterdir()}
    assert not list((campaign / "ut" / "svar").glob(".*.tmp"))


def nothing_recorded(campaign: Path) -> None:
    assert replies_rows(campaign) == []
    assert not (campaign / "ut" / "svar").exists()
    with sqlite3.connect(campaign / ".toolkit" / "send-journal.sqlite") as db:
        assert {s for (s,) in db.execute("SELECT state FROM messages")} == {"sent"}


def test_starttls_on_the_plain_port(campaign, mailbox):
    set_imap(campaign, mailbox.port, security="starttls")
    result = run_replies(campaign)
    assert result.exit_code == 0, result.output
    assert f"127.0.0.1:{mailbox.port} (starttls)" in result.output
    assert by_recipient(replies_rows(campaign)) == EXPECTED


def test_a_wrong_password(campaign, mailbox, monkeypatch):
    monkeypatch.setenv("TOOLKIT_IMAP_PASSWORD", "feil-passord")
    result = run_replies(campaign)
    assert result.exit_code == 1
    assert f"IMAP-serveren 127.0.0.1:{mailbox.tls_port} (ssl) godtok ikke innloggingen for {USER}" in result.output
    assert "feil-passord" not in result.output and "Traceback" not in result.output
    nothing_recorded(campaign)


def test_no_password_names_the_keyring_and_the_variable(campaign, monkeypatch):
    monkeypatch.delenv("TOOLKIT_IMAP_PASSWORD")
    result = run_replies(campaign)
    assert result.exit_code == 1
    assert f"keyring set toolkit-imap {USER}" in result.output and "TOOLKIT_IMAP_PASSWORD" in result.output


def test_a_certificate_that_cannot_be_verified(campaign, mailbox, tmp_path, monkeypatch):
    trustme.CA().cert_pem.write_to_path(str(tmp_path / "annen-ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "annen-ca.pem"))
    result = run_replies(campaign)
    assert result.exit_code == 1
    assert f"Sertifikatet til IMAP-serveren 127.0.0.1:{mailbox.tls_port} (ssl) kunne ikke bekreftes" in result.output
    nothing_recorded(campaign)


@pytest.mark.parametrize("change, expected", [
    (dict(security="ssl", port="plain"), "Den sikre forbindelsen til IMAP-serveren 127.0.0.1:{plain} (ssl) feilet"),
    (dict(security="none", port="closed"), "IMAP-serveren 127.0.0.1:{closed} (none) svarer ikke på tilkoblingen"),
    (dict(security="ssl", port="tls", host="finnes-ikke.invalid"), "Fant ikke IMAP-serveren finnes-ikke.invalid:{tls} (ssl)"),
    (dict(security="ssl", port="tls", folders="[INBOX, Svarmappe]"), "Mappen «Svarmappe» finnes ikke"),
    (dict(security="tls", port="tls"), "Innstillingene for IMAP-serveren 127.0.0.1:{tls} (ssl) i campaign.yaml er ikke brukbare"),
])
def test_bad_settings(campaign, mailbox, change, expected):
    from imap_server import free_port

    ports = {"plain": mailbox.port, "tls": mailbox.tls_port, "closed": free_port()}
    port = ports[change.pop("port")]
    set_imap(campaign, port, **change)
    result = run_replies(campaign)
    assert result.exit_code == 1, result.output
    assert expected.format(**ports) in result.output, result.output
    assert "Traceback" not in result.output
    if "Svarmappe" in expected:
        assert "Mappene på serveren: Arkiv, INBOX" in result.output
        # INBOX was read before the missing folder was found: what was recorded is right and whole.
        assert by_recipient(replies_rows(campaign)).keys() <= EXPECTED.keys()
    else:
        nothing_recorded(campaign)


def test_a_server_that_drops_the_connection(campaign, mailbox):
    drop = KillOn(b"BODY.PEEK[]", 3)
    proxy = Proxy(mailbox.port, drop)
    proxy.on_command = lambda sent: "drop" if drop(sent) else None
    set_imap(campaign, proxy.port, security="none")
    try:
        result = run_replies(campaign)
    finally:
        proxy.stop()
    assert result.exit_code == 1, result.output
    assert f"IMAP-serveren 127.0.0.1:{proxy.port} (none) brøt forbindelsen" in result.output
    assert "kjør «toolkit replies» på nytt" in result.output
    partial = replies_rows(campaign)
    assert len(partial) == 2  # the two messages before the dropped fetch, recorded whole
    set_imap(campaign, mailbox.port, security="none")
    assert run_replies(campaign).exit_code == 0
    assert by_recipient(replies_rows(campaign)) == EXPECTED


def test_imap_settings_are_checked_by_validate(campaign):
    set_imap(campaign, 993, extra="  password: hemmelig\n  colour: blå\n")
    from click.testing import CliRunner

    from toolkit.cli import cli

    result = CliRunner().invoke(cli, ["validate", "--campaign", str(campaign)])
    assert result.exit_code == 0, result.output
    assert "imap.password" in result.output and "Passord skal aldri stå i en fil" in result.output
    assert "imap.colour" in result.output
    refused = run_replies(campaign)
    assert refused.exit_code == 1 and "Passord skal aldri stå i en fil" in refused.output
