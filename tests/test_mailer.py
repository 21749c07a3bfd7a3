"""Sending over SMTP against a real aiosmtpd server: what arrives, TLS and login, faults, rate and window."""

from __future__ import annotations

import ssl
from datetime import datetime, timedelta, timezone

import pytest
import trustme
from conftest import LETTER_DATE
from send_helpers import HOSTILE_NAME, build_pack, make_sendable
from smtp_server import DISCONNECT, SmtpServer

from toolkit.core.model import SendWindow, SmtpSettings
from toolkit.send.journal import FAILED, SENT, Journal
from toolkit.send.mailer import (
    Clock,
    OutsideWindow,
    SendOptions,
    ServerError,
    SmtpConnection,
    send_messages,
    window_opens,
)
from toolkit.send.outbox import load_outbox
from toolkit.validate import check_campaign

PASSWORD = "hemmelig-Æ9-passord"


class FakeClock(Clock):
    """A clock that moves only when the sender sleeps."""

    def __init__(self, start: datetime):
        self.moment = start
        self.slept: list[float] = []
        super().__init__(now=lambda: self.moment, sleep=self._sleep)

    def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.moment += timedelta(seconds=seconds)


# Wednesday 25 November 2026, 10:00 in Oslo.
WEDNESDAY_MORNING = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture(scope="module")
def cert(ca):
    return ca.issue_cert("127.0.0.1", "localhost")


@pytest.fixture
def client_context(ca):
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def campaign(campaign_dir):
    make_sendable(campaign_dir)
    build_pack(campaign_dir)
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    assert not problems.errors
    return campaign


def messages_of(campaign, ids=None):
    outbox = load_outbox(campaign)
    if ids is None:
        return [m for m in outbox.messages if m.verified]
    by_id = {m.recipient: m for m in outbox.messages}
    return [by_id[i] for i in ids]


def send(campaign, server, messages, *, clock=None, context=None, user="", password=None, security="none",
         rate=0, window=None, wait=False):
    settings = SmtpSettings(host="127.0.0.1", port=server.port, security=security, user=user)
    connection = SmtpConnection(settings, password, ssl_context=context, timeout=10)
    options = SendOptions(envelope_from=campaign.organisation.email, rate_per_minute=rate, window=window, wait=wait)
    with Journal.open(campaign.output_dir / "send-journal.sqlite", create=True, lock=True) as journal:
        report = send_messages(messages, journal, connection, options, clock=clock or FakeClock(WEDNESDAY_MORNING))
        rows = journal.rows()
    return report, rows


def test_what_arrives_is_the_rendered_file_byte_for_byte(campaign):
    messages = messages_of(campaign, ["jd", "mp-test", "mp-hostile"])
    with SmtpServer() as server:
        report, rows = send(campaign, server, messages)
    assert report.stop is None and len(report.sent) == 3 and not report.failed
    assert len(server.received) == 3
    for message, received in zip(messages, server.received, strict=True):
        assert received.data == message.path.read_bytes()
        assert received.rcpt_tos == [message.address]
        assert received.mail_from == "post@example.org"
        assert rows[message.message_id].state == SENT
    norwegian = server.received[1].message
    assert norwegian["To"].addresses[0].display_name == "Åse Ærlig-Øvrebø"
    assert server.received[1].header("Subject") == (
        "Menneskehandel er vold mot kvinner: fem krav fra Kvinnenettverket (eksempel) (ref. 16D-2026-MP-TEST)")
    assert norwegian["Message-ID"] == messages[1].message_id
    assert norwegian["From"].addresses[0].addr_spec == "post@example.org"
    assert norwegian["Reply-To"].addresses[0].addr_spec == "post@example.org"
    body = norwegian.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Kjære Åse Ærlig-Øvrebø" in body and "Med vennlig hilsen\n" in body
    assert "<br>" not in body and "<br" not in received.data.decode("ascii")
    hostile = server.received[2].message
    assert server.received[2].header("To") == f"{HOSTILE_NAME} <hostile@example.org>"
    assert HOSTILE_NAME in hostile.get_body(("plain",)).get_content()
    # The only attachment is the campaign's case (letters.attach_case), the same file for everyone.
    assert [a.get_filename() for a in hostile.iter_attachments()] == ["kampanjens-krav.docx"]


