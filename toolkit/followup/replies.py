"""`toolkit replies`: answers to the letters, read from the organisation's mailbox over IMAP, read-only.

Only the folders named in ``imap.folders`` are opened, with EXAMINE (read-only), and messages are
fetched with BODY.PEEK, so nothing is marked as read, moved or deleted. Only messages since the first
letter went out are looked at, and only the ones not seen before: the journal keeps each folder's
UIDVALIDITY and the last UID looked at.

A message is tied to a sent letter by, in turn: its In-Reply-To/References against the journal's
Message-IDs, the sender's address against the addresses written to, and the campaign reference in the
subject (``toolkit.letters.references``). Automatic replies (RFC 3834 Auto-Submitted, X-Autoreply) are recorded
as such and are not answers; delivery status notifications (RFC 3464) mark the letter as failed. A
message that looks like it concerns the campaign but cannot be tied to one letter is recorded as
unmatched and listed, never guessed. Other mail is left alone and not recorded.

Each recorded message is saved as .eml under ``svar/`` first, then recorded in the journal together
with the folder's new last UID in one transaction: a run killed at any point loses nothing (the next
run fetches what was not recorded) and records nothing twice (the file name is fixed by folder,
UIDVALIDITY and UID, and the journal refuses a second row for them).
"""

from __future__ import annotations

import email
import os
import re
import ssl
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.header import decode_header, make_header
from email.policy import compat32
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Callable

from toolkit.core.campaign import _Fields
from toolkit.core.errors import Problems, ToolkitError
from toolkit.core.fsutil import atomic_write_bytes, safe_stem
from toolkit.core.model import Campaign
from toolkit.core.network import connection_problem, login_refused
from toolkit.letters.references import find_references
from toolkit.send.journal import FAILED, SENT, Journal, JournalRow, ReplyRow
from toolkit.send.journal import journal_path as campaign_journal

KEYRING_SERVICE = "toolkit-imap"
PASSWORD_ENV = "TOOLKIT_IMAP_PASSWORD"
REPLIES_FOLDER = "svar"
SECURITY = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
TIMEOUT_SECONDS = 60
HEADER_BATCH = 500
PUBLIC_KINDS = {"ministry", "minister", "committee", "mp"}  # answers from these are public records
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
REPLY_PREFIX = re.compile(r"^\s*((re|sv|aw|vs|fw|fwd|vb|wg|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
AUTO_SUBJECT = re.compile(
    r"^\s*(automatisk svar|autosvar|automatic reply|auto[- ]?reply|out of office|fraværende|fravær|ikke til stede)\b",
    re.IGNORECASE,
)
QUOTE_START = re.compile(
    r"^\s*(-{2,}\s*(original message|opprinnelig melding|videresendt melding)|"
    r"(on|den|på|man|tir|ons|tor|fre|lør|søn)\b.*\b(wrote|skrev)\s*:\s*$|(fra|from)\s*:)",
    re.IGNORECASE,
)


def journal_path(campaign: Campaign) -> Path:
    """Where the send journal is: the one place replies, reminders, status and purge ask (see toolkit.send.journal)."""

    return campaign_journal(campaign.folder)


class ImapError(ToolkitError):
    """The mailbox cannot be read: settings, login, TLS or the connection. Nothing was recorded wrongly."""


@dataclass(frozen=True)
class ImapSettings:
    host: str = ""
    port: int = 993
    security: str = "ssl"
    user: str = ""
    folders: tuple[str, ...] = ("INBOX",)

    def describe(self) -> str:
        return f"{self.host}:{self.port} ({self.security})"


def read_imap_settings(campaign: Campaign, problems: Problems) -> ImapSettings | None:
    """The ``imap`` block of campaign.yaml, every problem recorded with its line; None if there is none."""

    data = campaign.config.get("imap")
    if data is None:
        return None
    fields = _Fields(problems, "campaign.yaml", data, "imap")
    fields.unknown_keys({"host", "port", "security", "user", "folders"})
    if "password" in fields.data:
        fields.error("password", "Passord skal aldri stå i en fil.",
                     f"Fjern linjen; toolkit replies leser passordet fra nøkkelringen eller {PASSWORD_ENV}.")
    security = fields.text("security", required=False, default="ssl")
    if security not in SECURITY:
        fields.error("security", f"«{security}» er ikke en gyldig verdi.", "Bruk ssl, starttls eller none.")
        security = "ssl"
    folders = fields.text_list("folders") or ("INBOX",)
    return ImapSettings(
        host=fields.text("host"),
        port=fields.integer("port", DEFAULT_PORTS[security], 1, 65535),
        security=security,
        user=fields.text("user"),
        folders=folders,
    )


def check_imap_settings(campaign: Campaign, problems: Problems) -> None:
    """`toolkit validate`: problems in the imap block are warnings here (they stop only `toolkit replies`)."""
    found = Problems()
    settings = read_imap_settings(campaign, found)
    for problem in found.items:
        problems.warning(problem.file, problem.message, problem.hint, line=problem.line, field=problem.field)
    if settings and settings.security == "none" and settings.host not in ("localhost", "127.0.0.1", "::1"):
        problems.warning("campaign.yaml", "Med security: none går passordet og e-postene ukryptert over nettet.",
                         "Bruk ssl (port 993) eller starttls (port 143).", field="imap.security")


def find_password(user: str) -> str | None:
    """The IMAP password from TOOLKIT_IMAP_PASSWORD or the system keyring; never from a file."""
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, user) or None
    except Exception:  # noqa: BLE001 - no keyring, a locked one or a broken backend
        return None


