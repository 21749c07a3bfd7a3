"""The outbox: the rendered e-mails `toolkit build` wrote, checked against their manifests, and the plan of what to send.

Sending reads only what was rendered, so what was previewed is exactly what goes out. Each folder
of messages has a ``manifest.json`` (see ``toolkit.letters.pack``); the organisation's letters are in
``emails/``, supporters' letters in ``supporters/<id>/``.
"""

from __future__ import annotations

import email
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from email.header import decode_header, make_header
from email.policy import compat32
from pathlib import Path

from toolkit.core.errors import CampaignInvalid, Problems, ToolkitError
from toolkit.core.model import Campaign
from toolkit.letters.pack import MANIFEST_FILE
from toolkit.send.journal import FAILED, PENDING, SENDING, SENT, JournalRow

# Where `toolkit build` puts messages, relative to the output folder.
MESSAGE_FOLDERS = ("emails", "supporters/*", "purringer")  # purringer: toolkit.followup.reminders
REQUIRED_KEYS = ("recipient", "email", "email_verified", "file", "sha256")
REBUILD = "Kjør «toolkit build» på nytt, se over e-postene, og send etterpå."
UNFOLD = re.compile(rb"\r\n[ \t]+")
ANGLE_ADDRESS = re.compile(r"<([^<>]*)>\s*$")


class PackInvalid(CampaignInvalid):
    """The rendered e-mails do not match their manifest or the campaign: rebuild before sending."""

    def __init__(self, problems):
        super().__init__(problems)
        errors = sum(1 for p in problems if p.severity == "error")
        self.args = (f"E-postene som skal sendes, har {errors} feil.",)


@dataclass(frozen=True)
class Message:
    """One rendered e-mail and where it goes."""

    message_id: str
    recipient: str  # the recipient's id in recipients.csv
    name: str
    address: str  # the envelope recipient: always the manifest's address, never a header's
    verified: bool
    verified_on: date | None
    path: Path
    file: str  # the path relative to the output folder, as the journal records it
    sha256: str
    size: int
    sender: str = ""  # the supporter who signs, if any

    def read(self) -> bytes:
        """The message's bytes, refused if they changed since the manifest was written."""
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise ToolkitError(f"Kan ikke lese {self.path}: {exc.strerror}. {REBUILD}") from None
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ToolkitError(f"{self.path} er endret etter at den ble laget. {REBUILD}")
        return data


@dataclass(frozen=True)
class Skipped:
    """A manifest entry that is not sent, and why."""

    recipient: str
    name: str
    address: str
    file: str


@dataclass
class Outbox:
    messages: list[Message] = field(default_factory=list)
    no_address: list[Skipped] = field(default_factory=list)


def shared_inboxes(outbox: Outbox) -> dict[str, list[Message]]:
    """Addresses that would get two or more different letters from the organisation itself.

    Supporters' letters are not counted: many supporters may write to one representative. Nor is a
    reminder to the recipient of a letter (``toolkit letters --reminders``): it follows up that same letter.
    """
    by_address: dict[str, list[Message]] = {}
    for message in outbox.messages:
        if not message.sender:
            by_address.setdefault(message.address.casefold(), []).append(message)
    return {address: messages for address, messages in by_address.items()
            if len({message.recipient for message in messages}) > 1}


def find_manifests(output_dir: Path) -> list[Path]:
    """Every manifest of rendered messages in the output folder, the organisation's first."""
    found: list[Path] = []
    for pattern in MESSAGE_FOLDERS:
        found.extend(sorted(output_dir.glob(f"{pattern}/{MANIFEST_FILE}")))
    return found


