"""The send journal: one SQLite row per message, so that a rerun resumes and nothing is sent twice.

A message moves pending → sending → sent (or failed). "sending" is committed to disk before the
message's data goes to the server and "sent" right after the server accepts it, so after a crash
at most one row is left in "sending": the one message that may or may not have gone out. A message
whose data went out whole but whose answer never came stays "sending" too (uncertain), with why.

The journal belongs to the campaign, not to the output folder: it lives in ``<campaign>/.toolkit/``
and its rows are keyed by the Message-ID, which is made from the campaign, the sender and the
recipient (``emails.message_id``). Renaming or moving the output folder, or building into another
one, therefore sends nothing again. A journal left in an output folder by an older version is found
and moved there (``adopt_old_journals``).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from toolkit.core.errors import ToolkitError
from toolkit.core.fsutil import exclusive_lock, state_dir

JOURNAL_FILE = "send-journal.sqlite"
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATES = (PENDING, SENDING, SENT, FAILED)
# Marks the file as ours ("TKSJ"), so a stray SQLite file is not taken for a journal.
APPLICATION_ID = 0x544B534A
SCHEMA_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"

SCHEMA = """
CREATE TABLE messages (
    message_id TEXT PRIMARY KEY,
    recipient  TEXT NOT NULL,
    address    TEXT NOT NULL,
    file       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at    TEXT
)
"""


# Added by `toolkit replies` (and cleared in part by `toolkit purge`). Created in every journal, old or
# new, without changing SCHEMA_VERSION: the send tables are untouched, so older runs still read it.
REPLY_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    id          INTEGER PRIMARY KEY,
    folder      TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid         INTEGER NOT NULL,
    header_id   TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL CHECK (kind IN ('answer', 'auto', 'bounce', 'unmatched')),
    message_id  TEXT NOT NULL DEFAULT '',
    recipient   TEXT NOT NULL DEFAULT '',
    matched_by  TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL,
    sender      TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    excerpt     TEXT NOT NULL DEFAULT '',
    file        TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    personal    INTEGER NOT NULL DEFAULT 0,
    purged      INTEGER NOT NULL DEFAULT 0,
    recorded_at TEXT NOT NULL,
    UNIQUE (folder, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS replies_header_id ON replies (header_id) WHERE header_id != '';
CREATE TABLE IF NOT EXISTS mailbox_state (
    folder      TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS purges (
    purged_at   TEXT NOT NULL,
    what        TEXT NOT NULL
);
"""
REPLY_KINDS = ("answer", "auto", "bounce", "unmatched")
PERSONAL_GONE = "(slettet)"


@dataclass(frozen=True)
class ReplyRow:
    """One message from the mailbox that `toolkit replies` recorded."""

    folder: str
    uidvalidity: int
    uid: int
    header_id: str
    kind: str  # answer, auto (an automatic reply), bounce (a delivery failure), unmatched
    message_id: str  # the sent letter it belongs to ('' when unmatched)
    recipient: str
    matched_by: str  # thread, address, reference or ''
    received_at: str
    sender: str
    subject: str
    excerpt: str
    file: str  # the saved .eml, relative to the output folder
    note: str
    personal: bool  # from a private person (not a public body's answer): deleted by `toolkit purge`
    purged: bool


class JournalError(ToolkitError):
    """The journal cannot be used: damaged, not ours, or in use by another run."""


@dataclass(frozen=True)
class JournalRow:
    """What the journal knows about one message."""

    message_id: str
    recipient: str
    address: str
    file: str
    sha256: str
    state: str
    attempts: int
    last_error: str
    created_at: str
    updated_at: str
    sent_at: str | None


