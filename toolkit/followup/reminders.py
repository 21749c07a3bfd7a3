"""Reminders ("purringer"): one short e-mail to each recipient who has not answered the first letter.

A reminder is written for a recipient whose first letter the journal records as sent at least
``letters.remind_after_days`` days ago (default 21), who has no answer recorded by `toolkit replies`
(an automatic reply is not an answer), whose letter did not bounce, and who has not had a reminder
sent. It refers to the first letter by date, subject and reference, lists the recipient's own demands
one line each and asks for an answer by a date (``letters.reminder_reply_days`` after today, default
14). It is threaded to the first letter (In-Reply-To, References) and written to ``purringer/`` with a
manifest in the same form as the letters', so that `toolkit send` shows it in its dry run and sends it
once, through the same journal. Its Message-ID is fixed per recipient: a second reminder cannot go out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from toolkit.core.campaign import _Fields
from toolkit.core.errors import Problems, ToolkitError
from toolkit.core.fsutil import atomic_write_bytes, atomic_write_text, safe_stem
from toolkit.core.model import Campaign, Recipient
from toolkit.followup.replies import answered
from toolkit.letters.emails import header_text, mailbox, message_id, quoted_printable
from toolkit.letters.pack import MANIFEST_FILE, email_entry, remove_stale, templates_for
from toolkit.letters.references import letter_reference, with_reference
from toolkit.letters.render import language_of, letter_context
from toolkit.send.journal import SENDING, SENT, JournalRow

FOLDER = "purringer"
TEMPLATE = "reminder.j2"
DEFAULT_AFTER_DAYS = 21
DEFAULT_REPLY_DAYS = 14
SUBJECT_WORD = {"nb": "Påminnelse", "nn": "Påminning"}


def reminder_settings(campaign: Campaign, problems: Problems | None = None) -> tuple[int, int]:
    """(remind_after_days, reminder_reply_days) from campaign.yaml's ``letters`` block."""

    fields = _Fields(problems or Problems(), "campaign.yaml", campaign.config.get("letters"), "letters")
    return (fields.integer("remind_after_days", DEFAULT_AFTER_DAYS, 1, 365),
            fields.integer("reminder_reply_days", DEFAULT_REPLY_DAYS, 1, 365))


def reminder_id(campaign: Campaign, recipient_id: str) -> str:

    return message_id(campaign, recipient_id, "purring")


@dataclass
class ReminderReport:
    written: list[tuple[Recipient, JournalRow]] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)  # a reminder has gone out already
    too_early: list[tuple[str, date]] = field(default_factory=list)  # (recipient, first day a reminder is due)
    failed: list[str] = field(default_factory=list)  # the first letter bounced or failed: fix the address first
    gone: list[str] = field(default_factory=list)  # no longer in recipients.csv, or a new address
    after_days: int = DEFAULT_AFTER_DAYS


def plan_reminders(campaign: Campaign, rows: dict[str, JournalRow], answered: set[str], today: date) -> ReminderReport:
    """Decide, recipient by recipient, who gets a reminder today."""
    after, _ = reminder_settings(campaign)
    report = ReminderReport(after_days=after)
    zone = ZoneInfo(campaign.timezone)
    recipients = {r.id: r for r in campaign.recipients}
    reminded = {row.recipient for row in rows.values()
                if row.file.startswith(f"{FOLDER}/") and row.state in (SENT, SENDING)}
    firsts: dict[str, JournalRow] = {}
    for row in rows.values():
        if row.file.startswith("emails/"):
            firsts.setdefault(row.recipient, row)
    for recipient_id, first in sorted(firsts.items()):
        if recipient_id in answered:
            report.answered.append(recipient_id)
        elif recipient_id in reminded:
            report.reminded.append(recipient_id)
        elif first.state != SENT or not first.sent_at:
            if first.state != "pending":
                report.failed.append(recipient_id)
        else:
            sent_on = datetime.fromisoformat(first.sent_at).astimezone(zone).date()
            due = sent_on + timedelta(days=after)
            recipient = recipients.get(recipient_id)
            if today < due:
                report.too_early.append((recipient_id, due))
            elif recipient is None or recipient.email.lower() != first.address.lower():
                report.gone.append(recipient_id)
            else:
                report.written.append((recipient, first))
    return report


