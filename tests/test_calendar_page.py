"""The calendar page: semantic, escaped, offline, readable contrast, and rendered by a real browser."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import textwrap
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import copy_campaign

from toolkit.social.exports import write_calendar
from toolkit.social.images import contrast_ratio
from toolkit.social.page import PALETTE, TEXT_ON
from toolkit.validate import check_campaign


def write_page(folder: Path) -> tuple[object, str, Path]:
    campaign, problems = check_campaign(folder, date(2026, 11, 20))
    assert problems.errors == []
    write_calendar(campaign, campaign.calendar)
    page = folder / "ut" / "calendar" / "index.html"
    return campaign, page.read_text(encoding="utf-8"), page


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The shipped campaign's page, written once for the tests that only read it."""
    return write_page(copy_campaign(tmp_path_factory.mktemp("shipped") / "kampanje"))


class Elements(HTMLParser):
    """Collects start tags with their attributes, and the page's visible text."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def test_page_is_semantic_and_shows_every_post(shipped):
    campaign, html, _ = shipped
    elements = parse(html)
    tags = [tag for tag, _ in elements.tags]
    assert html.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": "nb"}) in elements.tags
    assert tags.count("main") == 1 and tags.count("h1") == 1
    assert tags.count("table") == 1 and tags.count("th") == 7
    cards = [attrs for tag, attrs in elements.tags if tag == "li" and "card" in attrs.get("class", "")]
    assert len(cards) == len(campaign.calendar.posts)
    times = {attrs["datetime"] for tag, attrs in elements.tags if tag == "time"}
    assert {p.publish_at.isoformat() for p in campaign.calendar.posts} <= times
    # Sixteen days in the period; the days of the first and last week outside it are greyed.
    days = [a for t, a in elements.tags if t == "td" and "day" in a.get("class", "").split()]
    outside = [a for t, a in elements.tags if t == "td" and a.get("class") == "outside"]
    assert (len(days), len(outside)) == (16, 5)
    text = "".join(elements.text)
    assert "FNs internasjonale dag for avskaffelse av slaveri" in text
    assert "214 av 280 tegn" in text  # the X opening post, counted as X counts it
    assert "Trenger bilde" not in text  # every Instagram post has its card (toolkit.social.images)


def test_page_escapes_everything_and_uses_nothing_from_the_network(campaign_dir):
    (campaign_dir / "bilder").mkdir()
    (campaign_dir / "bilder" / "bånd.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    path = campaign_dir / "posts.yaml"
    post = textwrap.dedent("""\
        - id: skript
          date: 2026-11-26
          time: "06:00"
          title: "<b>Fet</b> & «sitat»"
          text: "Se <script>alert('x')</script> & \\"sitat\\""
          image: bilder/bånd.png
          alt_text: "Et oransje bånd \\"<img>\\""
    """)
    path.write_text(path.read_text(encoding="utf-8") + textwrap.indent(post, "  "), encoding="utf-8")
    _, html, page = write_page(campaign_dir)
    assert "<script" not in html and "&lt;script&gt;alert(" in html
    assert "<b>Fet</b>" not in html and "&lt;b&gt;Fet&lt;/b&gt; &amp; «sitat»" in html
    elements = parse(html)
    # The post's own image (the cards of the other Instagram posts are tested in test_post_images.py).
    images = [attrs for tag, attrs in elements.tags if tag == "img" and "bilder/bånd.png" in attrs["src"]]
    assert {a["alt"] for a in images} == {'Et oransje bånd "<img>"'}
    assert all((page.parent / a["src"]).resolve() == (campaign_dir / "bilder" / "bånd.png").resolve() for a in images)
    for tag, attrs in elements.tags:
        assert tag not in ("script", "link", "iframe", "object")
        for name in ("src", "href"):
            assert not attrs.get(name, "").startswith(("http:", "https:", "//")), (tag, attrs)
    assert "@import" not in html and "url(" not in html and "@font-face" not in html


def test_colours_meet_wcag_aa_contrast(shipped):
    _, html, _ = shipped
    declared = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6});", html))
    assert declared == PALETTE
    for foreground, background in TEXT_ON:
        ratio = contrast_ratio(declared[foreground], declared[background])
        assert ratio >= 4.5, f"{foreground} on {background}: {ratio:.2f}"
        assert f"var(--{foreground})" in html and f"var(--{background})" in html


def test_contrast_formula_against_known_values():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48  # the classic just-failing grey
    assert contrast_ratio("#f28c28", "#f28c28") == 1.0


def test_print_stylesheet(shipped):
    _, html, _ = shipped
    assert "@media print" in html and "@page" in html and "break-inside: avoid" in html


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


CHROMIUM = find_chromium()


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
def test_page_in_a_real_headless_browser(shipped, tmp_path):
    campaign, _, page = shipped
    flags = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profil'}",
    ]
    screenshot = tmp_path / "cal.png"
    subprocess.run(flags + [f"--screenshot={screenshot}", "--window-size=1400,2000", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    data = screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1400, 2000)
    assert len(data) > 50_000  # a blank or error page compresses to a few kilobytes
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, timeout=120, check=True, text=True).stdout
    elements = parse(dom)
    cards = [a for t, a in elements.tags if t == "li" and "card" in a.get("class", "")]
    assert len(cards) == len(campaign.calendar.posts)
    assert "Postkalender: 16 dager mot vold mot kvinner 2026" in dom


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
def test_page_on_3_december_in_a_real_headless_browser(campaign_dir, tmp_path):
    """Run on 3 December, the browser shows today's box first and the week's past posts as past."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from toolkit.social.exports import calendar_now

    campaign, problems = check_campaign(campaign_dir, date(2026, 12, 3))
    assert problems.errors == []
    now = calendar_now(campaign, date(2026, 12, 3), exact=True)
    assert now == datetime(2026, 12, 3, tzinfo=ZoneInfo("Europe/Oslo"))
    write_calendar(campaign, campaign.calendar, now)
    page = campaign_dir / "ut" / "calendar" / "index.html"
    flags = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profil'}",
    ]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, timeout=120, check=True, text=True).stdout
    elements = parse(dom)
    past = [a for t, a in elements.tags if t == "li" and "past" in a.get("class", "").split()]
    assert len(past) == sum(1 for p in campaign.calendar.posts if p.publish_at < now) > 0
    assert dom.index("I dag:") < dom.index("Oversikt")
    today = [a for t, a in elements.tags if t == "td" and a.get("aria-current") == "date"]
    assert len(today) == 1