def test_attachment_arrives_intact(campaign_dir):
    make_sendable(campaign_dir, extra_mps=False)
    path = campaign_dir / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("attach_docx: false", "attach_docx: true"), encoding="utf-8")
    build_pack(campaign_dir, ids=("jd",))
    campaign, _ = check_campaign(campaign_dir, LETTER_DATE)
    with SmtpServer() as server:
        send(campaign, server, messages_of(campaign, ["jd"]))
    attachments = list(server.received[0].message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["brev-jd.docx", "kampanjens-krav.docx"]
    assert attachments[0].get_content() == (campaign.output_dir / "letters" / "jd.docx").read_bytes()
    assert attachments[1].get_content() == (campaign.output_dir / "kampanjens-krav.docx").read_bytes()


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_login(campaign, cert, client_context, security):
    with SmtpServer(security=security, cert=cert, users={"kampanje": PASSWORD}) as server:
        report, _ = send(campaign, server, messages_of(campaign)[:2], context=client_context, security=security,
                         user="kampanje", password=PASSWORD)
    assert len(report.sent) == 2 and len(server.received) == 2
    # The user name went to the server as given: yagmail would otherwise make it "kampanje@gmail.com".
    assert server.auth_attempts == ["kampanje"]


def test_wrong_password_stops_and_names_the_server(campaign, cert, client_context):
    with SmtpServer(security="starttls", cert=cert, users={"kampanje": PASSWORD}) as server:
        report, rows = send(campaign, server, messages_of(campaign), context=client_context, security="starttls",
                            user="kampanje", password="feil")
    assert isinstance(report.stop, ServerError)
    text = str(report.stop)
    assert f"127.0.0.1:{server.port}" in text and "passordet" in text and "feil" not in text.split("(")[0]
    assert not report.sent and not server.received
    assert all(row.state != SENT for row in rows.values())


def test_untrusted_certificate_stops(campaign, cert):
    with SmtpServer(security="ssl", cert=cert) as server:
        report, _ = send(campaign, server, messages_of(campaign), context=ssl.create_default_context(), security="ssl")
    assert isinstance(report.stop, ServerError)
    assert "sikre forbindelsen" in str(report.stop) and str(server.port) in str(report.stop)
    assert not server.received


def test_refused_connection_stops(campaign):
    with SmtpServer() as server:
        pass
    # The server has stopped: its port now refuses connections.
    report, rows = send(campaign, server, messages_of(campaign))
    assert isinstance(report.stop, ServerError) and "avvist" in str(report.stop)
    assert report.remaining == len(messages_of(campaign))
    assert all(row.state == "pending" for row in rows.values())


def test_temporary_errors_are_retried_with_backoff_and_reconnect(campaign):
    messages = messages_of(campaign)[:3]
    clock = FakeClock(WEDNESDAY_MORNING)
    with SmtpServer() as server:
        # First message: 451 once. Second: the connection drops after the data, before the reply:
        # the sender cannot know whether the server kept it, so it is uncertain and not tried again.
        # Third: 421 to the recipient (before any data), which also closes the connection.
        server.handler.script("DATA", "451 4.3.0 Prøv igjen senere", "", DISCONNECT)
        server.handler.script("RCPT", "", "", "", "421 4.7.0 For mange forbindelser")
        report, rows = send(campaign, server, messages, clock=clock)
        connections = server.handler.connections
    assert report.stop is None and not report.failed
    assert [m.message_id for m in report.sent] == [messages[0].message_id, messages[2].message_id]
    assert [m.message_id for m, _ in report.uncertain] == [messages[1].message_id]
    assert "etter at hele e-posten var overført" in report.uncertain[0][1]
    assert [r.recipient_id for r in server.received] == [messages[0].recipient, messages[2].recipient]
    assert report.retries == 2
    assert clock.slept == [2.0, 2.0]
    assert connections == 3  # the dropped connection and the 421 each needed a new one
    assert [rows[m.message_id].attempts for m in messages] == [2, 1, 2]
    assert [rows[m.message_id].state for m in messages] == [SENT, "sending", SENT]
    assert "overført" in rows[messages[1].message_id].last_error


def test_a_permanent_rejection_fails_that_message_and_sending_goes_on(campaign):
    messages = messages_of(campaign)[:3]
    with SmtpServer() as server:
        server.handler.rejected[messages[1].address] = "550 5.1.1 Mottakeren finnes ikke"
        report, rows = send(campaign, server, messages)
    assert [m.recipient for m, _ in report.failed] == [messages[1].recipient]
    assert report.failed[0][1] == "550 5.1.1 Mottakeren finnes ikke"
    assert len(report.sent) == 2 and len(server.received) == 2
    assert rows[messages[1].message_id].state == FAILED
    assert rows[messages[1].message_id].last_error == "550 5.1.1 Mottakeren finnes ikke"


def test_a_message_that_keeps_failing_temporarily_fails_after_five_attempts(campaign):
    messages = messages_of(campaign)[:2]
    clock = FakeClock(WEDNESDAY_MORNING)
    with SmtpServer() as server:
        server.handler.script("DATA", *["452 4.2.2 Postkassen er full"] * 5)
        report, rows = send(campaign, server, messages, clock=clock)
    assert [m.recipient for m, _ in report.failed] == [messages[0].recipient]
    assert rows[messages[0].message_id].attempts == 5
    assert "etter 5 forsøk" in rows[messages[0].message_id].last_error
    assert clock.slept == [2.0, 4.0, 8.0, 16.0]
    assert [r.recipient_id for r in server.received] == [messages[1].recipient]


def test_a_refused_sender_stops_the_run(campaign):
    with SmtpServer() as server:
        server.handler.script("MAIL", "553 5.7.1 Avsenderen er ikke tillatt")
        report, rows = send(campaign, server, messages_of(campaign))
    assert isinstance(report.stop, ServerError) and "post@example.org" in str(report.stop)
    assert not server.received and all(row.state == "pending" for row in rows.values())


def test_rate_limit_spaces_messages(campaign):
    clock = FakeClock(WEDNESDAY_MORNING)
    with SmtpServer() as server:
        report, _ = send(campaign, server, messages_of(campaign)[:3], clock=clock, rate=30)
    assert len(report.sent) == 3
    assert clock.slept == [2.0, 2.0]


def test_outside_the_window_nothing_is_sent_and_the_opening_is_named(campaign):
    window = SendWindow(("mon", "tue", "wed", "thu", "fri"), "08:00", "18:00")
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
    with SmtpServer() as server:
        report, _ = send(campaign, server, messages_of(campaign), clock=FakeClock(saturday), window=window)
        assert not server.received
    assert isinstance(report.stop, OutsideWindow)
    assert "mandag 30. november kl. 08:00" in str(report.stop) and "--wait" in str(report.stop)
    clock = FakeClock(saturday)
    with SmtpServer() as server:
        report, _ = send(campaign, server, messages_of(campaign)[:2], clock=clock, window=window, wait=True)
        assert len(server.received) == 2
    assert clock.moment >= datetime(2026, 11, 30, 7, 0, tzinfo=timezone.utc)


def test_window_edges():
    window = SendWindow(("mon", "tue", "wed", "thu", "fri"), "08:00", "18:00")
    oslo_evening = datetime(2026, 11, 27, 17, 0, tzinfo=timezone.utc)  # Friday 18:00 in Oslo
    assert window_opens(window, "Europe/Oslo", oslo_evening - timedelta(minutes=1)) is None
    assert window_opens(window, "Europe/Oslo", oslo_evening).isoformat() == "2026-11-30T08:00:00+01:00"
    assert window_opens(window, "Europe/Oslo", datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc)).isoformat() == "2026-11-25T08:00:00+01:00"
    assert window_opens(None, "Europe/Oslo", oslo_evening) is None