def password_help(user: str) -> str:
    return (
        f"Fant ikke passordet til e-postkontoen {user}. Lagre det i systemets nøkkelring med "
        f"«keyring set {KEYRING_SERVICE} {user}», eller sett miljøvariabelen {PASSWORD_ENV} for denne økten. "
        "Passordet skal aldri stå i en fil."
    )


# --- what the journal knows: the letters a message can belong to ---


@dataclass
class Letters:
    """The letters that went out, indexed the three ways a reply is matched."""

    by_message_id: dict[str, JournalRow]
    by_address: dict[str, list[JournalRow]]
    by_recipient: dict[str, JournalRow]  # the organisation's first letter to each recipient
    subjects: set[str]  # the letters' subjects, casefolded, to spot campaign mail that matches nothing
    domains: set[str]  # the recipients' mail domains, ditto
    own_domain: str
    year: int
    kinds: dict[str, str]  # recipient id -> kind

    @property
    def first_sent(self) -> datetime | None:
        stamps = [row.sent_at for row in self.by_message_id.values() if row.sent_at]
        return datetime.fromisoformat(min(stamps)) if stamps else None


def organisation_letter(row: JournalRow) -> bool:
    """A letter from the organisation (not one a supporter signs; their replies go to the supporter)."""
    return not row.file.startswith("supporters/")


def load_letters(campaign: Campaign, rows: dict[str, JournalRow]) -> Letters:
    import json

    sent = {mid: row for mid, row in rows.items() if row.state in (SENT, FAILED) or row.sent_at}
    by_address: dict[str, list[JournalRow]] = {}
    by_recipient: dict[str, JournalRow] = {}
    for row in sent.values():
        if not organisation_letter(row):
            continue
        by_address.setdefault(row.address.lower(), [])
        if row.recipient not in {r.recipient for r in by_address[row.address.lower()]}:
            by_address[row.address.lower()].append(row)
        if row.file.startswith("emails/"):
            by_recipient.setdefault(row.recipient, row)
    subjects: set[str] = set()
    for manifest in (campaign.output_dir / "emails" / "manifest.json",):
        try:
            entries = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = []
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict) and entry.get("subject"):
                subjects.add(str(entry["subject"]).casefold())
    if campaign.letter_subject and "{" not in campaign.letter_subject:
        subjects.add(campaign.letter_subject.casefold())
    own = campaign.organisation.email.rpartition("@")[2].lower()
    domains = {address.rpartition("@")[2] for address in by_address} - {own, ""}
    return Letters(sent, by_address, by_recipient, subjects, domains, own, campaign.year,
                   {r.id: r.kind for r in campaign.recipients})


# --- reading one message ---


HEADER_END = re.compile(rb"\r?\n\r?\n")
HEADER_LINE = re.compile(rb"^([ \t]|[!-9;-~]+[ \t]*:)")


