"""Helpers for the sending tests: a campaign whose letters can be sent to a local SMTP server."""

from __future__ import annotations

import re
from pathlib import Path

from helpers import mp_row, read_rows, run, write_rows

# Names that have broken mail-merge tools: Norwegian letters, markup characters, quotes, length.
HOSTILE_NAME = 'Ås & Ø <b>"sitat"</b> ' + "Langnavn" * 12


def smtp_block(port: int, *, security: str = "none", user: str = "", rate: int = 0, window: str = "", timeout: int = 0) -> str:
    lines = ["smtp:", "  host: 127.0.0.1", f"  port: {port}", f"  security: {security}", f"  rate_per_minute: {rate}"]
    if timeout:
        lines.append(f"  timeout: {timeout}")
    if user:
        lines.append(f"  user: {user}")
    if window:
        lines.append(f"  window: {window}")
    return "\n".join(lines) + "\n"


def set_smtp(campaign_dir: Path, port: int, **settings) -> None:
    """Point campaign.yaml's smtp block at the test server."""
    path = campaign_dir / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^smtp:\n(?:[ ].*\n|[ \t]*\n)*", "", text)
    path.write_text(text.rstrip("\n") + "\n\n" + smtp_block(port, **settings), encoding="utf-8")


def make_sendable(campaign_dir: Path, *, verified: int | None = None, extra_mps: bool = True) -> list[dict[str, str]]:
    """Give every recipient an address of its own (the first ``verified`` of them verified), add MPs with hard names."""
    rows = read_rows(campaign_dir / "recipients.csv")
    if extra_mps:
        rows.append(mp_row())
        rows.append(mp_row(id="mp-hostile", name=HOSTILE_NAME, email="hostile@example.org"))
    for index, row in enumerate(rows):
        if row["id"] not in ("mp-test", "mp-hostile"):
            row["email"] = f"{row['id']}@example.org"
        row["email_verified"] = "ja" if verified is None or index < verified else "nei"
        row["verified_on"] = row["email_verified_on"] = "2026-11-01"
    write_rows(campaign_dir / "recipients.csv", rows)
    return rows


# A handful of recipients of every kind keeps each test's build short.
PACK = ("jd", "ud", "aid", "minister-jd", "komite-justis", "komite-ufk", "mp-test", "mp-hostile")


def build_pack(campaign_dir: Path, date: str = "2026-11-25", ids: tuple[str, ...] = PACK) -> None:
    """Render the letters and e-mails of ``ids`` (all recipients if empty)."""
    selectors = [arg for recipient in ids for arg in ("--to", recipient)]
    result = run("letters", "--campaign", str(campaign_dir), "--date", date, *selectors)
    assert result.exit_code == 0, result.output