def journal_path(campaign_folder: Path) -> Path:
    """Where the campaign's send journal lives: ``<campaign>/.toolkit/send-journal.sqlite``."""

    return state_dir(campaign_folder) / JOURNAL_FILE


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Journal:
    """The send journal of one output folder. Open it with ``Journal.open``."""

    def __init__(self, path: Path, connection: sqlite3.Connection, now: Callable[[], datetime]):
        self.path = path
        self._db = connection
        self._now = now
        self._lock_handle = None

    @classmethod
    def open(cls, path: Path, *, create: bool, lock: bool = False, now: Callable[[], datetime] = utc_now) -> "Journal | None":
        """Open (or with ``create``, start) the journal at ``path``; None if it does not exist and create is false.

        A file that is not an intact journal is reported, never replaced: it is the only record of
        what has been sent. With ``lock``, a second run on the same folder is refused.
        """
        path = Path(path)
        exists = path.exists() and path.stat().st_size > 0
        if not exists and not create:
            return None
        if exists:
            _check_magic(path)
        lock_handle = _acquire_lock(path) if lock else None
        try:
            # check_same_thread=False: the sender records a message's start from a helper thread,
            # never while another thread uses the connection.
            connection = sqlite3.connect(str(path), isolation_level=None, timeout=10, check_same_thread=False)
        except sqlite3.Error as exc:
            _release_lock(lock_handle)
            raise JournalError(f"Kan ikke åpne sendejournalen {path}: {exc}.") from None
        journal = cls(path, connection, now)
        journal._lock_handle = lock_handle
        try:
            journal._prepare(fresh=not exists)
        except sqlite3.DatabaseError as exc:
            journal.close()
            raise _damaged(path, str(exc)) from None
        except BaseException:
            journal.close()
            raise
        return journal

    @classmethod
    def open_existing(cls, path: Path, *, lock: bool = False) -> "Journal":
        """Open a journal that must be there (``open`` with create=False, for a path just checked)."""
        journal = cls.open(path, create=False, lock=lock)
        if journal is None:
            raise JournalError(f"Fant ikke sendejournalen {path}.")
        return journal

    def _prepare(self, fresh: bool) -> None:
        db = self._db
        if fresh:
            # One transaction: a crash while starting leaves no file or a complete, empty journal.
            db.execute("BEGIN IMMEDIATE")
            db.execute(SCHEMA)
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("COMMIT")
        else:
            result = db.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                raise _damaged(self.path, "; ".join(str(r[0]) for r in result[:3]))
            application_id = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if application_id != APPLICATION_ID:
                raise JournalError(
                    f"{self.path} er en SQLite-fil, men ikke en sendejournal fra toolkit. "
                    "Flytt den bort; toolkit bruker dette navnet til sin egen sendejournal."
                )
            if version != SCHEMA_VERSION:
                raise JournalError(
                    f"Sendejournalen {self.path} er laget av en annen versjon av toolkit (skjema {version}). "
                    "Bruk den versjonen som laget den til å sende ferdig."
                )
        db.executescript(REPLY_SCHEMA)
        db.execute("PRAGMA journal_mode=WAL")
        # Every state change reaches the disk before the next step: a power cut must not
        # forget that a message went out.
        db.execute("PRAGMA synchronous=FULL")

    def close(self) -> None:
        try:
            self._db.close()
        finally:
            _release_lock(self._lock_handle)
            self._lock_handle = None

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _stamp(self) -> str:
        return self._now().astimezone(timezone.utc).isoformat(timespec="seconds")

    def rows(self) -> dict[str, JournalRow]:
        """Every row, by Message-ID."""
        cursor = self._db.execute(
            "SELECT message_id, recipient, address, file, sha256, state, attempts, last_error, "
            "created_at, updated_at, sent_at FROM messages ORDER BY created_at, rowid"
        )
        return {row[0]: JournalRow(*row) for row in cursor}

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        for state, count in self._db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state"):
            counts[state] = count
        return counts

    def add_pending(self, messages: Iterable[tuple[str, str, str, str, str]]) -> None:
        """Record (message_id, recipient, address, file, sha256) as about to be sent, in one transaction.

        A message already in the journal keeps its state and attempts; only what it will be sent as
        (address, file, content hash) is brought up to date when it has not been sent.
        """
        stamp = self._stamp()
        with self._transaction():
            for message_id, recipient, address, file, sha256 in messages:
                self._db.execute(
                    "INSERT INTO messages (message_id, recipient, address, file, sha256, state, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) "
                    "ON CONFLICT (message_id) DO UPDATE SET recipient = excluded.recipient, "
                    "address = excluded.address, file = excluded.file, sha256 = excluded.sha256, "
                    "updated_at = excluded.updated_at WHERE state IN ('pending', 'failed')",
                    (message_id, recipient, address, file, sha256, stamp, stamp),
                )

    def start_sending(self, message_id: str, sha256: str, *, finished: str | None = None) -> None:
        """Mark a message as being sent, committed before its data goes out.

        ``finished`` is the message the server accepted just before: recording it as sent in the
        same transaction costs one disk sync instead of two.
        """
        stamp = self._stamp()
        with self._transaction():
            if finished is not None:
                self._set_sent(finished, stamp)
            self._db.execute(
                "UPDATE messages SET state = 'sending', sha256 = ?, attempts = attempts + 1, updated_at = ? "
                "WHERE message_id = ?",
                (sha256, stamp, message_id),
            )

    def mark_sent(self, message_id: str) -> None:
        with self._transaction():
            self._set_sent(message_id, self._stamp())

    def _set_sent(self, message_id: str, stamp: str) -> None:
        self._db.execute(
            "UPDATE messages SET state = 'sent', last_error = '', sent_at = ?, updated_at = ? WHERE message_id = ?",
            (stamp, stamp, message_id),
        )

    def mark_pending(self, message_id: str, error: str) -> None:
        """The server did not take the message this time (a temporary error): it will be tried again."""
        self._set_state(message_id, PENDING, error)

    def mark_uncertain(self, message_id: str, error: str) -> None:
        """The message went out whole but the server never confirmed it: it stays "sending" (uncertain), with why."""
        self._set_state(message_id, SENDING, error)

    def mark_failed(self, message_id: str, error: str) -> None:
        self._set_state(message_id, FAILED, error)

    def _set_state(self, message_id: str, state: str, error: str) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE messages SET state = ?, last_error = ?, updated_at = ? WHERE message_id = ?",
                (state, error, self._stamp(), message_id),
            )

    def _transaction(self):
        return _Transaction(self._db, self.path)

    # --- replies (`toolkit replies`) ---

    def mailbox_state(self, folder: str) -> tuple[int, int] | None:
        """(UIDVALIDITY, last UID looked at) of a mailbox folder, or None before the first run."""
        row = self._db.execute("SELECT uidvalidity, last_uid FROM mailbox_state WHERE folder = ?", (folder,)).fetchone()
        return (row[0], row[1]) if row else None

    def advance_mailbox(self, folder: str, uidvalidity: int, last_uid: int) -> None:
        """Every message of ``folder`` up to ``last_uid`` has been looked at (and the relevant ones recorded)."""
        with self._transaction():
            self._advance(folder, uidvalidity, last_uid)

    def _advance(self, folder: str, uidvalidity: int, last_uid: int) -> None:
        self._db.execute(
            "INSERT INTO mailbox_state (folder, uidvalidity, last_uid) VALUES (?, ?, ?) "
            "ON CONFLICT (folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
            (folder, uidvalidity, last_uid),
        )

    def has_reply(self, header_id: str) -> bool:
        """A message with this Message-ID was recorded before (from another folder, or before UIDVALIDITY changed)."""
        if not header_id:
            return False
        return self._db.execute("SELECT 1 FROM replies WHERE header_id = ? LIMIT 1", (header_id,)).fetchone() is not None

    def record_reply(self, reply: ReplyRow, *, bounce_error: str = "") -> bool:
        """Record one message and move the folder's mark past it, in one transaction; False if it was there already.

        A bounce also marks its letter as failed (``bounce_error`` is the reason), in the same transaction.
        """
        stamp = self._stamp()
        with self._transaction():
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO replies (folder, uidvalidity, uid, header_id, kind, message_id, recipient, "
                "matched_by, received_at, sender, subject, excerpt, file, note, personal, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (reply.folder, reply.uidvalidity, reply.uid, reply.header_id, reply.kind, reply.message_id,
                 reply.recipient, reply.matched_by, reply.received_at, reply.sender, reply.subject, reply.excerpt,
                 reply.file, reply.note, int(reply.personal), stamp),
            )
            added = cursor.rowcount == 1
            if added and reply.kind == "bounce" and reply.message_id:
                self._db.execute(
                    "UPDATE messages SET state = 'failed', last_error = ?, updated_at = ? WHERE message_id = ? AND state = 'sent'",
                    (bounce_error, stamp, reply.message_id),
                )
            self._advance(reply.folder, reply.uidvalidity, reply.uid)
        return added

    def replies(self) -> list[ReplyRow]:
        cursor = self._db.execute(
            "SELECT folder, uidvalidity, uid, header_id, kind, message_id, recipient, matched_by, received_at, sender, "
            "subject, excerpt, file, note, personal, purged FROM replies ORDER BY received_at, id"
        )
        return [
            ReplyRow(folder, uidvalidity, uid, header_id, kind, message_id, recipient, matched_by, received_at, sender,
                     subject, excerpt, file, note, bool(personal), bool(purged))
            for (folder, uidvalidity, uid, header_id, kind, message_id, recipient, matched_by, received_at, sender,
                 subject, excerpt, file, note, personal, purged) in cursor
        ]

    # --- `toolkit purge` ---

    def purge_personal(self, supporter_prefix: str = "supporters/") -> dict[str, int]:
        """Blank the personal fields, keeping every row (so that the counts stay): returns what was cleared.

        Replies from private persons lose sender, subject, first lines, file and Message-ID; letters
        signed by supporters lose the file name (which names the supporter's folder).
        """
        stamp = self._stamp()
        with self._transaction():
            replies = self._db.execute(
                "UPDATE replies SET sender = ?, subject = ?, excerpt = '', file = '', header_id = '', note = '', "
                "purged = 1 WHERE personal = 1 AND purged = 0",
                (PERSONAL_GONE, PERSONAL_GONE),
            ).rowcount
            letters = self._db.execute(
                "UPDATE messages SET file = ?, updated_at = ? WHERE file LIKE ? AND file != ?",
                (supporter_prefix + PERSONAL_GONE, stamp, supporter_prefix + "%", supporter_prefix + PERSONAL_GONE),
            ).rowcount
            self._db.execute(
                "INSERT INTO purges (purged_at, what) VALUES (?, ?)",
                (stamp, f"svar fra privatpersoner: {replies}; underskriveres brev: {letters}"),
            )
        return {"replies": replies, "supporter_letters": letters}

    def personal_counts(self) -> dict[str, int]:
        """How many rows still hold personal data (what `purge_personal` would clear)."""
        replies = self._db.execute("SELECT COUNT(*) FROM replies WHERE personal = 1 AND purged = 0").fetchone()[0]
        letters = self._db.execute(
            "SELECT COUNT(*) FROM messages WHERE file LIKE 'supporters/%' AND file != ?", ("supporters/" + PERSONAL_GONE,)
        ).fetchone()[0]
        return {"replies": replies, "supporter_letters": letters}