def parse_message(raw: bytes):
    """The message parsed leniently: a header line that is not a header (no name and colon) is dropped
    instead of ending the header block, as mail programs do, so the rest of the headers still count."""
    end = HEADER_END.search(raw)
    head, rest = (raw[: end.start()], raw[end.start():]) if end else (raw, b"")
    lines = re.split(rb"\r?\n", head)
    kept = [line for line in lines if HEADER_LINE.match(line)]
    if len(kept) != len(lines):
        raw = b"\r\n".join(kept) + rest
    return email.message_from_bytes(raw, policy=compat32)


def decoded(value) -> str:
    """A header as a mail program shows it; a malformed encoded word is shown as it stands."""
    if value is None:
        return ""
    from email.header import Header

    if isinstance(value, Header):
        # compat32 hands raw 8-bit header bytes back as a Header in "unknown-8bit": RFC 6532 says UTF-8.
        value = "".join(_text(chunk, charset) for chunk, charset in decode_header(value))
    text = str(value)
    if any("\udc80" <= char <= "\udcff" for char in text):
        # Raw 8-bit header bytes (RFC 6532 allows UTF-8 there): read them as UTF-8.
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        text = str(make_header(decode_header(text)))
    except Exception:  # noqa: BLE001 - malformed RFC 2047 words, unknown charsets: keep the raw text
        pass
    return " ".join(text.split())


def _text(chunk, charset) -> str:
    if not isinstance(chunk, bytes):
        return chunk
    try:
        return chunk.decode("utf-8" if charset in (None, "unknown-8bit") else charset, "replace")
    except LookupError:  # a charset Python does not know
        return chunk.decode("utf-8", "replace")


def message_ids(value) -> list[str]:
    return MESSAGE_ID.findall(str(value or ""))


def sender_address(message) -> str:
    _, address = parseaddr(decoded(message.get("From", "")))
    return address.strip().lower()


def is_dsn(message) -> bool:
    return (message.get_content_type() == "multipart/report"
            and str(message.get_param("report-type", "")).lower() == "delivery-status")


def auto_reply_reason(message, subject: str) -> str:
    """Why this is an automatic reply (RFC 3834 and the common non-standard headers), or ''."""
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if message.get(name) is not None:
            return name
    if str(message.get("Precedence", "")).strip().lower() == "auto_reply":
        return "Precedence: auto_reply"
    if AUTO_SUBJECT.match(subject):
        return "emnefeltet"
    return ""


@dataclass(frozen=True)
class DeliveryStatus:
    """What a delivery status notification (RFC 3464) says about one recipient."""

    recipient: str
    action: str
    status: str
    diagnostic: str
    original_ids: tuple[str, ...]


def read_dsn(message) -> list[DeliveryStatus]:
    """Each per-recipient block of a DSN, with the Message-ID of the returned message when it is there."""
    statuses: list[tuple[str, str, str, str]] = []
    original: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else [email.message_from_string(str(payload), policy=compat32)]
            raw = part.get_payload(decode=True)
            if raw and not isinstance(payload, list):
                blocks = [email.message_from_bytes(chunk, policy=compat32) for chunk in re.split(rb"\r?\n\r?\n", raw) if chunk.strip()]
            for block in blocks:
                final = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
                if not final:
                    continue
                address = final.partition(";")[2].strip() or final.strip()
                statuses.append((address.strip("<>").lower(), str(block.get("Action", "")).strip().lower(),
                                 str(block.get("Status", "")).strip(), " ".join(str(block.get("Diagnostic-Code", "")).split())))
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                original += message_ids(payload[0].get("Message-ID"))
            else:
                returned = email.message_from_bytes(part.get_payload(decode=True) or b"", policy=compat32)
                original += message_ids(returned.get("Message-ID"))
    return [DeliveryStatus(a, act, st, diag, tuple(original)) for a, act, st, diag in statuses]


