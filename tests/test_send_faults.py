"""At most once: `toolkit send` against servers that store a message and then fail to say so.

Each test runs the real command against a real server on 127.0.0.1 (tests/smtp_faults.py), then
runs it again: every recipient must hold exactly one copy, or be reported uncertain and hold at
most one, never two, however many times the command is run.
"""

from __future__ import annotations

import sqlite3

import pytest
from helpers import run
from send_helpers import PACK, build_pack, make_sendable, set_smtp
from smtp_faults import FaultySmtpServer

from toolkit.send.journal import journal_path


def send(campaign_dir, *extra):
    return run("send", "--campaign", str(campaign_dir), "--send", "--yes", "--rate", "0", *extra)


def states(campaign_dir) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(journal_path(campaign_dir)) as db:
        return {recipient: (state, error) for recipient, state, error in
                db.execute("SELECT recipient, state, last_error FROM messages")}


@pytest.fixture
def pack(campaign_dir):
    make_sendable(campaign_dir)
    build_pack(campaign_dir)
    return campaign_dir


def never_twice(server, *, uncertain=()):
    arrived = server.by_recipient()
    assert all(count == 1 for count in arrived.values()), arrived
    for recipient in PACK:
        if recipient not in uncertain:
            assert arrived.get(recipient) == 1, (recipient, arrived)


@pytest.mark.parametrize("fault, says", [
    ("store-close", "forbindelsen ble brutt etter at hele e-posten var overført"),
    ("store-silent", "svarte ikke innen 1 sekunder"),
    ("store-late", "svarte ikke innen 1 sekunder"),
    ("store-421", "421 4.3.2 Serveren stenger"),
])
def test_a_stored_message_without_its_answer_is_uncertain_and_never_sent_again(pack, fault, says):
    # The third message is stored by the server, which then fails to confirm it.
    with FaultySmtpServer("ok", "ok", fault, late_seconds=2.5) as server:
        set_smtp(pack, server.port, timeout=1)
        first = send(pack)
        assert first.exit_code == 1, first.output
        assert "USIKKER: 1 e-post ble overført helt" in first.output and says in first.output
        assert "--resend-uncertain" in first.output and "«Sendt»-mappen" in first.output
        recorded = states(pack)
        uncertain = [r for r, (state, _) in recorded.items() if state == "sending"]
        assert len(uncertain) == 1 and says in recorded[uncertain[0]][1]
        assert sum(1 for state, _ in recorded.values() if state == "sent") == len(PACK) - 1
        never_twice(server)  # the uncertain one did arrive, once

        # A rerun, and another: nothing goes out again, the uncertain one is named with the reason.
        for _ in range(2):
            again = send(pack)
            assert again.exit_code == 0, again.output
            assert "Ingenting å sende." in again.output
            assert "USIKKER: 1 e-post kan ha kommet fram" in again.output and says in again.output
        status = run("send", "--campaign", str(pack), "--status")
        assert "usikker (kan ha kommet fram): 1" in status.output and says in status.output
        assert "usikker" in (pack / "ut" / "send-feil.csv").read_text(encoding="utf-8-sig")
        # Written like any part of the pack: the toolkit's own, in its manifest.
        assert "send-feil.csv" in (pack / "ut" / ".toolkit-pakke.json").read_text(encoding="utf-8")
        never_twice(server)
        assert len(server.stored) == len(PACK)


def test_failures_before_the_end_of_the_data_and_4xx_answers_are_retried_once_each(pack):
    with FaultySmtpServer("close-at-data", "ok", "451", "ok", "ok", "close-at-data") as server:
        set_smtp(pack, server.port, timeout=1)
        result = send(pack)
        assert result.exit_code == 0, result.output
        assert "USIKKER" not in result.output and "Midlertidige feil som ble forsøkt på nytt: 3." in result.output
        never_twice(server)
        assert len(server.stored) == len(PACK)
        rerun = send(pack)
        assert rerun.exit_code == 0 and "Allerede sendt: 8." in rerun.output
        never_twice(server)


