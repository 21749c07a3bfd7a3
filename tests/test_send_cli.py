"""`toolkit send` as an organiser uses it, against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import csv
import io
import json
import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import keyring
import pytest
import trustme
from click.testing import CliRunner
from helpers import read_rows, run, write_rows
from keyring.backend import KeyringBackend
from send_helpers import HOSTILE_NAME, PACK, build_pack, make_sendable, set_smtp
from smtp_server import SmtpServer

from toolkit.cli import cli
from toolkit.send.journal import journal_path
from toolkit.send.mailer import find_password

PASSWORD = "Kvinner-æøå-2026!"


@pytest.fixture
def server():
    with SmtpServer() as running:
        yield running


@pytest.fixture
def pack(campaign_dir, server):
    make_sendable(campaign_dir)
    set_smtp(campaign_dir, server.port)
    build_pack(campaign_dir)
    return campaign_dir


def send(pack, *args, input=None):
    return CliRunner().invoke(cli, ["send", "--campaign", str(pack), "--rate", "0", *args], input=input, catch_exceptions=False)


def journal_states(pack) -> dict[str, str]:
    with sqlite3.connect(journal_path(pack)) as db:
        return dict(db.execute("SELECT recipient, state FROM messages"))


def test_dry_run_lists_every_message_and_sends_nothing(pack, server):
    rows = read_rows(pack / "recipients.csv")
    for row in rows:
        if row["id"] == "ud":
            row["email_verified"] = "nei"
    write_rows(pack / "recipients.csv", rows)
    build_pack(pack)
    result = send(pack)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    listed = [line for line in lines if line.startswith("  Til ")]
    assert len(listed) == len(PACK) - 1
    assert any("Åse Ærlig-Øvrebø <ase@example.org>" in line and "Menneskehandel er vold mot kvinner" in line and " kB" in line
               for line in listed)
    assert any(f"Til {HOSTILE_NAME} <hostile@example.org>" in line for line in listed)
    assert "Hoppes over: 1 adresse er ikke verifisert" in result.output
    assert "  Utenriksdepartementet <ud@example.org>" in lines
    assert lines[-1].endswith("Send med: toolkit send --send --campaign " + str(pack) + " --rate 0")
    assert "ingenting er sendt" in lines[-1]
    assert server.handler.connections == 0 and not server.received
    assert not journal_path(pack).exists()
    with_unverified = send(pack, "--include-unverified")
    assert len([line for line in with_unverified.output.splitlines() if line.startswith("  Til ")]) == len(PACK)


def test_send_asks_once_then_sends_each_message_once(pack, server):
    result = send(pack, "--send", input="ja\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("[j/N]") == 1
    assert f"Sendt: {len(PACK)}." in result.output
    assert server.handler.by_recipient() == {recipient: 1 for recipient in PACK}
    assert set(journal_states(pack).values()) == {"sent"}
    again = send(pack, "--send", "--yes")
    assert again.exit_code == 0 and f"Allerede sendt: {len(PACK)}." in again.output and "Ingenting å sende." in again.output
    assert len(server.received) == len(PACK)


def test_saying_no_sends_nothing(pack, server):
    result = send(pack, "--send", input="n\n")
    assert result.exit_code == 1
    assert "Ingenting er sendt" in result.output
    assert not server.received and server.handler.connections == 0


def test_changed_content_is_reported_and_sent_again_only_with_resend(pack, server):
    assert send(pack, "--send", "--yes").exit_code == 0
    build_pack(pack, date="2026-11-26")  # the same letters with another date: new content
    result = send(pack, "--send", "--yes")
    assert result.exit_code == 0
    assert f"ENDRET: {len(PACK)} e-poster er endret etter at de ble sendt" in result.output
    assert "--resend" in result.output and len(server.received) == len(PACK)
    resent = send(pack, "--send", "--yes", "--resend")
    assert resent.exit_code == 0 and f"Sendt: {len(PACK)}." in resent.output
    assert len(server.received) == 2 * len(PACK)
    first, second = server.received[0], server.received[len(PACK)]
    assert first.message["Message-ID"] == second.message["Message-ID"]
    assert first.message["Date"] != second.message["Date"]


def test_an_uncertain_message_is_reported_and_not_sent_again_unless_asked(pack, server):
    assert send(pack, "--send", "--yes").exit_code == 0
    with sqlite3.connect(journal_path(pack)) as db:
        db.execute("UPDATE messages SET state = 'sending' WHERE recipient = 'mp-test'")
    result = send(pack, "--send", "--yes")
    assert result.exit_code == 0
    assert "USIKKER: 1 e-post kan ha kommet fram" in result.output and "Åse Ærlig-Øvrebø <ase@example.org>" in result.output
    assert "--resend-uncertain" in result.output
    assert len(server.received) == len(PACK)
    status = send(pack, "--status")
    assert "usikker (kan ha kommet fram): 1" in status.output and "mp-test <ase@example.org>" in status.output
    again = send(pack, "--send", "--yes", "--resend-uncertain")
    assert again.exit_code == 0 and "Sendt: 1." in again.output
    assert server.handler.by_recipient()["mp-test"] == 2
    assert journal_states(pack)["mp-test"] == "sent"


def test_a_rejected_recipient_fails_the_run_and_is_exported(pack, server):
    server.handler.rejected["ud@example.org"] = "550 5.1.1 <ud@example.org>: =Mottakeren finnes ikke"
    result = send(pack, "--send", "--yes")
    assert result.exit_code == 1
    assert f"Sendt: {len(PACK) - 1}." in result.output and "Feilet: 1." in result.output
    assert "FEILET: Utenriksdepartementet <ud@example.org>: 550 5.1.1 <ud@example.org>: =Mottakeren finnes ikke" in result.output
    raw = (pack / "ut" / "send-feil.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert [(r["mottaker"], r["adresse"], r["forsøk"]) for r in rows] == [("ud", "ud@example.org", "1")]
    assert rows[0]["feil"] == "550 5.1.1 <ud@example.org>: =Mottakeren finnes ikke"
    status = send(pack, "--status")
    assert status.exit_code == 0
    assert "feilet: 1" in status.output and f"sendt: {len(PACK) - 1}" in status.output
    # Once the address works, a rerun sends the failed message and the failure list goes away.
    server.handler.rejected.clear()
    retry = send(pack, "--send", "--yes")
    assert retry.exit_code == 0 and "Feilet forrige gang og forsøkes igjen: 1." in retry.output
    assert server.handler.by_recipient()["ud"] == 1
    assert not (pack / "ut" / "send-feil.csv").exists()


def test_a_changed_file_or_recipient_is_refused_before_anything_is_sent(pack, server):
    eml = pack / "ut" / "emails" / "jd.eml"
    eml.write_bytes(eml.read_bytes() + b"P.S. Lagt til for hand etterpaa.\r\n")
    rows = read_rows(pack / "recipients.csv")
    for row in rows:
        if row["id"] == "ud":
            row["email"] = "ny@example.org"
    write_rows(pack / "recipients.csv", rows)
    result = send(pack, "--send", "--yes")
    assert result.exit_code == 2
    assert "ut/emails/jd.eml: Filen er endret etter at den ble laget" in result.output
    assert "ut/emails/ud.eml: Adressen til Utenriksdepartementet er endret i recipients.csv" in result.output
    assert "toolkit build" in result.output and "Traceback" not in result.output
    assert server.handler.connections == 0


def test_build_says_what_is_ready_to_send(campaign_dir):
    make_sendable(campaign_dir, verified=3)
    result = run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    # One e-mail per letter: the recipients that own a demand, and the MPs.
    total = len(json.loads((campaign_dir / "ut" / "emails" / "manifest.json").read_text(encoding="utf-8")))
    assert (f"E-post: 3 klare til sending. Se dem med «toolkit send», send med «toolkit send --send». "
            f"{total - 3} e-poster til uverifiserte adresser sendes ikke uten --include-unverified.") in result.output


def test_nothing_built_yet(campaign_dir):
    result = run("send", "--campaign", str(campaign_dir))
    assert result.exit_code == 1
    assert "Kjør «toolkit build» først" in result.output


def test_a_damaged_journal_stops_sending_and_is_kept(pack, server):
    journal = journal_path(pack)
    journal.parent.mkdir(exist_ok=True)
    journal.write_bytes(b"\x00" * 5000)
    result = send(pack, "--send", "--yes")
    assert result.exit_code == 1
    assert "er skadet" in result.output and "ikke erstattet" in result.output
    assert journal.read_bytes() == b"\x00" * 5000
    assert not server.received
    assert "er skadet" in send(pack, "--status").output


def test_outside_the_sending_window_nothing_is_asked_or_sent(pack, server):
    tomorrow = (datetime.now(ZoneInfo("Europe/Oslo")) + timedelta(days=2)).strftime("%a").lower()[:3]
    set_smtp(pack, server.port, window=f"{{days: [{tomorrow}], start: \"08:00\", end: \"18:00\"}}")
    result = send(pack, "--send")
    assert result.exit_code == 1
    assert "utenfor sendevinduet" in result.output and "Det åpner" in result.output and "--wait" in result.output
    assert "[j/N]" not in result.output
    assert server.handler.connections == 0 and not journal_path(pack).exists()


@pytest.mark.parametrize("options, expected", [
    (["--smtp-port", "0"], "FEIL: kommandolinjen, valget «--smtp-port»: Tallet 0 er utenfor det tillatte (1–65535)."),
    (["--smtp-port", "70000"], "FEIL: kommandolinjen, valget «--smtp-port»: Tallet 70000 er utenfor det tillatte (1–65535)."),
    (["--rate", "-1"], "FEIL: kommandolinjen, valget «--rate»: Tallet -1 er utenfor det tillatte (0–10000)."),
    (["--smtp-host", "smtp://mail.example.org:587"],
     "FEIL: kommandolinjen, valget «--smtp-host»: «smtp://mail.example.org:587» er ikke et gyldig servernavn."),
    (["--smtp-host", "mail example.org"], "FEIL: kommandolinjen, valget «--smtp-host»: «mail example.org» er ikke et gyldig servernavn."),
    (["--smtp-user", "kampanje\nRCPT TO:<x@example.org>"],
     "FEIL: kommandolinjen, valget «--smtp-user»: Inneholder linjeskift eller kontrolltegn."),
])
def test_a_bad_option_is_named_and_nothing_is_sent(pack, server, options, expected):
    for really in ([], ["--send", "--yes"]):
        result = send(pack, *really, *options)
        assert result.exit_code == 2, result.output
        assert any(line.startswith(expected) for line in result.output.splitlines()), result.output
        assert "SMTP-innstillingene har 1 feil. Rett feilene over" in result.output
        assert "Traceback" not in result.output and "Dette var en prøvekjøring" not in result.output
        assert server.handler.connections == 0 and not journal_path(pack).exists()


def test_sending_without_a_server_names_the_field_and_the_option(pack, server):
    path = pack / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  host: 127.0.0.1\n", ""), encoding="utf-8")
    assert send(pack).exit_code == 0  # a dry run needs no server
    result = send(pack, "--send", "--yes")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert any(line.startswith("FEIL: campaign.yaml, linje ") and "felt «smtp.host»: Mangler SMTP-server. Sett smtp.host i "
               "campaign.yaml, eller bruk --smtp-host." in line for line in result.output.splitlines()), result.output
    assert server.handler.connections == 0 and not journal_path(pack).exists()
    given = send(pack, "--send", "--yes", "--smtp-host", "127.0.0.1")
    assert given.exit_code == 0 and len(server.received) == len(PACK), given.output


def test_an_option_is_checked_with_the_settings_it_joins(pack, server):
    """--smtp-port 465 with campaign.yaml's security: none is no error, but starttls on 465 is worth a warning."""
    set_smtp(pack, server.port, security="starttls")
    result = send(pack, "--smtp-port", "465")
    assert result.exit_code == 0, result.output
    assert ("ADVARSEL: kommandolinjen, valget «--smtp-port»: Port 465 brukes vanligvis med security: ssl, ikke starttls. "
            "Sjekk leverandørens oppsett: 587 med starttls, 465 med ssl.") in result.output.splitlines()
    assert "via 127.0.0.1:465" in result.output
    quiet = send(pack, "--smtp-port", "465", "--security", "ssl")
    assert quiet.exit_code == 0 and "Port 465" not in quiet.output and "kommandolinjen" not in quiet.output, quiet.output
    assert "Port 465" not in send(pack).output