class _Transaction:
    def __init__(self, db: sqlite3.Connection, path: Path):
        self.db = db
        self.path = path

    def __enter__(self):
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _write_failed(self.path, exc) from None

    def __exit__(self, exc_type, exc, tb):
        try:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        except sqlite3.Error as error:
            if exc_type is None:
                raise _write_failed(self.path, error) from None
        return False


def _write_failed(path: Path, exc: sqlite3.Error) -> JournalError:
    return JournalError(
        f"Kunne ikke skrive i sendejournalen {path}: {exc}. Sendingen er stoppet; "
        "sjekk at disken ikke er full og at mappen er skrivbar, og kjør på nytt for å fortsette."
    )


def _damaged(path: Path, detail: str) -> JournalError:
    return JournalError(
        f"Sendejournalen {path} er skadet ({detail}). Den blir ikke erstattet, fordi den viser hva som "
        "allerede er sendt. Ta vare på en kopi. Gir du filen et nytt navn, starter neste kjøring en ny "
        "journal, og da kan mottakere som allerede har fått e-post, få den en gang til."
    )


def _check_magic(path: Path) -> None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise JournalError(f"Kan ikke lese sendejournalen {path}: {exc.strerror}.") from None
    if head != SQLITE_MAGIC:
        raise _damaged(path, "filen er ikke en SQLite-database")


