"""`toolkit status`: the counts from the journal, the op-ed status file and the calendar, on screen, as CSV
and as a page that passes the calendar page's browser and accessibility checks."""

from __future__ import annotations

import csv
import io
import os
import re
import struct
import subprocess
from datetime import date, datetime, timezone

import pytest
from conftest import copy_campaign
from helpers import run
from reply_helpers import letter, sent_campaign
from test_calendar_page import CHROMIUM, parse

from toolkit.followup.status import PALETTE, TEXT_ON
from toolkit.send.journal import Journal, ReplyRow
from toolkit.social.images import contrast_ratio
from toolkit.validate import check_campaign

TODAY = date(2026, 11, 26)


def record(campaign, recipient: str, kind: str, uid: int) -> None:
    with Journal.open(campaign / ".toolkit" / "send-journal.sqlite", create=False) as journal:
        message_id = letter(campaign, recipient)["Message-ID"] if recipient else ""
        journal.record_reply(ReplyRow(
            folder="INBOX", uidvalidity=1, uid=uid, header_id=f"<{uid}@example.net>", kind=kind, message_id=message_id,
            recipient=recipient, matched_by="thread" if recipient else "",
            received_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), sender="x@example.org",
            subject="SV", excerpt="", file="", note="550 5.1.1" if kind == "bounce" else "", personal=False, purged=False,
        ), bounce_error="avvist: 550 5.1.1" if kind == "bounce" else "")


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    base = tmp_path_factory.mktemp("status")
    folder = sent_campaign(base / "kampanje", copy_campaign(base / "kilde"))
    for uid, (recipient, kind) in enumerate([("jd", "answer"), ("komite-justis", "answer"), ("mp-test", "answer"),
                                             ("ud", "auto"), ("mp-hostile", "bounce"), ("", "unmatched")], start=1):
        record(folder, recipient, kind, uid)
    assert run("opeds", "--campaign", str(folder), "--date", "2026-11-25").exit_code == 0
    path = folder / "opeds-status.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for number, word in ((1, "publisert"), (2, "antatt"), (3, "sendt"), (4, "avslått")):
        lines[number] = lines[number].replace(";planlagt;", f";{word};")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("status", "--campaign", str(folder), "--date", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    return folder, result.output


def test_the_screen_shows_the_counts(campaign):
    folder, output = campaign
    assert "Kampanjestatus 26. november 2026" in output
    assert "Brev: 8 skrevet, 7 sendt, 1 feilet, 3 besvart (43 % av de sendte)." in output
    assert "  Departementer: 1 av 3 sendte besvart (33 %)" in output
    assert "  Statsråder: 0 av 1 sendte besvart (0 %)" in output
    assert "  Stortingskomiteer: 1 av 2 sendte besvart (50 %)" in output
    assert "  Stortingsrepresentanter: 1 av 1 sendte besvart (100 %), 1 feilet" in output
    assert "  Stortingsrepresentanter per parti: Arbeiderpartiet 1/1" in output
    assert "automatiske svar: 1; uten treff: 1" in output
    planned = sum(1 for line in (folder / "opeds-status.csv").read_text(encoding="utf-8").splitlines() if ";planlagt;" in line)
    assert f"Kronikker: {planned} planlagt, 1 sendt, venter på svar, 1 antatt, 1 publisert, 1 avslått." in output
    assert "  Skal sendes denne uken: 26. november" not in output  # row 2 (26 Nov) is accepted, not due
    due = output.split("Skal sendes denne uken:")[1].split("\n")[0]
    assert "27. november" not in due and "28. november" not in due  # sent and declined: no longer due
    assert due.strip() == "29. november exitprogram til Tidsskrift for Den norske legeforening"  # the plan from 25 November
    screen = output[output.index("Kampanjestatus"):].splitlines()  # the validation warnings come first, on stderr
    assert len(screen) <= 25  # one screen


def test_csv_has_the_same_counts(campaign):
    folder, _ = campaign
    raw = (folder / "ut" / "status.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["del", "gruppe", "hva", "antall", "andel"]
    figures = {(r[0], r[1], r[2]): r[3] or r[4] for r in rows[1:]}
    assert figures[("brev", "Alle brev", "skrevet")] == "8" and figures[("brev", "Alle brev", "besvart")] == "3"
    assert figures[("brev", "Alle brev", "andel besvart av sendte")] == "43 %"
    assert figures[("brev per mottakertype", "Stortingskomiteer", "sendt")] == "2"
    assert figures[("stortingsrepresentanter per parti", "Arbeiderpartiet", "feilet")] == "1"
    assert figures[("kronikker", "", "publisert")] == "1"


def posts_on(folder, day: date) -> int:
    loaded, problems = check_campaign(folder, TODAY)
    return sum(1 for post in loaded.calendar.posts if post.date == day)


def test_page_is_semantic_offline_and_shows_the_counts(campaign):
    folder, _ = campaign
    html = (folder / "ut" / "status.html").read_text(encoding="utf-8")
    elements = parse(html)
    tags = [tag for tag, _ in elements.tags]
    assert html.startswith("<!DOCTYPE html>") and ("html", {"lang": "nb"}) in elements.tags
    assert tags.count("main") == 1 and tags.count("h1") == 1
    rows = [a for t, a in elements.tags if t == "tr" and a.get("class") == "tally"]
    assert len(rows) == 4 + 1  # four kinds of recipient, one party
    posts = [a for t, a in elements.tags if t == "li" and a.get("class") == "post"]
    assert len(posts) == posts_on(folder, TODAY) + posts_on(folder, date(2026, 11, 27)) > 0
    for tag, attrs in elements.tags:
        assert tag not in ("script", "link", "iframe", "object", "img")
        for name in ("src", "href"):
            assert not attrs.get(name, "").startswith(("http:", "https:", "//")), (tag, attrs)
    assert "@import" not in html and "url(" not in html and "@font-face" not in html
    assert all(a.get("scope") in ("col", "row") for t, a in elements.tags if t == "th")
    text = "".join(elements.text)
    assert "43 %" in text and "Arbeiderpartiet" in text and "Tidsskrift for Den norske legeforening" in text


def test_page_escapes_what_the_campaign_files_say(tmp_path):
    folder = copy_campaign(tmp_path / "kampanje")
    path = folder / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("name: Kvinnenettverket (eksempel)",
                                                            'name: "<script>alert(1)</script> & Co"', 1), encoding="utf-8")
    result = run("status", "--campaign", str(folder), "--date", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    html = (folder / "ut" / "status.html").read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "Ingenting er sendt ennå." in html


def test_colours_meet_wcag_aa_contrast_and_the_page_prints(campaign):
    folder, _ = campaign
    html = (folder / "ut" / "status.html").read_text(encoding="utf-8")
    declared = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6});", html))
    assert declared == PALETTE
    for foreground, background in TEXT_ON:
        ratio = contrast_ratio(declared[foreground], declared[background])
        assert ratio >= 4.5, f"{foreground} on {background}: {ratio:.2f}"
        assert f"var(--{foreground})" in html and f"var(--{background})" in html
    assert "@media print" in html and "@page" in html and "break-inside: avoid" in html


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
def test_page_in_a_real_headless_browser(campaign, tmp_path):
    folder, _ = campaign
    page = folder / "ut" / "status.html"
    flags = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profil'}",
    ]
    screenshot = tmp_path / "status.png"
    subprocess.run(flags + [f"--screenshot={screenshot}", "--window-size=1200,1600", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    data = screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1200, 1600)
    assert len(data) > 50_000  # a blank or error page compresses to a few kilobytes
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, timeout=120, check=True, text=True).stdout
    elements = parse(dom)
    assert len([a for t, a in elements.tags if t == "tr" and a.get("class") == "tally"]) == 5
    assert "Kampanjestatus: 16 dager 2026" in dom
    pdf = tmp_path / "status.pdf"
    subprocess.run(flags + [f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.read_bytes().count(b"/Type /Page") - pdf.read_bytes().count(b"/Type /Pages") <= 2