def test_a_good_option_is_used(pack, server):
    result = send(pack, "--send", "--yes", "--smtp-host", "localhost", "--smtp-port", str(server.port))
    assert result.exit_code == 0, result.output
    assert len(server.received) == len(PACK)


@pytest.fixture
def tls_pack(campaign_dir, tmp_path, monkeypatch):
    """A campaign sending through STARTTLS with a login; the test CA is trusted through SSL_CERT_FILE."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    with SmtpServer(security="starttls", cert=ca.issue_cert("127.0.0.1"), users={"kampanje@example.org": PASSWORD}) as server:
        make_sendable(campaign_dir)
        set_smtp(campaign_dir, server.port, security="starttls", user="kampanje@example.org")
        build_pack(campaign_dir)
        yield campaign_dir, server


def test_without_a_password_nothing_is_sent_and_the_way_to_set_it_is_named(tls_pack):
    pack, server = tls_pack
    result = send(pack, "--send", "--yes")
    assert result.exit_code == 1
    assert "keyring set toolkit-smtp kampanje@example.org" in result.output and "TOOLKIT_SMTP_PASSWORD" in result.output
    assert server.handler.connections == 0 and not journal_path(pack).exists()


def test_the_password_is_used_and_never_written_or_shown(tls_pack, monkeypatch):
    pack, server = tls_pack
    monkeypatch.setenv("TOOLKIT_SMTP_PASSWORD", "feil-passord")
    wrong = send(pack, "--send", "--yes")
    assert wrong.exit_code == 1
    assert "godtok ikke innloggingen for kampanje@example.org" in wrong.output and f"127.0.0.1:{server.port}" in wrong.output
    assert not server.received
    monkeypatch.setenv("TOOLKIT_SMTP_PASSWORD", PASSWORD)
    outputs = [wrong.output]
    for args in ((), ("--send", "--yes"), ("--status",)):
        result = send(pack, *args)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert len(server.received) == len(PACK)
    assert "kampanje@example.org" in server.auth_attempts
    secrets = [PASSWORD.encode(), base64.b64encode(PASSWORD.encode()), base64.b64encode(f"\0kampanje@example.org\0{PASSWORD}".encode())]
    written = [path for path in pack.rglob("*") if path.is_file()]
    assert any(path.name == "send-journal.sqlite" for path in written)
    for path in written:
        data = path.read_bytes()
        assert not any(secret in data for secret in secrets), path
    for output in outputs:
        assert PASSWORD not in output and "feil-passord" not in output


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self, passwords=None, broken=False):
        super().__init__()
        self.passwords = passwords or {}
        self.broken = broken

    def get_password(self, service, username):
        if self.broken:
            raise RuntimeError("nøkkelringen er låst")
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        self.passwords.pop((service, username), None)


def test_password_from_the_keyring_and_a_broken_keyring(monkeypatch):
    previous = keyring.get_keyring()
    try:
        keyring.set_keyring(MemoryKeyring({("toolkit-smtp", "kampanje"): PASSWORD}))
        assert find_password("kampanje") == PASSWORD
        assert find_password("en-annen") is None
        monkeypatch.setenv("TOOLKIT_SMTP_PASSWORD", "fra-miljøet")
        assert find_password("kampanje") == "fra-miljøet"
        monkeypatch.delenv("TOOLKIT_SMTP_PASSWORD")
        keyring.set_keyring(MemoryKeyring(broken=True))
        assert find_password("kampanje") is None
    finally:
        keyring.set_keyring(previous)


def test_stale_recipient_data_is_warned_about_before_sending(pack, server):
    rows = read_rows(pack / "recipients.csv")
    for row in rows:
        if row["id"] == "jd":
            row["verified_on"] = "2025-01-15"
    write_rows(pack / "recipients.csv", rows)
    build_pack(pack)
    result = send(pack)
    assert result.exit_code == 0
    assert "ADVARSEL: 1 mottaker har opplysninger som ble sjekket for mer enn 180 dager siden" in result.output
    assert "  Justis- og beredskapsdepartementet (sist sjekket 15.01.2025)" in result.output
    assert not server.received


def test_sending_uses_the_built_letters_and_does_not_render_them_again(pack, server, monkeypatch):
    # toolkit build rendered and checked every letter; send checks the e-mails against the outbox
    # (manifest, hashes, addresses) instead, so a campaign of 10,000 recipients does not render 10,000
    # letters again before the first message.
    import toolkit.validate

    rendered = []
    render_every_letter = toolkit.validate.render_every_letter
    monkeypatch.setattr("toolkit.validate.render_every_letter", lambda *args: rendered.append(args) or render_every_letter(*args))
    result = send(pack, "--send", "--yes")
    assert result.exit_code == 0, result.output
    assert server.handler.by_recipient() == {recipient: 1 for recipient in PACK}
    assert rendered == []
    # validate (and every command that writes letters) still renders every one of them.
    checked = CliRunner().invoke(cli, ["validate", "--campaign", str(pack)], catch_exceptions=False)
    assert checked.exit_code == 0, checked.output
    assert len(rendered) == 1
