"""The send journal: states survive a reopen, a damaged file is reported and kept, one run at a time."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest

from toolkit.send.journal import FAILED, PENDING, SENDING, SENT, Journal, JournalError

MESSAGES = [
    ("<a@example.org>", "jd", "jd@example.org", "emails/jd.eml", "hash-a"),
    ("<b@example.org>", "ud", "ud@example.org", "emails/ud.eml", "hash-b"),
    ("<c@example.org>", "mp-æøå", "ase@example.org", "supporters/kari/mp.eml", "hash-c"),
]


def fixed_clock():
    return datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def journal_path(tmp_path):
    return tmp_path / "ut" / "send-journal.sqlite"


def test_a_message_moves_through_its_states_and_they_survive_a_reopen(journal_path):
    journal_path.parent.mkdir()
    with Journal.open(journal_path, create=True, lock=True, now=fixed_clock) as journal:
        journal.add_pending(MESSAGES)
        journal.start_sending("<a@example.org>", "hash-a")
        journal.mark_pending("<a@example.org>", "451 4.3.0 prøv igjen")
        journal.start_sending("<a@example.org>", "hash-a")
        # The next message's start records the previous one as sent in the same transaction.
        journal.start_sending("<b@example.org>", "hash-b", finished="<a@example.org>")
        journal.mark_failed("<b@example.org>", "550 5.1.1 ukjent mottaker")
    with Journal.open(journal_path, create=False) as journal:
        rows = journal.rows()
        assert journal.counts() == {PENDING: 1, SENDING: 0, SENT: 1, FAILED: 1}
    a, b, c = rows["<a@example.org>"], rows["<b@example.org>"], rows["<c@example.org>"]
    assert (a.state, a.attempts, a.last_error, a.sent_at) == (SENT, 2, "", "2026-11-25T09:30:00+00:00")
    assert (b.state, b.attempts, b.last_error) == (FAILED, 1, "550 5.1.1 ukjent mottaker")
    assert (c.state, c.recipient, c.file) == (PENDING, "mp-æøå", "supporters/kari/mp.eml")


def test_adding_again_keeps_what_was_sent_and_what_is_in_flight(journal_path):
    journal_path.parent.mkdir()
    with Journal.open(journal_path, create=True) as journal:
        journal.add_pending(MESSAGES)
        journal.start_sending("<a@example.org>", "hash-a")
        journal.mark_sent("<a@example.org>")
        journal.start_sending("<b@example.org>", "hash-b")
        journal.add_pending([(m[0], m[1], "changed@example.org", m[3], "new-hash") for m in MESSAGES])
        rows = journal.rows()
    assert (rows["<a@example.org>"].state, rows["<a@example.org>"].sha256) == (SENT, "hash-a")
    assert (rows["<b@example.org>"].state, rows["<b@example.org>"].address) == (SENDING, "ud@example.org")
    assert (rows["<c@example.org>"].state, rows["<c@example.org>"].sha256) == (PENDING, "new-hash")


def test_no_journal_is_created_unless_asked(journal_path):
    assert Journal.open(journal_path, create=False) is None
    assert not journal_path.exists()


@pytest.mark.parametrize("damage", ["not-sqlite", "torn-page"])
def test_a_damaged_journal_is_reported_and_left_as_it_is(journal_path, damage):
    journal_path.parent.mkdir()
    if damage == "not-sqlite":
        journal_path.write_bytes(b"Dette er ikke en database.\n" * 200)
    else:
        with Journal.open(journal_path, create=True) as journal:
            journal.add_pending([(f"<{i}@example.org>", f"r{i}", "x@example.org", "emails/x.eml", "h" * 64) for i in range(400)])
        connection = sqlite3.connect(journal_path)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        data = bytearray(journal_path.read_bytes())
        page = 4096
        assert len(data) > 3 * page
        # Tear the b-tree pages' headers, as a disk that lost a write would.
        for offset in range(page, len(data), page):
            data[offset: offset + 12] = b"\xff" * 12
        journal_path.write_bytes(bytes(data))
    before = journal_path.read_bytes()
    with pytest.raises(JournalError) as caught:
        Journal.open(journal_path, create=True, lock=True)
    message = str(caught.value)
    assert str(journal_path) in message and "skadet" in message and "ikke erstattet" in message
    assert journal_path.read_bytes() == before


def test_another_programs_sqlite_file_is_not_taken_for_a_journal(journal_path):
    journal_path.parent.mkdir()
    connection = sqlite3.connect(journal_path)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    with pytest.raises(JournalError, match="ikke en sendejournal"):
        Journal.open(journal_path, create=True)


def test_only_one_sending_run_at_a_time(journal_path):
    journal_path.parent.mkdir()
    first = Journal.open(journal_path, create=True, lock=True)
    try:
        with pytest.raises(JournalError, match="bruker allerede sendejournalen"):
            Journal.open(journal_path, create=True, lock=True)
        # Reading the journal (a dry run, --status) is still possible.
        reader = Journal.open(journal_path, create=False)
        assert reader.counts()[PENDING] == 0
        reader.close()
    finally:
        first.close()
    Journal.open(journal_path, create=True, lock=True).close()