def load_outbox(campaign: Campaign) -> Outbox:
    """Read and check every rendered message; raise PackInvalid listing every problem."""
    out = campaign.output_dir
    manifests = find_manifests(out)
    if not manifests:
        raise ToolkitError(f"Fant ingen e-poster å sende i {out}. Kjør «toolkit build» først.")
    problems = Problems()
    outbox = Outbox()
    recipients = {r.id: r for r in campaign.recipients}
    seen: dict[str, str] = {}
    for manifest in manifests:
        folder = manifest.parent
        folder_name = folder.relative_to(out).as_posix()
        label = f"{out.name}/{folder_name}/{manifest.name}"
        entries = _read_manifest(manifest, label, problems)
        for number, entry in enumerate(entries, start=1):
            missing = [key for key in REQUIRED_KEYS if key not in entry]
            if missing:
                problems.error(label, f"Oppføring {number} mangler {', '.join(missing)}.", REBUILD)
                continue
            name = str(entry.get("name") or entry["recipient"])
            address = str(entry["email"] or "")
            file_name = str(entry["file"])
            if not file_name or "/" in file_name or "\\" in file_name or file_name.startswith("."):
                problems.error(label, f"Oppføring {number} viser til filen «{file_name}» utenfor mappen.", REBUILD)
                continue
            relative = f"{folder_name}/{file_name}"
            if not address:
                outbox.no_address.append(Skipped(entry["recipient"], name, "", relative))
                continue
            shown = f"{out.name}/{relative}"
            message = _check_entry(entry, folder / file_name, relative, name, shown, problems)
            if message is None:
                continue
            _check_against_recipients(message, recipients.get(message.recipient), shown, problems)
            if message.message_id in seen:
                problems.error(
                    shown, f"Har samme Message-ID som {seen[message.message_id]}.",
                    "To e-poster kan ikke være samme melding. " + REBUILD,
                )
                continue
            seen[message.message_id] = shown
            outbox.messages.append(message)
    if problems.errors:
        raise PackInvalid(problems.items)
    return outbox


def _read_manifest(path: Path, label: str, problems: Problems) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problems.error(label, f"Kan ikke leses: {exc.strerror}.", REBUILD)
        return []
    except ValueError as exc:
        problems.error(label, f"Er ikke gyldig JSON ({exc}).", REBUILD)
        return []
    if not isinstance(data, list) or not all(isinstance(entry, dict) for entry in data):
        problems.error(label, "Skal være en liste med én oppføring per e-post.", REBUILD)
        return []
    return data