def test_a_connection_cut_in_the_middle_of_the_data_never_gives_two_copies(pack):
    with FaultySmtpServer("ok", "cut-mid-data") as server:
        set_smtp(pack, server.port, timeout=1)
        result = send(pack)
        # The sender may or may not have finished writing before the reset reached it: either it tried
        # again (one copy) or it reports the message uncertain (none arrived). Never two.
        uncertain = [r for r, (state, _) in states(pack).items() if state == "sending"]
        assert result.exit_code == (1 if uncertain else 0), result.output
        never_twice(server, uncertain=uncertain)
        assert all(recipient not in server.by_recipient() for recipient in uncertain)
        # The organiser checked: it did not arrive, so they send it on purpose.
        resent = send(pack, "--resend-uncertain")
        assert resent.exit_code == 0, resent.output
        never_twice(server)
        assert {state for state, _ in states(pack).values()} == {"sent"}


def test_a_server_that_never_confirms_stops_the_run_after_three(pack):
    with FaultySmtpServer("ok", "store-close", "store-close", "store-close") as server:
        set_smtp(pack, server.port, timeout=1)
        result = send(pack)
        assert result.exit_code != 0
        assert "har ikke bekreftet de 3 siste" in result.output and "Ikke sendt ennå: 4." in result.output
        recorded = states(pack)
        assert sorted(state for state, _ in recorded.values()) == ["pending"] * 4 + ["sending"] * 3 + ["sent"]
        rest = send(pack)
        assert rest.exit_code == 0, rest.output
        never_twice(server, uncertain=())
        assert len(server.stored) == len(PACK)


def test_renaming_or_moving_the_output_folder_sends_nothing_again(pack):
    from smtp_server import SmtpServer

    with SmtpServer() as server:
        set_smtp(pack, server.port)
        assert send(pack).exit_code == 0
        assert len(server.received) == len(PACK)
        # The organiser renames the output folder and points campaign.yaml at the new name.
        (pack / "ut").rename(pack / "pakke-2026")
        config = pack / "campaign.yaml"
        config.write_text(config.read_text(encoding="utf-8").replace("output: ut", "output: pakke-2026"), encoding="utf-8")
        again = send(pack)
        assert again.exit_code == 0, again.output
        assert f"Allerede sendt: {len(PACK)}." in again.output and "Ingenting å sende." in again.output
        # …or builds a fresh pack into yet another folder, outside the campaign.
        config.write_text(config.read_text(encoding="utf-8").replace("output: pakke-2026", "output: ../ny-pakke"), encoding="utf-8")
        build_pack(pack)
        fresh = send(pack)
        assert fresh.exit_code == 0, fresh.output
        assert f"Allerede sendt: {len(PACK)}." in fresh.output
        assert len(server.received) == len(PACK)


def test_a_journal_left_in_an_old_output_folder_is_found_and_moved(pack):
    from smtp_server import SmtpServer

    with SmtpServer() as server:
        set_smtp(pack, server.port)
        assert send(pack).exit_code == 0
        # What an older toolkit left: the journal inside the output folder, which was then renamed.
        old = pack / "gammel-ut" / "send-journal.sqlite"
        old.parent.mkdir()
        journal_path(pack).rename(old)
        result = send(pack)
        assert result.exit_code == 0, result.output
        assert "Sendejournalen i gammel-ut/send-journal.sqlite er flyttet til .toolkit/send-journal.sqlite" in result.output
        assert f"Allerede sendt: {len(PACK)}." in result.output
        assert not old.exists() and journal_path(pack).exists()
        assert len(server.received) == len(PACK)
        # A second old journal is merged: what it says was sent stays sent.
        import shutil

        shutil.copy(journal_path(pack), pack / "ut" / "send-journal.sqlite")
        with sqlite3.connect(journal_path(pack)) as db:
            db.execute("UPDATE messages SET state = 'pending' WHERE recipient = 'jd'")
        merged = send(pack)
        assert "er slått sammen med .toolkit/send-journal.sqlite" in merged.output
        assert f"Allerede sendt: {len(PACK)}." in merged.output
        assert len(server.received) == len(PACK)