def test_validate_reports_smtp_settings_with_their_line(campaign_dir):
    from helpers import run
    from send_helpers import set_smtp

    set_smtp(campaign_dir, 465, security="starttls", user="kampanje", window='{days: [mon], start: "18:00", end: "08:00"}')
    path = campaign_dir / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("host: 127.0.0.1", "host: smtp.example.org").replace(
        "security: starttls", "security: none"), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    window_line = next(i for i, line in enumerate(lines, 1) if line.startswith("  window:"))
    security_line = next(i for i, line in enumerate(lines, 1) if line.startswith("  security:"))
    result = run("validate", "--campaign", str(campaign_dir))
    assert result.exit_code == 2
    assert (f"campaign.yaml, linje {window_line}, felt «smtp.window.end»: Sendevinduet slutter (08:00) før det starter "
            "(18:00).") in result.output
    assert f"campaign.yaml, linje {security_line}, felt «smtp.security»: Med security: none går passordet ukryptert" in result.output
    set_smtp(campaign_dir, 465, security="starttls")
    result = run("validate", "--campaign", str(campaign_dir))
    assert result.exit_code == 0
    assert "felt «smtp.port»: Port 465 brukes vanligvis med security: ssl, ikke starttls." in result.output


def test_validate_checks_the_server_name_and_numbers_in_campaign_yaml(campaign_dir):
    from helpers import run
    from send_helpers import set_smtp

    set_smtp(campaign_dir, 0, timeout=900)
    path = campaign_dir / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("host: 127.0.0.1", "host: smtp.example.org:587"), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    smtp = lines.index("smtp:")
    line_of = {key: next(i for i, line in enumerate(lines[smtp:], smtp + 1) if line.startswith(f"  {key}:"))
               for key in ("host", "port", "timeout")}
    result = run("validate", "--campaign", str(campaign_dir))
    assert result.exit_code == 2 and "Traceback" not in result.output
    output = result.output.splitlines()
    assert (f"FEIL: campaign.yaml, linje {line_of['host']}, felt «smtp.host»: «smtp.example.org:587» er ikke et gyldig servernavn. "
            "Skriv bare navnet, for eksempel smtp.example.org: uten «smtp://», mellomrom og portnummer.") in output
    assert f"FEIL: campaign.yaml, linje {line_of['port']}, felt «smtp.port»: Tallet 0 er utenfor det tillatte (1–65535)." in output
    assert f"FEIL: campaign.yaml, linje {line_of['timeout']}, felt «smtp.timeout»: Tallet 900 er utenfor det tillatte (1–600)." in output


