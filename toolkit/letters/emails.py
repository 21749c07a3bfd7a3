"""E-mail messages (RFC 5322, UTF-8) rendered from letters, so that what is previewed is what is sent.

Messages are assembled directly as bytes rather than through ``email.message.EmailMessage``: at the
volume of a supporters' campaign the standard library's header objects cost more than writing the
letter's DOCX. The format is deliberately narrow (RFC 2047 encoded words for non-ASCII names and
subjects, one text/plain part in quoted-printable, an optional base64 attachment), and the tests
parse every message back with the standard library's parser.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from datetime import date, datetime, time
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from toolkit.core.model import Campaign, Recipient

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LINE_BREAKS = re.compile(r"[\r\n\x00-\x1f\x7f]+")
# Characters a display name may hold unquoted (RFC 5322 atext plus space).
ATEXT = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$")
MAX_WORD_BYTES = 45  # 45 bytes of UTF-8 make a 75-character encoded word


def encodable(text: str) -> str:
    """Text that UTF-8 can carry: a lone surrogate (a "\\ud800" escape in YAML) becomes "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


def one_line(text: str) -> str:
    """Header values never carry line breaks: a name cannot add a header or a recipient."""
    return " ".join(LINE_BREAKS.sub(" ", encodable(text)).split())


def encoded_words(text: str) -> str:
    """RFC 2047 base64 encoded words, split on character boundaries and folded onto new lines."""
    words, chunk = [], b""
    for char in text:
        data = char.encode("utf-8")
        if len(chunk) + len(data) > MAX_WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += data
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words if w)


@functools.lru_cache(maxsize=1024)
def header_text(text: str) -> str:
    """An unstructured header value (Subject): ASCII as it is, anything else as encoded words."""
    text = one_line(text)
    if text.isascii() and len(text) < 900:
        return text
    return encoded_words(text)


@functools.lru_cache(maxsize=1024)  # a supporter's name and a representative's recur in many messages
def mailbox(name: str, email: str) -> str:
    """``Name <address>`` with the name quoted or encoded as it needs."""
    name = one_line(name)
    if not name:
        return f"<{email}>"
    if not name.isascii():
        return f"{encoded_words(name)} <{email}>"
    if ATEXT.match(name):
        return f"{name} <{email}>"
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}" <{email}>'


def message_id(campaign: Campaign, recipient_id: str, sender_key: str = "") -> str:
    """A Message-ID that stays the same for the same campaign, recipient and sender."""
    digest = hashlib.sha256(f"{campaign.slug}\x1f{sender_key}\x1f{recipient_id}".encode()).hexdigest()[:32]
    domain = campaign.organisation.email.rpartition("@")[2] or "toolkit.invalid"
    return f"<{digest}@{domain}>"


def quoted_printable(body: str) -> bytes:
    """The body as quoted-printable with CRLF line ends and lines of at most 76 characters."""
    text = encodable(body).replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True, header=False)
    return encoded.replace(b"\n", b"\r\n")


def attachment_filename(filename: str) -> str:
    """A Content-Disposition filename parameter (RFC 2231 when it is not plain ASCII)."""
    if filename.isascii() and '"' not in filename and "\\" not in filename:
        return f'filename="{filename}"'
    from urllib.parse import quote

    return f"filename*=utf-8''{quote(filename, safe='')}"


@functools.lru_cache(maxsize=64)
def date_header(letter_date: date, timezone: str) -> str:
    """The Date header of a letter dated ``letter_date``: 08:00 that day in the campaign's time zone
    (made once per date: a supporters' run dates thousands of messages alike)."""
    return format_datetime(datetime.combine(letter_date, time(8, 0), tzinfo=ZoneInfo(timezone)))


def build_email(
    campaign: Campaign,
    recipient: Recipient,
    subject: str,
    body: str,
    letter_date: date,
    *,
    language: str = "nb",
    sender: tuple[str, str] | None = None,
    attachment: tuple[str, bytes] | None = None,
    attachments: list[tuple[str, bytes]] | None = None,
) -> bytes:
    """Build one message as bytes with CRLF line ends; ``sender`` is (name, e-mail) of a supporter who signs.

    A supporter's letter is sent from the organisation's address, so that it is delivered, but it
    shows the supporter: "Kari Eksempel via Kvinnenettverket" in From, the supporter in Reply-To.
    """
    org = campaign.organisation
    display = f"{one_line(sender[0])} via {org.name}" if sender else org.name
    headers = [
        f"From: {mailbox(display, org.email)}",
        f"Reply-To: {mailbox(*sender) if sender else mailbox(org.name, org.email)}",
    ]
    if recipient.email:
        headers.append(f"To: {mailbox(recipient.name, recipient.email)}")
    headers += [
        f"Subject: {header_text(subject)}",
        f"Date: {date_header(letter_date, campaign.timezone)}",
        f"Message-ID: {message_id(campaign, recipient.id, sender[1] if sender else '')}",
        f"X-Toolkit-Recipient: {recipient.id}",
        f"Content-Language: {'nn-NO' if language == 'nn' else 'nb-NO'}",
        "MIME-Version: 1.0",
    ]
    text_part = [
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
    ]
    head = "\r\n".join(headers).encode("ascii")
    payload = quoted_printable(body)
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    files = list(attachments or ()) + ([attachment] if attachment else [])
    if not files:
        return head + b"\r\n" + "\r\n".join(text_part).encode("ascii") + b"\r\n\r\n" + payload
    boundary = "=_toolkit_" + hashlib.sha256(payload + b"".join(data for _, data in files)).hexdigest()[:24]
    parts = [
        head,
        f'\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n--{boundary}\r\n'.encode("ascii"),
        "\r\n".join(text_part).encode("ascii"), b"\r\n\r\n", payload,
    ]
    for filename, data in files:
        parts += [
            f"--{boundary}\r\nContent-Type: {DOCX_TYPE}\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment; {attachment_filename(filename)}\r\n\r\n".encode("ascii"),
            base64.encodebytes(data).replace(b"\n", b"\r\n"),
        ]
    parts.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(parts)