def _check_entry(entry, path: Path, relative: str, name: str, shown: str, problems: Problems) -> Message | None:
    """Check one entry's file against the manifest; ``shown`` names the file in problems."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.error(shown, "Filen finnes ikke, men står i manifest.json.", REBUILD)
        return None
    except OSError as exc:
        problems.error(shown, f"Kan ikke leses: {exc.strerror}.", REBUILD)
        return None
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 != entry["sha256"]:
        problems.error(shown, "Filen er endret etter at den ble laget (sjekksummen stemmer ikke med manifest.json).", REBUILD)
        return None
    headers = header_fields(data)
    message_id = headers.get("message-id", "")
    if not message_id:
        problems.error(shown, "Mangler Message-ID.", REBUILD)
        return None
    address = str(entry["email"])
    header_to = header_address(headers.get("to", ""))
    if header_to.lower() != address.lower():
        problems.error(
            shown, f"Til-feltet ({header_to or 'tomt'}) er ikke adressen i manifest.json ({address}).", REBUILD,
        )
        return None
    sender = entry.get("sender") or ""
    if isinstance(sender, dict):
        sender = str(sender.get("name") or sender.get("email") or "")
    return Message(
        message_id=message_id,
        recipient=str(entry["recipient"]),
        name=name,
        address=address,
        verified=entry["email_verified"] is True,
        verified_on=_date(entry.get("verified_on")),
        path=path,
        file=relative,
        sha256=sha256,
        size=len(data),
        sender=str(sender),
    )


def header_fields(data: bytes) -> dict[str, str]:
    """The header fields of a rendered message by lower-case name, unfolded (the first of each name).

    A few lines of regular expressions instead of the email parser: the outbox reads every
    message before a run, and the parser costs more than reading and hashing the file.
    """
    end = data.find(b"\r\n\r\n")
    block = UNFOLD.sub(b" ", data[: end if end >= 0 else len(data)]).decode("ascii", "replace")
    fields: dict[str, str] = {}
    for line in block.split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            fields.setdefault(name.strip().lower(), value.strip())
    return fields


def header_address(value: str) -> str:
    """The address of a single-address header: "Name <a@b>" or "a@b"."""
    found = ANGLE_ADDRESS.search(value)
    return found.group(1) if found else value.strip()


def preview(message: Message) -> tuple[str, str, list[str]]:
    """The To, Subject and attachment names of a rendered message, decoded as a mail program shows them."""
    parsed = email.message_from_bytes(message.path.read_bytes(), policy=compat32)
    attachments = [_decoded(part.get_filename() or "uten navn") for part in parsed.walk()
                   if part.get_content_disposition() == "attachment"]
    return _decoded(parsed["To"]), _decoded(parsed["Subject"]), attachments


def _decoded(value) -> str:
    # RFC 2047 joins adjacent encoded words without the space between them; the newer
    # policy.default parser keeps that space inside display names ("Langn avn").
    return str(make_header(decode_header(str(value or "")))).strip()


def _check_against_recipients(message: Message, recipient, shown: str, problems: Problems) -> None:
    """recipients.csv is the truth: an address changed or unverified since the build must not be sent to."""
    if recipient is None:
        problems.error(
            shown, f"Mottakeren «{message.recipient}» finnes ikke lenger i recipients.csv.", REBUILD,
        )
    elif recipient.email.lower() != message.address.lower() or recipient.email_verified != message.verified:
        problems.error(
            shown,
            f"Adressen til {message.name} er endret i recipients.csv (rad {recipient.row}) etter at e-posten ble laget.",
            REBUILD,
        )


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


@dataclass
class Plan:
    """What a run sends and what it leaves out, and why."""

    to_send: list[Message] = field(default_factory=list)
    unverified: list[Message] = field(default_factory=list)
    already_sent: list[Message] = field(default_factory=list)
    changed: list[Message] = field(default_factory=list)  # sent before with other content
    uncertain: list[Message] = field(default_factory=list)  # a run stopped while sending it
    retried: list[Message] = field(default_factory=list)  # failed in an earlier run, tried again
    # Accepted by the server in an earlier run and then returned (a bounce) or failed on a later resend:
    # others on the message may have it, so it is sent again only with --resend or once it has changed.
    returned: list[Message] = field(default_factory=list)
    no_address: list[Skipped] = field(default_factory=list)

    def stale(self, campaign: Campaign, today: date) -> list[Message]:
        """Messages to recipients whose data was last checked longer ago than the campaign allows."""
        limit = campaign.stale_after_days
        return [m for m in self.to_send if m.verified_on is not None and (today - m.verified_on).days > limit]


def plan_sending(
    outbox: Outbox,
    journal_rows: dict[str, JournalRow],
    *,
    include_unverified: bool = False,
    resend: bool = False,
    resend_uncertain: bool = False,
) -> Plan:
    """Decide, message by message, what this run sends."""
    plan = Plan(no_address=list(outbox.no_address))
    for message in outbox.messages:
        if not message.verified and not include_unverified:
            plan.unverified.append(message)
            continue
        row = journal_rows.get(message.message_id)
        state = row.state if row else PENDING
        if state == SENT and row is not None:
            if row.sha256 == message.sha256:
                plan.already_sent.append(message)
                continue
            plan.changed.append(message)
            if not resend:
                continue
        elif state == SENDING:
            plan.uncertain.append(message)
            if not resend_uncertain:
                continue
        elif state == FAILED and row is not None and row.sent_at:
            if row.sha256 == message.sha256:
                plan.returned.append(message)
                if not resend:
                    continue
            else:
                plan.retried.append(message)  # the address or text was put right since it came back
        elif state == FAILED:
            plan.retried.append(message)
        plan.to_send.append(message)
    return plan


def ready_summary(campaign: Campaign) -> str:
    """One line for `toolkit build`: how many e-mails are ready to send, and the command that shows them."""
    verified = unverified = 0
    for manifest in find_manifests(campaign.output_dir):
        try:
            entries = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict) and entry.get("email"):
                if entry.get("email_verified") is True:
                    verified += 1
                else:
                    unverified += 1
    if not verified and not unverified:
        return "E-post: ingen mottakere har e-postadresse."
    mails = "e-post" if unverified == 1 else "e-poster"
    held = f" {unverified} {mails} til uverifiserte adresser sendes ikke uten --include-unverified." if unverified else ""
    if not verified:
        return (f"E-post: ingen adresse er verifisert ennå, så ingenting blir sendt.{held} "
                "Sett email_verified til ja i recipients.csv når en adresse er sjekket.")
    return f"E-post: {verified} klare til sending. Se dem med «toolkit send», send med «toolkit send --send».{held}"
