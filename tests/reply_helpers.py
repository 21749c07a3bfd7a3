"""A sent campaign and the mail that comes back to it, for the replies, reminders, status and purge tests.

The letters are really sent (to aiosmtpd on loopback), so the journal is the one `toolkit send` writes;
the mailbox is a real Dovecot (see imap_server.py) filled with the kinds of message an organisation gets.
"""

from __future__ import annotations

import base64
import email
import re
import shutil
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

from click.testing import CliRunner
from imap_server import PASSWORD, USER
from send_helpers import PACK, build_pack, make_sendable, set_smtp
from smtp_server import SmtpServer

from toolkit.cli import cli


def sent_campaign(target: Path, source: Path) -> Path:
    """Copy ``source`` (a fresh campaign) to ``target``, build the PACK letters and send them all."""
    shutil.copytree(source, target)
    make_sendable(target)
    with SmtpServer() as server:
        set_smtp(target, server.port)
        build_pack(target)
        result = CliRunner().invoke(cli, ["send", "--campaign", str(target), "--send", "--yes", "--rate", "0"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert len(server.received) == len(PACK)
    return target


def letter(campaign_dir: Path, recipient: str) -> email.message.Message:
    return email.message_from_bytes((campaign_dir / "ut" / "emails" / f"{recipient}.eml").read_bytes())


def set_imap(campaign_dir: Path, port: int, *, security: str = "ssl", host: str = "127.0.0.1",
             user: str = USER, folders: str = "[INBOX, Arkiv]", extra: str = "") -> None:
    path = campaign_dir / "campaign.yaml"
    text = re.sub(r"(?m)^imap:\n(?:[ ].*\n|[ \t]*\n)*", "", path.read_text(encoding="utf-8"))
    block = (f"imap:\n  host: {host}\n  port: {port}\n  security: {security}\n  user: {user}\n"
             f"  folders: {folders}\n{extra}")
    path.write_text(text.rstrip("\n") + "\n\n" + block, encoding="utf-8")


def now_header(minutes: int = 0) -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(minutes=minutes))


def mail(sender: str, subject: str, body: str, *, headers: dict[str, str] | None = None, message_id: str = "",
         minutes: int = 0) -> bytes:
    """A plain text message as a mail program writes it (UTF-8, CRLF)."""
    from email.header import Header

    lines = [f"From: {sender}", f"To: {USER}", f"Subject: {Header(subject, 'utf-8').encode()}",
             f"Date: {now_header(minutes)}"]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    lines += ["MIME-Version: 1.0", 'Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: 8bit"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n").encode("utf-8")


def with_attachment(sender: str, subject: str, body: str, size: int, headers: dict[str, str]) -> bytes:
    boundary = "grense-123"
    data = base64.encodebytes(bytes(range(256)) * (size // 256)).replace(b"\n", b"\r\n")
    head = [f"From: {sender}", f"To: {USER}", f"Subject: {subject}", f"Date: {now_header()}",
            "Message-ID: <stort-vedlegg@stortinget.example>", "MIME-Version: 1.0",
            f'Content-Type: multipart/mixed; boundary="{boundary}"']
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + (
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
        f"--{boundary}\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"svar.pdf\"\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n").encode("utf-8") + data + f"\r\n--{boundary}--\r\n".encode()


def dsn(failed_address: str, original_id: str) -> bytes:
    """A delivery status notification (RFC 3464) for a message that could not be delivered."""
    boundary = "dsn-grense"
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\nTo: {USER}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nDate: {now_header()}\r\n"
        "Message-ID: <dsn-1@mx.example.net>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\nArrival-Date: " + now_header() + "\r\n\r\n"
        f"Final-Recipient: rfc822; {failed_address}\r\nOriginal-Recipient: rfc822;{failed_address}\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: post@example.org\r\nTo: {failed_address}\r\nMessage-ID: {original_id}\r\nSubject: Menneskehandel\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode("ascii")


# What each message is, and what `toolkit replies` must make of it: (kind, recipient, matched_by).
EXPECTED = {
    "jd": ("answer", "jd", "thread"),
    "ud": ("answer", "ud", "thread"),
    "aid": ("answer", "aid", "address"),
    "komite-justis": ("answer", "komite-justis", "reference"),
    "minister-jd": ("auto", "minister-jd", "thread"),
    "mp-hostile": ("bounce", "mp-hostile", "thread"),
    "komite-ufk": ("answer", "komite-ufk", "address"),
    "mp-test": ("answer", "mp-test", "thread"),
    "unmatched": ("unmatched", "", ""),
}
BIG = 10 * 1024 * 1024


def campaign_mail(campaign_dir: Path) -> tuple[list[bytes], list[bytes]]:
    """(INBOX, Arkiv): every kind of message the issue names, plus 5,000 unrelated ones in Arkiv."""
    ids = {r: letter(campaign_dir, r)["Message-ID"] for r in PACK}
    subject = str(email.header.make_header(email.header.decode_header(letter(campaign_dir, "jd")["Subject"])))
    threaded = mail("Justis- og beredskapsdepartementet <jd@example.org>", f"SV: {subject}",
                    "Takk for brevet. Departementet vil svare på kravene innen utgangen av januar.\n\n"
                    "Med vennlig hilsen\nJustisdepartementet\n\n> Menneskehandel er vold mot kvinner",
                    headers={"In-Reply-To": ids["jd"], "References": ids["jd"]}, message_id="<svar-jd@jd.example>")
    inbox = [
        threaded,
        # A mangled subject (a gateway's tag, the reference cut off), but the thread is intact.
        mail("UD <ud@example.org>", "[EKSTERN] VS: Menneskehandel er vold mot k…",
             "Vi har mottatt henvendelsen og kommer tilbake til saken.",
             headers={"References": f"<annet@ud.example> {ids['ud']}"}, message_id="<svar-ud@ud.example>"),
        # A mangled subject and no threading headers: known by the address the letter went to.
        mail("aid@example.org", "Ang. henvendelse", "Hei,\nvi ser på saken og svarer snart.\n",
             message_id="<svar-aid@aid.example>"),
        # Another address of the same body, a new e-mail: the reference in the subject ties it.
        mail("Rådgiver i komiteen <radgiver.justis@example.org>", "Svar på brev 16d-2026-komite-justis",
             "Komiteen har behandlet brevet i dagens møte.", message_id="<svar-komite@stortinget.example>"),
        # An out-of-office: automatic, not an answer.
        mail("Statsråden <minister-jd@example.org>", f"Automatisk svar: {subject}",
             "Jeg er på reise og leser ikke e-post før 10. desember.",
             headers={"In-Reply-To": ids["minister-jd"], "Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
             message_id="<auto-minister@jd.example>"),
        dsn("hostile@example.org", ids["mp-hostile"]),
        # A malformed header block: a broken encoded word, a date that is not a date, a line without a colon.
        (b"From: =?utf-8?b?!!!ikke-base64?= <komite-ufk@example.org>\r\nTo: " + USER.encode() + b"\r\n"
         b"Subject: =?x-ukjent?q?Svar=FF=FE?= =?utf-8?q?p=C3?=\r\nDate: i g\xe5r en gang\r\nX-Brutt hode uten kolon\r\n"
         b"In-Reply-To: <ikke lukket\r\nMessage-ID: <svar-ufk@stortinget.example>\r\n"
         b"Content-Type: text/plain; charset=\"utf-8\r\n\r\nKomiteen takker for innspillet.\r\n"),
        with_attachment("=?utf-8?q?=C3=85se_=C3=86rlig-=C3=98vreb=C3=B8?= <ase@example.org>", "Re: brevet",
                        "Hei! Se vedlagt svar fra meg.", BIG, {"In-Reply-To": ids["mp-test"]}),
        # Campaign mail that matches no letter: listed, not guessed.
        mail("Ukjent Person <ukjent@annet.example>", f"SV: {subject}", "Hvem sendte dette?",
             message_id="<ukjent@annet.example>"),
        # Not campaign mail at all: left alone.
        mail("Nyhetsbrev <nyheter@avis.example>", "Ukens nyheter", "Les mer på nettsidene våre."),
    ]
    unrelated = [mail(f"person{i}@example.net", f"Melding nummer {i}", f"Innhold {i}", message_id=f"<m{i}@example.net>")
                 for i in range(5000)]
    # The same answer filed in a second folder too: recorded once.
    return inbox, unrelated[:2500] + [threaded] + unrelated[2500:]


def replies_rows(campaign_dir: Path) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(campaign_dir / ".toolkit" / "send-journal.sqlite") as db:
        return db.execute("SELECT folder, uid, kind, recipient, matched_by, file FROM replies ORDER BY id").fetchall()


def run_replies(campaign_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["replies", "--campaign", str(campaign_dir), *args], catch_exceptions=False)


__all__ = ["PASSWORD", "USER"]