def first_lines(message, limit_lines: int = 6, limit_chars: int = 500) -> str:
    """The first lines of the message's own text, without the quoted letter below it."""
    body = ""
    for part in message.walk():
        if part.get_content_maintype() == "multipart" or part.get_content_disposition() == "attachment":
            continue
        if part.get_content_type() in ("text/plain", "text/html"):
            try:
                raw = part.get_payload(decode=True) or b""
                text = raw.decode(part.get_content_charset() or "utf-8", "replace")
            except (LookupError, ValueError):
                text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
            if part.get_content_type() == "text/html":
                text = re.sub(r"(?s)<(script|style).*?</\1>", " ", text)
                text = re.sub(r"<br\s*/?>|</p>|</div>", "\n", text, flags=re.IGNORECASE)
                text = re.sub(r"<[^>]+>", " ", text)
                import html

                text = html.unescape(text)
            body = text
            if part.get_content_type() == "text/plain":
                break
    lines: list[str] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        if line.lstrip().startswith(">") or QUOTE_START.match(line):
            break
        line = " ".join(line.split())
        if line:
            lines.append(line)
        if len(lines) >= limit_lines:
            break
    text = "\n".join(lines)
    return text if len(text) <= limit_chars else text[: limit_chars - 1].rstrip() + "…"


def received_at(message, internal_date) -> datetime:
    try:
        moment = parsedate_to_datetime(str(message.get("Date")))
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(timezone.utc)
    except (TypeError, ValueError, IndexError):
        pass
    if isinstance(internal_date, datetime):
        return internal_date.astimezone(timezone.utc) if internal_date.tzinfo else internal_date.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Match:
    letter: JournalRow | None
    by: str  # thread, address, reference or ''
    note: str = ""


def match_headers(message, letters: Letters) -> Match | None:
    """Tie a message to a letter from its headers alone; a Match with no letter = campaign mail without a
    single letter to tie it to; None = not campaign mail at all."""
    for mid in message_ids(message.get("In-Reply-To")) + list(reversed(message_ids(message.get("References")))):
        if mid in letters.by_message_id:
            return Match(letters.by_message_id[mid], "thread")
    subject = decoded(message.get("Subject"))
    address = sender_address(message)
    candidates = letters.by_address.get(address, [])
    references = [(year, rid) for year, rid in find_references(subject) if year == letters.year]
    if len(candidates) == 1:
        return Match(candidates[0], "address")
    if len(candidates) > 1:
        named = [row for row in candidates if any(rid == row.recipient for _, rid in references)]
        if len(named) == 1:
            return Match(named[0], "reference")
        return Match(None, "", f"adressen {address} fikk brev til flere mottakere ({', '.join(r.recipient for r in candidates)})")
    found = {rid for _, rid in references if rid in letters.by_recipient}
    if len(found) == 1:
        row = letters.by_recipient[found.pop()]
        # A reference is only believed from the body written to: a colleague at the same mail domain.
        if row.address.rpartition("@")[2].lower() == address.rpartition("@")[2]:
            return Match(row, "reference")
        return Match(None, "", f"emnefeltet viser til brevet til {row.recipient}, men avsenderen er ikke fra "
                               f"samme e-postdomene som {row.address}")
    if len(found) > 1:
        return Match(None, "", f"emnefeltet viser til flere brev ({', '.join(sorted(found))})")
    if references:
        return Match(None, "", f"referansen {references[0][1]} finnes ikke blant de sendte brevene")
    if any(mid.rpartition("@")[2].rstrip(">").lower() == letters.own_domain
           for mid in message_ids(message.get("In-Reply-To")) + message_ids(message.get("References"))):
        return Match(None, "", "svar på en e-post fra organisasjonen som ikke står i sendejournalen")
    bare = REPLY_PREFIX.sub("", subject).casefold()
    if bare and any(bare in known or known in bare for known in letters.subjects):
        return Match(None, "", "emnet er kampanjebrevets, men avsenderen fikk ikke brev")
    domain = address.rpartition("@")[2]
    if domain and domain in letters.domains:
        return Match(None, "", f"fra samme domene ({domain}) som en mottaker, men en annen adresse")
    return None


# --- the run ---


@dataclass
class RepliesReport:
    recorded: list[ReplyRow] = field(default_factory=list)
    already: int = 0  # seen before (the same message in another folder, or before UIDVALIDITY changed)
    other: int = 0  # not campaign mail: looked at (headers only), not recorded
    folders: dict[str, int] = field(default_factory=dict)  # folder -> new messages looked at
    since: date | None = None

    def of_kind(self, kind: str) -> list[ReplyRow]:
        return [r for r in self.recorded if r.kind == kind]


