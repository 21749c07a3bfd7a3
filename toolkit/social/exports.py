"""Exports of the post calendar: iCalendar, the full CSV (plain and for Excel), and bulk-upload files.

Every file is written atomically, and a rerun on the same campaign gives byte-identical files: the
iCalendar file has fixed UIDs and DTSTAMP, events sorted by time. Bulk-upload formats are as
documented by each tool when this was written (see ../shared/reference/social.md, section 2); the
README asks users to check them against their tool's current template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from toolkit.core.fsutil import atomic_write_bytes
from toolkit.core.model import LANGUAGE_NAMES, Campaign, PostCalendar, SocialPost
from toolkit.core.tabular import write_csv
from toolkit.core.templates import format_date, weekday
from toolkit.social import ics
from toolkit.social.counting import PLATFORM_NAMES
from toolkit.social.images import CALENDAR_DIR, IMAGES_DIR, web_address, write_cards
from toolkit.social.page import render_page
from toolkit.social.posts import is_past, status

EVENT_MINUTES = 15
POSTS_HEADER = [
    "id", "dag", "dato", "ukedag", "klokkeslett", "utc", "tidssone", "plattform", "språk", "merkedag", "tittel",
    "tekst", "tegn", "grense", "emneknagger", "lenke", "bilde", "alt-tekst", "faktum", "krav", "status",
]
# The bulk formats: one file per platform, because each upload goes to one channel or profile.
BUFFER_HEADER = ["Text", "Image URL", "Tags", "Posting Time"]
SPROUT_HEADER = ["date", "time_24hr", "message_text"]
BULK_TOOLS = ("buffer", "hootsuite", "sprout")



@dataclass
class CalendarReport:
    """What a calendar run wrote."""

    posts: int = 0
    invalid: int = 0
    files: list[Path] = field(default_factory=list)
    now: datetime | None = None  # the moment the run counted from: posts before it are past
    past: int = 0  # posts (one per platform) whose time had passed: not in the bulk-upload files
    past_first: datetime | None = None
    past_last: datetime | None = None


def ics_bytes(campaign: Campaign, calendar: PostCalendar, now: datetime | None = None) -> bytes:
    """The calendar as iCalendar: one event per post in the campaign's time zone, one per observance day."""
    slug = campaign.slug
    # A fixed DTSTAMP (the period's first midnight, UTC) keeps reruns byte-identical.
    stamp = ics.datetime_property("DTSTAMP", datetime.combine(campaign.start, time(0), tzinfo=timezone.utc), None)
    text = ics.escape_text
    name = text(f"16 dager {campaign.year}: innlegg i sosiale medier")
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0",
        f"PRODID:{text(f'-//{campaign.organisation.name}//toolkit postkalender//NO')}",
        f"NAME:{name}", f"X-WR-CALNAME:{name}", f"UID:{text(f'postkalender@{slug}')}",
    ]
    # The VTIMEZONE for the whole campaign year: standard and summer time, nothing from 1970 on.
    year = (date(campaign.year, 1, 1), date(campaign.year + 1, 1, 1))
    zone = None if ics.is_utc(campaign.timezone, *year) else campaign.timezone
    if calendar.posts and zone:
        lines += ics.vtimezone(zone, *year)
    for observance in calendar.observances:
        description = "\n".join(part for part in (observance.theme, f"Kilde: {observance.source}") if part)
        lines += [
            "BEGIN:VEVENT",
            f"SUMMARY:{text(f'Merkedag: {observance.name}')}",
            f"DTSTART;VALUE=DATE:{ics.format_date(observance.date)}",
            f"DTEND;VALUE=DATE:{ics.format_date(observance.date + timedelta(days=1))}",
            stamp,
            f"UID:{text(f'merkedag-{observance.date:%Y%m%d}@{slug}')}",
            "CATEGORIES:merkedag,16 dager",
            f"DESCRIPTION:{text(description)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    for post in calendar.posts:
        platform = PLATFORM_NAMES[post.platform]
        prefix = "UGYLDIG – " if post.problems else ""
        details = [post.text, "", f"Tegn: {post.count} av {post.limit}, talt slik {platform} teller.", f"Status: {status(post, now)}"]
        if post.image:
            details += [f"Bilde: {post.image}", f"Alt-tekst: {post.alt_text}"]
        if post.observance:
            details.append(f"Merkedag: {post.observance}")
        description = "\n".join(details)
        lines += [
            "BEGIN:VEVENT",
            # RFC 5545 §3.2.10: the language of the post's words, so a calendar app can read them right.
            f"SUMMARY;LANGUAGE={post.language}:{text(f'{prefix}{platform} · Dag {post.day} · {post.title}')}",
            ics.datetime_property("DTSTART", post.publish_at, zone),
            ics.datetime_property("DTEND", post.publish_at + timedelta(minutes=EVENT_MINUTES), zone),
            stamp,
            f"UID:{text(f'{post.key}@{slug}')}",
            f"CATEGORIES:{text(platform)},16 dager",
            f"DESCRIPTION;LANGUAGE={post.language}:{text(description)}",
            "TRANSP:TRANSPARENT",
        ]
        if post.link:
            lines.append(f"URL:{post.link}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ics.to_bytes(lines)


def posts_rows(calendar: PostCalendar, campaign: Campaign, now: datetime | None = None) -> list[list]:
    """One row per post with every field, for posts.csv and its Excel variant."""
    rows = []
    for post in calendar.posts:
        rows.append([
            post.id, post.day, post.date.isoformat(), weekday(post.date, campaign.language),
            post.publish_at.strftime("%H:%M"), post.publish_utc.strftime("%Y-%m-%dT%H:%M:%SZ"), campaign.timezone,
            PLATFORM_NAMES[post.platform], LANGUAGE_NAMES[post.language], post.observance, post.title, post.text, post.count, post.limit,
            " ".join(post.hashtags), post.link, post.image, post.alt_text, post.fact_id, post.demand_id, status(post, now),
        ])
    return rows


def _web_image(post: SocialPost, calendar: PostCalendar | None = None) -> str:
    """Bulk tools take images by URL only: a web address, or a card under ``images.base_url``; else empty."""
    return web_address(post, calendar)


def bulk_files(calendar: PostCalendar, now: datetime | None = None) -> dict[str, tuple[list[str] | None, list[list]]]:
    """Every bulk-upload file as ``{relative path: (header or None, rows)}``; invalid posts, and posts
    whose time has passed at ``now`` (a tool would refuse them or publish them all at once), are left out."""
    files: dict[str, tuple[list[str] | None, list[list]]] = {}
    for platform in calendar.enabled:
        posts = [p for p in calendar.posts if p.platform == platform.id and p.valid and not is_past(p, now)]
        files[f"buffer/buffer-{platform.id}.csv"] = (BUFFER_HEADER, [
            [p.text, _web_image(p, calendar), "", p.publish_at.strftime("%Y-%m-%d %H:%M")] for p in posts
        ])
        # Hootsuite's Bulk Composer: no header; date and time, message, link (the link is in the text).
        files[f"hootsuite/hootsuite-{platform.id}.csv"] = (None, [
            [p.publish_at.strftime("%d/%m/%Y %H:%M"), p.text, ""] for p in posts
        ])
        files[f"sprout/sprout-{platform.id}.csv"] = (SPROUT_HEADER, [
            [p.publish_at.strftime("%d/%m/%Y"), p.publish_at.strftime("%H:%M"), p.text] for p in posts
        ])
    return files


def write_calendar(campaign: Campaign, calendar: PostCalendar, now: datetime | None = None) -> CalendarReport:
    """Write every export of the calendar into ``<output>/calendar``.

    ``now`` (timezone-aware) is the moment the run counts from: posts at or before it are past. They
    stay in the .ics, the CSV and the page, marked «publisert/passert», and are left out of the
    bulk-upload files. None: nothing is past (a calendar made before the campaign)."""
    out = campaign.output_dir / CALENDAR_DIR
    report = CalendarReport(posts=len(calendar.posts), invalid=sum(1 for p in calendar.posts if not p.valid), now=now)
    past = [p for p in calendar.posts if is_past(p, now)]
    if past:
        report.past = len(past)
        report.past_first, report.past_last = min(p.publish_at for p in past), max(p.publish_at for p in past)
    written: list[Path] = []

    def save(name: str, data: bytes) -> None:
        atomic_write_bytes(out / name, data, durable=False)
        written.append(out / name)

    written += write_cards(campaign, calendar, out / IMAGES_DIR)
    save("posts.ics", ics_bytes(campaign, calendar, now))
    rows = posts_rows(calendar, campaign, now)
    write_csv(out / "posts.csv", POSTS_HEADER, rows)
    write_csv(out / "posts-excel.csv", POSTS_HEADER, rows, excel=True)
    written += [out / "posts.csv", out / "posts-excel.csv"]
    bulk = bulk_files(calendar, now)
    for name, (header, body) in bulk.items():
        write_csv(out / name, header, body)
        written.append(out / name)
    for tool in BULK_TOOLS:
        _remove_stale(out / tool, {out / name for name in bulk})
    save("index.html", render_page(campaign, calendar, out, now).encode("utf-8"))
    report.files = written
    return report


def _remove_stale(folder: Path, keep: set[Path]) -> None:
    """Remove the files of platforms that were switched off since the last run."""
    if folder.is_dir():
        for path in folder.glob("*.csv"):
            if path not in keep:
                path.unlink()


def calendar_now(campaign: Campaign, day: date | None, clock: datetime | None = None, exact: bool = False) -> datetime:
    """The moment a calendar run counts from: the start of ``day`` in the campaign's time zone, or the
    present moment when no day is given or (unless ``exact``, as for --from) the day is today."""
    zone = ZoneInfo(campaign.timezone)
    present = (clock or datetime.now(timezone.utc)).astimezone(zone)
    if day is None or (day == present.date() and not exact):
        return present
    return datetime.combine(day, time(0), tzinfo=zone)


def calendar_summary(report: CalendarReport, output_dir: Path) -> str:
    """The summary both `toolkit calendar` and `toolkit build` print."""
    text = (f"Postkalender: {report.posts} innlegg i {output_dir / 'calendar'} "
            "(kalenderfil, CSV, filer for Buffer, Hootsuite og Sprout, kalenderside).")
    if report.invalid:
        which = "ugyldig innlegg er" if report.invalid == 1 else "ugyldige innlegg er"
        text += f" {report.invalid} {which} merket UGYLDIG og utelatt fra filene for planleggingsverktøyene."
    if report.past and report.now and report.past_first and report.past_last:  # all set together by write_calendar
        first, last = report.past_first, report.past_last
        cutoff = format_date(report.now.date()) + (f" kl. {report.now:%H:%M}" if (report.now.hour, report.now.minute) != (0, 0) else "")
        text += (
            f"\n  {report.past} innlegg hadde tidspunkt før {cutoff} "
            f"(fra {format_date(first.date(), with_year=False)} kl. {first:%H:%M} til {format_date(last.date(), with_year=False)} "
            f"kl. {last:%H:%M}): de er utelatt fra filene for Buffer, Hootsuite og Sprout, og står som «publisert/passert» "
            "i kalenderfilen, CSV-en og kalendersiden."
        )
    elif report.now is not None:
        text += (f"\n  Ingen innlegg har passert ({format_date(report.now.date())} kl. {report.now:%H:%M}): "
                 "alle er med i filene for planleggingsverktøyene.")
    return text
