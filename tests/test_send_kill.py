"""Crash safety: a real `toolkit send` process is killed (SIGKILL) at several points and rerun.

After every kill and at the end, the receiving server must hold exactly one copy of every message
the journal calls sent, none of any message it calls pending, and at most one message per kill
may be "uncertain" (in flight when the process died); the rerun reports it and does not send it again.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from send_helpers import build_pack, make_sendable, set_smtp
from smtp_server import SmtpServer

from toolkit.send.journal import journal_path

ROOT = Path(__file__).resolve().parent.parent
RECIPIENTS = ("jd", "ud", "aid", "hod", "kd", "kud", "bfd", "kdd", "dfd", "fin", "minister-jd", "komite-justis", "mp-test", "mp-hostile")


class KillAt:
    """Kills the sending process at the ``nth`` ``stage`` seen by the server in this run.

    Stages: EHLO (connected, nothing in flight), MAIL (a message's transaction starts, while the
    journal records it and the previous one's success), DATA (the message is stored, its 250 not
    yet sent), REPLIED (just after the 250 went out).
    """

    def __init__(self, stage: str, nth: int):
        self.stage, self.nth = stage, nth
        self.seen = 0
        self.process: subprocess.Popen | None = None

    def __call__(self, stage: str, handler) -> None:
        wanted = "DATA" if self.stage == "REPLIED" else self.stage
        if stage != wanted or self.process is None:
            return
        self.seen += 1
        if self.seen != self.nth:
            return
        if self.stage == "REPLIED":
            # Runs after this handler returns and the server has written its 250.
            asyncio.get_running_loop().call_soon(self.process.kill)
        else:
            self.process.kill()


class KillAfterArrivals:
    """Kills the process from the test's own thread once ``count`` more messages have arrived."""

    def __init__(self, count: int):
        self.count = count
        self.process: subprocess.Popen | None = None

    def __call__(self, stage: str, handler) -> None:
        pass

    def watch(self, handler) -> None:
        target = handler.count() + self.count

        def run() -> None:
            while self.process.poll() is None:
                if handler.count() >= target:
                    self.process.kill()
                    return
                time.sleep(0.001)

        threading.Thread(target=run, daemon=True).start()


def start_send(campaign_dir: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "toolkit", "send", "--campaign", str(campaign_dir), "--send", "--yes", "--rate", "0", *extra],
        cwd=campaign_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def journal_states(campaign_dir: Path) -> dict[str, str]:
    path = journal_path(campaign_dir)
    if not path.exists():
        return {}
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT recipient, state FROM messages"))


def check_consistent(states: dict[str, str], arrived: dict[str, int]) -> None:
    """What the journal says matches what the server holds, but for the uncertain ones."""
    for recipient in RECIPIENTS:
        count, state = arrived.get(recipient, 0), states.get(recipient, "pending")
        assert count <= 1, f"{recipient} got {count} messages"
        if state == "sent":
            assert count == 1, f"{recipient} is marked sent but did not arrive"
        elif state != "sending":
            assert count == 0, f"{recipient} arrived but the journal says {state}"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL semantics")
def test_killed_sending_resumes_without_duplicates_or_losses(campaign_dir):
    make_sendable(campaign_dir)
    kill_points = [
        KillAt("EHLO", 1),  # connected, no message started: nothing can be uncertain
        KillAt("MAIL", 1),  # the first message has begun: it is in flight, nothing has arrived
        KillAt("DATA", 1),  # a message has arrived but its 250 has not: in flight and delivered
        KillAt("REPLIED", 2),  # right after a message is accepted
        KillAfterArrivals(2),  # whenever the second message of the run has arrived
        KillAt("MAIL", 3),  # a later message starts, after two went through
    ]
    with SmtpServer(delay=0.02) as server:
        set_smtp(campaign_dir, server.port)
        build_pack(campaign_dir, ids=RECIPIENTS)
        uncertain: set[str] = set()
        for point in kill_points:
            server.handler.hooks[:] = [point]
            process = start_send(campaign_dir)
            point.process = process
            if isinstance(point, KillAfterArrivals):
                point.watch(server.handler)
            _, stderr = process.communicate(timeout=120)
            assert process.returncode != 0, f"{point.__class__.__name__} did not kill the run: {stderr}"
            if uncertain:
                assert f"USIKKER: {len(uncertain)} e-post" in stderr
            states = journal_states(campaign_dir)
            new = {r for r, s in states.items() if s == "sending"} - uncertain
            assert len(new) <= 1, f"more than one message in flight at once: {new}"
            arrived = server.handler.by_recipient()
            stage = getattr(point, "stage", None)
            if stage == "EHLO":
                assert not new
            elif stage == "DATA":
                # The server has the message, the sender never heard back: exactly this one is uncertain.
                assert len(new) == 1 and arrived[next(iter(new))] == 1
            uncertain |= new
            check_consistent(states, arrived)
        server.handler.hooks.clear()

        final = start_send(campaign_dir)
        stdout, stderr = final.communicate(timeout=120)
        assert final.returncode == 0, stderr
        assert f"USIKKER: {len(uncertain)} e-post" in stderr and "--resend-uncertain" in stderr
        arrived = server.handler.by_recipient()
        states = journal_states(campaign_dir)
        check_consistent(states, arrived)
        for recipient in RECIPIENTS:
            if recipient in uncertain:
                assert states[recipient] == "sending"
            else:
                assert states[recipient] == "sent" and arrived[recipient] == 1

        # Asking for it sends what may be missing; nothing else goes out again.
        resend = start_send(campaign_dir, "--resend-uncertain")
        _, stderr = resend.communicate(timeout=120)
        assert resend.returncode == 0, stderr
        arrived_after = server.handler.by_recipient()
        for recipient in RECIPIENTS:
            expected = arrived.get(recipient, 0) + (1 if recipient in uncertain else 0)
            assert arrived_after[recipient] == expected
        assert set(journal_states(campaign_dir).values()) == {"sent"}