def _acquire_lock(path: Path):
    """Hold an exclusive lock next to the journal; the system releases it if the process dies."""

    try:
        return exclusive_lock(
            path.with_name(path.name + ".lock"),
            f"En annen toolkit-kommando (send, replies eller purge) bruker allerede sendejournalen i {path.parent}. "
            "Vent til den er ferdig: to samtidige kunne sendt samme e-post to ganger eller ført journalen feil.",
        )
    except ToolkitError as exc:
        raise JournalError(str(exc)) from None


def _release_lock(handle) -> None:
    if handle is not None:
        handle.close()


# A later state wins when two journals know the same message: anything that may have gone out
# (sent, or uncertain) is never turned back into something that would be sent again.
_RANK = {PENDING: 0, FAILED: 1, SENDING: 2, SENT: 3}


def adopt_old_journals(campaign_folder: Path, output_dir: Path, echo: Callable[[str], None]) -> list[Path]:
    """Move send journals that older versions kept in an output folder into the campaign's state folder.

    Looks in the current output folder and in the campaign folder's own subfolders (where a renamed
    output folder would be). A journal is moved when the campaign has none yet, and merged into it
    otherwise (a row's most advanced state wins, so nothing sent or uncertain becomes sendable again).
    Returns the journals moved; each is named to the user through ``echo``.
    """

    campaign_folder = Path(campaign_folder)
    target = journal_path(campaign_folder)
    candidates = [Path(output_dir) / JOURNAL_FILE]
    try:
        candidates += sorted(p / JOURNAL_FILE for p in campaign_folder.iterdir()
                             if p.is_dir() and not p.name.startswith("."))
    except OSError:
        pass
    moved: list[Path] = []
    for number, old in enumerate(dict.fromkeys(candidates)):
        if not old.is_file() or old.stat().st_size == 0 or old.resolve() == target.resolve():
            continue
        try:
            _check_magic(old)
            _check_ours(old)
        except JournalError:
            if number == 0:  # in the output folder, where the toolkit put it: a damaged journal is reported
                raise
            continue  # elsewhere, a file of that name that is not a journal is someone else's
        state_dir(campaign_folder, create=True)
        # The old location's lock: an older toolkit still sending from there must finish first.
        lock = _acquire_lock(old)
        try:
            source = Journal.open_existing(old)
            try:
                source._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                source.close()
            if not target.exists():
                _move_file(old, target)
                what = "flyttet til"
            else:
                _merge_into(target, old)
                old.unlink()
                what = "slått sammen med"
            for suffix in ("-wal", "-shm", ".lock"):
                old.with_name(old.name + suffix).unlink(missing_ok=True)
        finally:
            _release_lock(lock)
        moved.append(old)
        shown = _shown(old, campaign_folder)
        echo(
            f"Sendejournalen i {shown} er {what} {_shown(target, campaign_folder)}: den hører til kampanjen, "
            "ikke til utdatamappen, så det som er sendt, blir husket også når utdatamappen får nytt navn."
        )
    return moved


