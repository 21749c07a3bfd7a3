"""E-mail messages (RFC 5322, UTF-8) rendered from letters, so that what is previewed is what is sent."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, time
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from toolkit.model import Campaign, Recipient

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
LINE_BREAKS = re.compile(r"[\r\n\x00-\x1f\x7f]+")


def encodable(text: str) -> str:
    """Text that UTF-8 can carry: a lone surrogate (a "\\ud800" escape in YAML) becomes "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


def one_line(text: str) -> str:
    """Header values never carry line breaks: a name cannot add a header or a recipient."""
    return " ".join(LINE_BREAKS.sub(" ", encodable(text)).split())


def message_id(campaign: Campaign, recipient_id: str, sender_key: str = "") -> str:
    """A Message-ID that stays the same for the same campaign, recipient and sender."""
    digest = hashlib.sha256(f"{campaign.slug}\x1f{sender_key}\x1f{recipient_id}".encode()).hexdigest()[:32]
    domain = campaign.organisation.email.rpartition("@")[2] or "toolkit.invalid"
    return f"<{digest}@{domain}>"


def address(name: str, email: str) -> Address:
    local, _, domain = email.partition("@")
    return Address(display_name=one_line(name), username=local, domain=domain)


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
) -> bytes:
    """Build one message as bytes with CRLF line ends; ``sender`` is (name, e-mail) of a supporter who signs."""
    org = campaign.organisation
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = address(org.name, org.email)
    if sender:
        msg["Reply-To"] = address(*sender)
    else:
        msg["Reply-To"] = address(org.name, org.email)
    if recipient.email:
        msg["To"] = address(recipient.name, recipient.email)
    msg["Subject"] = one_line(subject)
    sent_at = datetime.combine(letter_date, time(8, 0), tzinfo=ZoneInfo(campaign.timezone))
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = message_id(campaign, recipient.id, sender[1] if sender else "")
    msg["X-Toolkit-Recipient"] = recipient.id
    msg.set_content(encodable(body), subtype="plain", charset="utf-8", cte="quoted-printable")
    # set_content() clears Content-* headers, so the language goes in after it.
    msg["Content-Language"] = "nn-NO" if language == "nn" else "nb-NO"
    if attachment:
        filename, data = attachment
        msg.add_attachment(data, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename=filename)
    return msg.as_bytes()