@pytest.mark.parametrize("host, valid", [
    ("smtp.example.org", True), ("localhost", True), ("127.0.0.1", True), ("::1", True), ("smtp.ås.no", True),
    ("smtp.example.org.", True), ("smtp.example.org:587", False), ("smtp://smtp.example.org", False), ("smtp example.org", False),
    ("-smtp.example.org", False), ("smtp..example.org", False), ("smtp.example.org/", False), ("a" * 64 + ".no", False),
])
def test_server_names(host, valid):
    from toolkit.send.settings import valid_host

    assert valid_host(host) is valid


def test_lines_that_start_with_a_dot_arrive_unchanged():
    data = (b"From: post@example.org\r\nTo: jd@example.org\r\nSubject: Punktum\r\n\r\n"
            b".\r\n..to punktum\r\n.en linje\r\nsiste linje uten linjeskift")
    with SmtpServer() as server:
        connection = SmtpConnection(SmtpSettings(host="127.0.0.1", port=server.port, security="none"), None)
        connection.open()
        connection.send("post@example.org", "jd@example.org", data)
        connection.close()
    assert server.received[0].data == data + b"\r\n"
    assert server.received[0].rcpt_tos == ["jd@example.org"]


def test_a_stop_request_ends_the_run_between_messages(campaign):
    messages = messages_of(campaign)[:3]
    done: list[str] = []
    with SmtpServer() as server:
        settings = SmtpSettings(host="127.0.0.1", port=server.port, security="none")
        with Journal.open(campaign.output_dir / "send-journal.sqlite", create=True, lock=True) as journal:
            report = send_messages(
                messages, journal, SmtpConnection(settings, None), SendOptions(envelope_from="post@example.org", rate_per_minute=0),
                clock=FakeClock(WEDNESDAY_MORNING), progress=lambda message, error: done.append(message.recipient),
                stop_requested=lambda: len(done) == 1,
            )
            states = {row.recipient: row.state for row in journal.rows().values()}
    assert [m.recipient for m in report.sent] == [messages[0].recipient] and len(server.received) == 1
    assert "Kjør samme kommando på nytt for å fortsette" in str(report.stop) and report.remaining == 2
    assert states == {messages[0].recipient: "sent", messages[1].recipient: "pending", messages[2].recipient: "pending"}