def _check_ours(path: Path) -> None:
    try:
        # as_uri() percent-encodes spaces, æøå, "#" and "?" and writes a Windows path as file:///C:/…
        with sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True) as db:
            application_id = db.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.Error as exc:
        raise _damaged(path, str(exc)) from None
    if application_id != APPLICATION_ID:
        raise JournalError(f"{path} er ikke en sendejournal fra toolkit.")


def _shown(path: Path, folder: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(folder).resolve()))
    except ValueError:
        return str(path)


def _move_file(old: Path, new: Path) -> None:
    """Move a journal; across disks it is copied, flushed and checked before the old one goes."""
    import shutil

    try:
        os.replace(old, new)
        return
    except OSError:
        pass
    tmp = new.with_name(f".{new.name}.{os.urandom(6).hex()}.tmp")
    shutil.copyfile(old, tmp)
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    if tmp.read_bytes() != old.read_bytes():
        tmp.unlink()
        raise JournalError(f"Kunne ikke flytte sendejournalen {old} til {new}; den er latt være der den er.")
    os.replace(tmp, new)
    old.unlink()


def _merge_into(target: Path, old: Path) -> None:
    with Journal.open_existing(target, lock=True) as journal:
        other = sqlite3.connect(str(old))
        try:
            rows = other.execute(
                "SELECT message_id, recipient, address, file, sha256, state, attempts, last_error, "
                "created_at, updated_at, sent_at FROM messages"
            ).fetchall()
        except sqlite3.Error as exc:
            raise _damaged(old, str(exc)) from None
        finally:
            other.close()
        known = journal.rows()
        with journal._transaction():
            for row in rows:
                mine = known.get(row[0])
                if mine is not None and _RANK.get(mine.state, 0) >= _RANK.get(row[5], 0):
                    continue
                journal._db.execute(
                    "INSERT OR REPLACE INTO messages (message_id, recipient, address, file, sha256, state, attempts, "
                    "last_error, created_at, updated_at, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
