"""The calendar page: the campaign's days as a calendar, every post as a card, one offline HTML file.

The page has no scripts, fonts or anything else from the network; its styles are inline and its
colours come from ``PALETTE``, every text colour checked against its background by the WCAG formula
in the tests. Everything from the campaign files is HTML-escaped by Jinja's autoescape.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

from toolkit.core.model import Campaign, PostCalendar, SocialPost
from toolkit.core.templates import page_environment, weekday
from toolkit.pack import public_path
from toolkit.social.counting import PLATFORM_NAMES, PLATFORMS
from toolkit.social.images import URL
from toolkit.social.posts import is_past, status

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "data" / "calendar"
PALETTE = {
    "ink": "#1b1b1b",
    "muted": "#4d4d4d",
    "paper": "#ffffff",
    "page": "#faf7f2",
    "orange": "#f28c28",
    "orange-dark": "#8a3b00",
    "outside": "#e9e6e1",
    "outside-ink": "#5c5c5c",
    "bad": "#a4001d",
    "bad-bg": "#fde8ea",
    "warn": "#6b4a00",
    "warn-bg": "#fff4d6",
    "x": "#000000",
    "bluesky": "#0a5dc2",
    "mastodon": "#563acc",
    "threads": "#1f1f1f",
    "instagram": "#b0216a",
    "facebook": "#1458c8",
    "linkedin": "#0a66c2",
}
# Every (text, background) pair the stylesheet uses: each must reach WCAG AA contrast (4.5:1).
TEXT_ON = [
    ("ink", "paper"), ("ink", "page"), ("muted", "paper"), ("muted", "page"), ("ink", "orange"),
    ("orange-dark", "paper"), ("orange-dark", "page"), ("outside-ink", "outside"), ("bad", "bad-bg"),
    ("bad", "paper"), ("warn", "warn-bg"),
] + [("paper", platform) for platform in PLATFORM_NAMES]
WEEKDAY_NAMES = ("man", "tir", "ons", "tor", "fre", "lør", "søn")


def short_date(value: date, language: str = "nb") -> str:
    """A date as a calendar cell shows it, via Babel: "25. nov."."""
    # babel is imported where it is used: about 16 ms to import, too long for start-up.
    from babel.dates import format_date as babel_format

    return babel_format(value, "d. MMM", locale="nn" if language == "nn" else "nb")


def _weeks(start: date, end: date) -> list[list[date]]:
    """Whole weeks, Monday first, that cover the period."""
    first = start - timedelta(days=start.weekday())
    last = end + timedelta(days=6 - end.weekday())
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [days[i:i + 7] for i in range(0, len(days), 7)]


def _image_src(post: SocialPost, campaign: Campaign, page_dir: Path) -> str:
    """Where the page finds the image: a web address as it is, a campaign file relative to the page."""
    if not post.image or URL.match(post.image):
        return post.image
    # public_path: the page is written in the pack's staging folder, but links as from the real one
    relative = os.path.relpath(campaign.folder.resolve() / post.image, public_path(page_dir.resolve()))
    return Path(relative).as_posix()


def render_page(campaign: Campaign, calendar: PostCalendar, page_dir: Path, now=None) -> str:
    """The calendar page as HTML text, for a file in ``page_dir``; posts before ``now`` are shown as past,
    and during the period the page opens on ``now``'s day."""
    language = campaign.language
    env = page_environment(TEMPLATE_DIR, language)
    env.filters.update(
        kort=lambda d: short_date(d, language),
        ukedag=lambda d: weekday(d, language),
        platform=lambda p: PLATFORM_NAMES[p],
    )
    env.tests["is_past"] = lambda post: is_past(post, now)
    by_day: dict[date, list[SocialPost]] = {}
    for post in calendar.posts:
        by_day.setdefault(post.date, []).append(post)
    # The overview lists each post once per day, with the platforms and times it goes out.
    overview: dict[date, list[dict]] = {}
    for day, posts in by_day.items():
        entries: dict[str, dict] = {}
        for post in posts:
            entry = entries.setdefault(post.id, {"id": post.id, "title": post.title, "posts": [], "first": post})
            entry["posts"].append(post)
        for entry in entries.values():
            entry["posts"].sort(key=lambda p: PLATFORMS.index(p.platform))
            # A post that goes out in both written standards is headed in the campaign's own.
            entry["first"] = next((p for p in entry["posts"] if p.language == language), entry["first"])
            entry["title"] = entry["first"].title
        for entry in entries.values():
            times = sorted(p.publish_at for p in entry["posts"])
            entry["times"] = f"{times[0]:%H:%M}–{times[-1]:%H:%M}" if times[0] != times[-1] else f"{times[0]:%H:%M}"
        overview[day] = list(entries.values())
    platforms = calendar.enabled
    return env.get_template("index.html.j2").render(
        campaign=campaign,
        calendar=calendar,
        platforms=platforms,
        weeks=_weeks(campaign.start, campaign.end),
        weekday_names=WEEKDAY_NAMES,
        days=campaign.days,
        by_day=by_day,
        overview=overview,
        palette=PALETTE,
        status=lambda post: status(post, now),
        is_past=lambda post: is_past(post, now),
        today=now.date() if now is not None and campaign.start <= now.date() <= campaign.end else None,
        now=now,
        past_count=sum(1 for p in calendar.posts if is_past(p, now)),
        image_src=lambda post: _image_src(post, campaign, page_dir),
        invalid=[p for p in calendar.posts if not p.valid],
        need_image=[p for p in calendar.posts if p.platform == "instagram" and not p.image],
        per_platform={p.id: sum(1 for post in calendar.posts if post.platform == p.id) for p in platforms},
    )