def connect(settings: ImapSettings, password: str, ssl_context: ssl.SSLContext | None = None, timeout: float = TIMEOUT_SECONDS):
    """An open, logged-in IMAPClient; ImapError with a Norwegian message naming the server otherwise."""
    from imapclient import IMAPClient  # here, so that `toolkit --help` does not load it

    context = ssl_context or ssl.create_default_context()
    client = None
    try:
        client = IMAPClient(settings.host, port=settings.port, ssl=settings.security == "ssl",
                            ssl_context=context, timeout=timeout)
        if settings.security == "starttls":
            client.starttls(context)
        client.login(settings.user, password)
        return client
    except BaseException as exc:
        if client is not None:
            _close_quietly(client)
        if isinstance(exc, Exception):
            raise connection_error(settings, exc) from None
        raise


def connection_error(settings: ImapSettings, exc: BaseException) -> ImapError:
    # imapclient is imported where it is used: about 120 ms to import, too long for start-up.
    from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

    where = f"IMAP-serveren {settings.describe()}"
    if isinstance(exc, ImapError):
        return exc
    if isinstance(exc, LoginError):
        return ImapError(login_refused(where, settings.user, "imap"))
    problem = connection_problem(exc, where, "imap", "993 med ssl, 143 med starttls")
    if problem is not None:
        return ImapError(problem)
    if isinstance(exc, (IMAPClientAbortError, ConnectionError, EOFError)) or (
        isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError)
    ) or "socket error" in str(exc).lower() or "eof" in str(exc).lower():
        return ImapError(
            f"{where} brøt forbindelsen ({_short(exc)}). Det som ble hentet før bruddet, er lagret; "
            "kjør «toolkit replies» på nytt for å hente resten."
        )
    if isinstance(exc, IMAPClientError):
        return ImapError(f"{where} svarte med en feil: {_short(exc)}.")
    return ImapError(f"Kunne ikke lese e-post fra {where} ({type(exc).__name__}).")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _close_quietly(client) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection is going away either way
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass


def fetch_replies(
    campaign: Campaign,
    settings: ImapSettings,
    password: str,
    journal: Journal,
    *,
    ssl_context: ssl.SSLContext | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> RepliesReport:
    """Read the new messages of every named folder and record the campaign's ones; see the module's doc."""
    letters = load_letters(campaign, journal.rows())
    report = RepliesReport()
    first = letters.first_sent
    if first is None:
        raise ToolkitError("Ingen brev er sendt ennå (sendejournalen har ingen sendte e-poster), så det finnes ingen svar å hente.")
    # IMAP's SINCE compares dates without a time zone: a day's margin, the UID mark does the rest.
    report.since = (first - timedelta(days=1)).date()
    client = connect(settings, password, ssl_context)
    try:
        for folder in settings.folders:
            _read_folder(client, folder, campaign, settings, journal, letters, report, progress)
        _close_quietly(client)
    except ImapError:
        _close_quietly(client)
        raise
    except ToolkitError:
        _close_quietly(client)
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of the server or the connection
        _close_quietly(client)
        raise connection_error(settings, exc) from None
    return report


def _read_folder(client, folder, campaign, settings, journal, letters, report, progress) -> None:
    # imapclient is imported where it is used: about 120 ms to import, too long for start-up.
    from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

    try:
        info = client.select_folder(folder, readonly=True)  # EXAMINE: the folder is not changed
    except IMAPClientAbortError:
        raise
    except IMAPClientError as exc:
        names = ", ".join(sorted(name for _, _, name in client.list_folders()))
        raise ImapError(
            f"Mappen «{folder}» finnes ikke (eller kan ikke åpnes) på IMAP-serveren {settings.describe()}: {_short(exc)}. "
            f"Rett imap.folders i campaign.yaml. Mappene på serveren: {names}."
        ) from None
    uidvalidity = int(info[b"UIDVALIDITY"])
    state = journal.mailbox_state(folder)
    last = state[1] if state and state[0] == uidvalidity else 0
    uids = sorted(uid for uid in client.search(["UID", f"{last + 1}:*", "SINCE", report.since]) if uid > last)
    report.folders[folder] = len(uids)
    for start in range(0, len(uids), HEADER_BATCH):
        batch = uids[start:start + HEADER_BATCH]
        heads = client.fetch(batch, ["BODY.PEEK[HEADER]", "INTERNALDATE"])
        for uid in batch:
            data = heads.get(uid)
            if data is None:  # expunged meanwhile
                continue
            header = data.get(b"BODY[HEADER]") or b""
            message = parse_message(header)
            _one_message(client, folder, uidvalidity, uid, message, data.get(b"INTERNALDATE"),
                         campaign, journal, letters, report)
            if progress:
                progress(folder, 1)
        journal.advance_mailbox(folder, uidvalidity, batch[-1])


def _one_message(client, folder, uidvalidity, uid, head, internal_date, campaign, journal, letters, report) -> None:
    header_id = (message_ids(head.get("Message-ID")) or [""])[0]
    dsn = is_dsn(head)
    match = None if dsn else match_headers(head, letters)
    if not dsn and match is None:
        report.other += 1
        return
    if journal.has_reply(header_id):
        report.already += 1
        return
    raw = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
    message = parse_message(raw)
    subject = decoded(message.get("Subject"))
    kind, note, bounce_error = "answer", "", ""
    if dsn:
        statuses = read_dsn(message)
        match = _match_dsn(statuses, letters)
        if match is None:
            report.other += 1
            return
        failed = [s for s in statuses if s.action == "failed"]
        if failed:
            kind = "bounce"
            detail = failed[0]
            bounce_error = f"avvist av mottakerens server: {detail.status} {detail.diagnostic}".strip()
            note = bounce_error
        else:
            kind = "auto"
            note = "leveringsvarsel: " + ", ".join(sorted({s.action or "ukjent" for s in statuses}))
    else:
        reason = auto_reply_reason(message, subject)
        if reason:
            kind, note = "auto", f"automatisk svar ({reason})"
    assert match is not None  # both ways above return early without a match
    letter = match.letter
    if letter is None:
        kind, note = "unmatched", match.note
    recipient = letter.recipient if letter else ""
    public = letter is not None and organisation_letter(letter) and letters.kinds.get(recipient) in PUBLIC_KINDS
    moment = received_at(message, internal_date)
    name = f"{moment:%Y-%m-%d}-{safe_stem(recipient or kind)}-{kind}-{safe_stem(folder)}-{uidvalidity}-{uid}.eml"
    relative = f"{REPLIES_FOLDER}/{name}"
    # The file first, then the journal: a run killed between the two writes the same file again next time.
    atomic_write_bytes(campaign.output_dir / relative, raw)
    row = ReplyRow(
        folder=folder, uidvalidity=uidvalidity, uid=uid, header_id=header_id, kind=kind,
        message_id=letter.message_id if letter else "", recipient=recipient, matched_by=match.by if letter else "",
        received_at=moment.isoformat(timespec="seconds"), sender=decoded(message.get("From")), subject=subject,
        excerpt="" if kind == "bounce" else first_lines(message), file=relative, note=note,
        # Kept after the campaign: a public body's answer (a public record) and bounces (no one's words).
        personal=kind in ("auto", "unmatched") or (kind == "answer" and not public), purged=False,
    )
    if journal.record_reply(row, bounce_error=bounce_error):
        report.recorded.append(row)
    else:
        report.already += 1


def _match_dsn(statuses: list[DeliveryStatus], letters: Letters) -> Match | None:
    for status in statuses:
        for mid in status.original_ids:
            if mid in letters.by_message_id:
                return Match(letters.by_message_id[mid], "thread")
    for status in statuses:
        candidates = letters.by_address.get(status.recipient, [])
        if len(candidates) == 1:
            return Match(candidates[0], "address")
    return None


def answered(journal: Journal) -> dict[str, ReplyRow]:
    """The first answer (not automatic, not a bounce) from each recipient, by recipient id."""
    found: dict[str, ReplyRow] = {}
    for reply in journal.replies():
        if reply.kind == "answer" and reply.recipient:
            found.setdefault(reply.recipient, reply)
    return found