def first_subject(campaign: Campaign, first: JournalRow) -> str:
    """The first letter's subject as the organiser wrote it (without the reference), from its manifest."""
    manifest = campaign.output_dir / "emails" / "manifest.json"
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        entries = []
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and entry.get("recipient") == first.recipient and entry.get("subject"):
            return str(entry["subject"])
    raise ToolkitError(
        f"Fant ikke emnet til det første brevet til {first.recipient} i {manifest}. "
        "Kjør «toolkit letters» (uten --reminders) på nytt, og så «toolkit letters --reminders»."
    )


def write_reminders(campaign: Campaign, report: ReminderReport, today: date) -> list[dict]:
    """Write each planned reminder (text and .eml) and the folder's manifest; remove reminders no longer due."""

    _, reply_days = reminder_settings(campaign)
    folder = campaign.output_dir / FOLDER
    templates = templates_for(campaign)
    zone = ZoneInfo(campaign.timezone)
    manifest: list[dict] = []
    keep: set[str] = set()
    org = campaign.organisation
    for recipient, first in report.written:
        language = language_of(campaign, recipient)
        context = letter_context(campaign, recipient, today)
        subject = first_subject(campaign, first)
        reference = letter_reference(campaign.year, recipient.id)
        assert first.sent_at  # plan_reminders writes a reminder only for a letter recorded as sent
        context.update(
            first_date=datetime.fromisoformat(first.sent_at).astimezone(zone).date(),
            first_subject=subject,
            reference=reference,
            reply_by=today + timedelta(days=reply_days),
            own=context["lead"] or context["demands"],
        )
        body = templates[language].render(TEMPLATE, context).strip() + "\n"
        reminder_subject = with_reference(f"{SUBJECT_WORD.get(language, SUBJECT_WORD['nb'])}: {subject}", reference)
        moment = datetime.combine(today, datetime.min.time().replace(hour=8), tzinfo=zone)
        headers = [
            f"From: {mailbox(org.name, org.email)}",
            f"Reply-To: {mailbox(org.name, org.email)}",
            f"To: {mailbox(recipient.name, recipient.email)}",
            f"Subject: {header_text(reminder_subject)}",
            f"Date: {format_datetime(moment)}",
            f"Message-ID: {reminder_id(campaign, recipient.id)}",
            f"In-Reply-To: {first.message_id}",
            f"References: {first.message_id}",
            f"X-Toolkit-Recipient: {recipient.id}",
            "MIME-Version: 1.0",
            'Content-Type: text/plain; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
            f"Content-Language: {'nn-NO' if language == 'nn' else 'nb-NO'}",
        ]
        payload = quoted_printable(body)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        eml = "\r\n".join(headers).encode("ascii") + b"\r\n\r\n" + payload
        stem = safe_stem(recipient.id)
        atomic_write_text(folder / f"{stem}.txt", body, durable=False)
        atomic_write_bytes(folder / f"{stem}.eml", eml, durable=False)
        keep |= {f"{stem}.txt", f"{stem}.eml"}
        manifest.append(email_entry(recipient, stem, eml, reminder_subject, language) | {"reminds": first.message_id})
    if manifest or folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale(folder, keep, (".txt", ".eml"))
        atomic_write_text(folder / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    return manifest


def remind(campaign: Campaign, journal, today: date) -> ReminderReport:

    report = plan_reminders(campaign, journal.rows(), set(answered(journal)), today)
    write_reminders(campaign, report, today)
    return report


def reminder_folder(campaign: Campaign) -> Path:
    return campaign.output_dir / FOLDER
