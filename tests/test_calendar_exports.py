"""`toolkit calendar`: the .ics read back by two parsers, the CSV exports by pandas, reruns, invalid posts."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from conftest import copy_campaign
from helpers import run
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.social.exports import write_calendar
from toolkit.validate import check_campaign

ROOT = Path(__file__).resolve().parent.parent
OSLO = ZoneInfo("Europe/Oslo")
FORMULA_STARTS = ("=", "+", "-", "@")


def build_calendar(folder: Path):
    campaign, problems = check_campaign(folder, date(2026, 11, 20))
    assert problems.errors == []
    write_calendar(campaign, campaign.calendar)
    return campaign, folder / "ut" / "calendar"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The shipped campaign's calendar, written once for the tests that only read it."""
    return build_calendar(copy_campaign(tmp_path_factory.mktemp("shipped") / "kampanje"))


def add_post(folder: Path, text: str) -> None:
    path = folder / "posts.yaml"
    source = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
    path.write_text(source + textwrap.indent(textwrap.dedent(text).strip("\n"), "  ") + "\n", encoding="utf-8")


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def test_ics_parsed_with_icalendar_has_every_post_at_its_oslo_time(shipped):
    import icalendar

    campaign, out = shipped
    data = (out / "posts.ics").read_bytes()
    cal = icalendar.Calendar.from_ical(data)
    planned = {f"{p.key}@{campaign.slug}": p for p in campaign.calendar.posts}
    events = [e for e in cal.walk("VEVENT") if isinstance(e.start, datetime)]
    assert len(events) == len(planned) == 175
    for event in events:
        post = planned[str(event["UID"])]
        assert event.start == post.publish_at
        assert event.start.tzinfo is not None and event["DTSTART"].params["TZID"] == "Europe/Oslo"
        assert event.start.utcoffset() == timedelta(hours=1)
        assert event.end - event.start == timedelta(minutes=15)
        assert event["DTSTAMP"].dt == datetime(2026, 11, 25, tzinfo=timezone.utc)
        assert post.text in str(event["DESCRIPTION"])
    # The observance days are all-day events.
    all_day = [e for e in cal.walk("VEVENT") if not isinstance(e.start, datetime)]
    assert {e.start for e in all_day} == {o.date for o in campaign.calendar.observances}
    # Every TZID has its VTIMEZONE; UIDs are unique; lines are CRLF and at most 75 octets.
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Oslo"]
    uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
    assert len(uids) == len(set(uids))
    lines = data.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    x_first = next(e for e in events if str(e["UID"]).startswith("apning-x@"))
    assert x_first.start == datetime(2026, 11, 25, 8, 0, tzinfo=OSLO)


def test_ics_parsed_with_a_second_independent_parser(shipped):
    import ics

    campaign, out = shipped
    cal = ics.Calendar((out / "posts.ics").read_text(encoding="utf-8"))
    planned = {f"{p.key}@{campaign.slug}": p for p in campaign.calendar.posts}
    timed = [e for e in cal.events if not e.all_day]
    assert len(timed) == len(planned)
    for event in timed:
        post = planned[event.uid]
        begin = event.begin.datetime
        assert begin.utcoffset() == timedelta(hours=1)
        assert begin.astimezone(timezone.utc) == post.publish_utc
        assert (begin.hour, begin.minute) == (post.publish_at.hour, post.publish_at.minute)
        assert event.name.startswith(post.platform.capitalize() if post.platform != "linkedin" else "LinkedIn")
    assert sum(1 for e in cal.events if e.all_day) == len(campaign.calendar.observances)


def test_rerun_is_byte_identical_and_uids_survive_a_new_post(campaign_dir):
    import icalendar

    campaign, out = build_calendar(campaign_dir)
    first = digests(out)
    build_calendar(campaign_dir)
    assert digests(out) == first
    before = {str(e["UID"]): e.start for e in icalendar.Calendar.from_ical((out / "posts.ics").read_bytes()).walk("VEVENT")}
    add_post(campaign_dir, "- {id: ekstra, date: 2026-11-27, text: Et nytt innlegg., time: '06:30'}")
    build_calendar(campaign_dir)
    after = {str(e["UID"]): e.start for e in icalendar.Calendar.from_ical((out / "posts.ics").read_bytes()).walk("VEVENT")}
    assert set(before) < set(after)
    assert len(set(after) - set(before)) == 7
    assert all(after[uid] == start for uid, start in before.items())


def test_csv_exports_read_back_with_pandas(shipped):
    campaign, out = shipped
    posts = campaign.calendar.posts
    plain = pd.read_csv(out / "posts.csv", dtype=str, keep_default_na=False)
    raw = (out / "posts-excel.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    excel = pd.read_csv(io.BytesIO(raw), sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for frame in (plain, excel):
        assert list(frame.columns) == [
            "id", "dag", "dato", "ukedag", "klokkeslett", "utc", "tidssone", "plattform", "språk", "merkedag",
            "tittel", "tekst", "tegn", "grense", "emneknagger", "lenke", "bilde", "alt-tekst", "faktum", "krav", "status",
        ]
        assert len(frame) == len(posts)
        for (_, row), post in zip(frame.iterrows(), posts, strict=True):
            assert row["tekst"] == post.text
            assert row["utc"] == post.publish_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
            local = datetime.fromisoformat(f"{row['dato']}T{row['klokkeslett']}").replace(tzinfo=OSLO)
            assert local == post.publish_at
            assert int(row["tegn"]) == post.count and int(row["grense"]) == post.limit
    first = plain.iloc[0]
    assert (first["dag"], first["ukedag"], first["tidssone"], first["språk"]) == ("1", "onsdag", "Europe/Oslo", "bokmål")
    assert set(plain["status"]) == {"ok"}  # Instagram's posts have their cards (toolkit.social.images)

    buffer = pd.read_csv(out / "buffer" / "buffer-x.csv", dtype=str, keep_default_na=False)
    assert list(buffer.columns) == ["Text", "Image URL", "Tags", "Posting Time"]
    x_posts = [p for p in posts if p.platform == "x"]
    assert list(buffer["Text"]) == [p.text for p in x_posts]
    assert list(buffer["Posting Time"]) == [p.publish_at.strftime("%Y-%m-%d %H:%M") for p in x_posts]
    hootsuite = pd.read_csv(out / "hootsuite" / "hootsuite-bluesky.csv", header=None, dtype=str, keep_default_na=False)
    bluesky = [p for p in posts if p.platform == "bluesky"]
    assert hootsuite.shape == (len(bluesky), 3)
    assert hootsuite.iloc[0, 0] == "25/11/2026 08:15" and hootsuite.iloc[0, 1] == bluesky[0].text
    sprout = pd.read_csv(out / "sprout" / "sprout-linkedin.csv", dtype=str, keep_default_na=False)
    assert list(sprout.columns) == ["date", "time_24hr", "message_text"]
    assert (sprout.iloc[0]["date"], sprout.iloc[0]["time_24hr"]) == ("25/11/2026", "07:45")
    tools = sorted(path.relative_to(out).as_posix() for path in out.rglob("*.csv"))
    assert len(tools) == 2 + 3 * 7


def test_formulas_are_neutralised_in_every_csv_export(campaign_dir):
    for sign, slot in zip(FORMULA_STARTS, ("05:00", "05:10", "05:20", "05:30"), strict=True):
        add_post(campaign_dir, f"- {{id: formel-{ord(sign)}, date: 2026-11-26, time: '{slot}', text: '{sign}SUM(1+1)'}}")
    campaign, out = build_calendar(campaign_dir)
    files = sorted(out.rglob("*.csv"))
    assert len(files) == 23
    for path in files:
        excel = path.name == "posts-excel.csv"
        header = None if "hootsuite" in path.parts else "infer"
        frame = pd.read_csv(path, sep=";" if excel else ",", encoding="utf-8-sig", header=header, dtype=str, keep_default_na=False)
        cells = [str(cell) for cell in frame.to_numpy().ravel()]
        assert not [c for c in cells if c.startswith(FORMULA_STARTS)], path
        neutralised = [c for c in cells if c.startswith("'") and "SUM(1+1)" in c]
        # posts.csv has the text and the title (the first line, as no title is set); bulk files the text.
        assert len(neutralised) == (4 * 7 * 2 if path.parent == out else 4), path


def test_invalid_calendar_is_not_exported_unless_allowed(campaign_dir):
    add_post(campaign_dir, f"- {{id: for-lang, date: 2026-11-27, text: Kort., variants: {{x: {'ø' * 270}}}}}")
    out = campaign_dir / "ut" / "calendar"
    result = run("calendar", "--campaign", str(campaign_dir), "--from", "2026-11-20")
    assert result.exit_code == 2
    assert "X: 39 tegn for mye (319 av 280)" in result.output and "linje" in result.output
    assert not out.exists()

    result = run("calendar", "--campaign", str(campaign_dir), "--allow-invalid", "--from", "2026-11-20")
    assert result.exit_code == 0, result.output
    assert "1 ugyldig innlegg er merket UGYLDIG" in result.output
    assert "ADVARSEL: posts.yaml" in result.output and "FEIL:" not in result.output
    frame = pd.read_csv(out / "posts.csv", dtype=str, keep_default_na=False)
    bad = frame[frame["status"].str.startswith("UGYLDIG")]
    assert list(zip(bad["id"], bad["plattform"], strict=True)) == [("for-lang", "X")]
    assert "39 tegn for mye" in bad.iloc[0]["status"]
    buffer = pd.read_csv(out / "buffer" / "buffer-x.csv", dtype=str, keep_default_na=False)
    assert not buffer["Text"].str.contains("ø" * 270).any()
    bluesky = pd.read_csv(out / "buffer" / "buffer-bluesky.csv", dtype=str, keep_default_na=False)
    assert bluesky["Text"].str.startswith("Kort.").any()
    assert "UGYLDIG – X · Dag 3" in (out / "posts.ics").read_text(encoding="utf-8")
    assert 'class="card invalid"' in (out / "index.html").read_text(encoding="utf-8")


def test_allow_invalid_does_not_let_other_errors_through(campaign_dir):
    add_post(campaign_dir, "- {id: bilde, date: 2026-11-26, text: Hei, image: https://example.org/a.png}")
    result = run("calendar", "--campaign", str(campaign_dir), "--allow-invalid", "--from", "2026-11-20")
    assert result.exit_code == 2 and "alt-tekst" in result.output


def test_cli_exit_code_and_message_without_traceback(campaign_dir):
    add_post(campaign_dir, "- {id: utenfor, date: 2027-01-01, text: Hei}")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "toolkit", "calendar"], cwd=campaign_dir, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "posts.yaml" in result.stderr and "utenfor kampanjeperioden" in result.stderr


def test_calendar_without_posts_yaml_says_what_to_do(campaign_dir):
    (campaign_dir / "posts.yaml").unlink()
    result = run("calendar", "--campaign", str(campaign_dir), "--from", "2026-11-20")
    assert result.exit_code == 1 and "posts.yaml" in result.output


def test_build_includes_the_calendar(campaign_dir):
    result = run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert "Postkalender: 175 innlegg" in result.output
    out = campaign_dir / "ut" / "calendar"
    assert {p.name for p in out.iterdir()} >= {"posts.ics", "posts.csv", "posts-excel.csv", "index.html", "buffer", "hootsuite", "sprout"}


def test_switching_a_platform_off_removes_its_bulk_files(campaign_dir):
    _, out = build_calendar(campaign_dir)
    assert (out / "sprout" / "sprout-threads.csv").exists()
    settings = campaign_dir / "campaign.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("  threads:\n    enabled: true", "  threads:\n    enabled: false"), encoding="utf-8")
    build_calendar(campaign_dir)
    assert not (out / "sprout" / "sprout-threads.csv").exists()
    assert (out / "sprout" / "sprout-x.csv").exists()


# --- The .ics writer against icalendar ----------------------------------------------------
# toolkit.social.ics writes the file itself (importing icalendar cost a fifth of a build). The reference
# below is how the calendar was written with icalendar before; both must give the same bytes.


def icalendar_reference(campaign, calendar) -> bytes:
    import icalendar

    from toolkit.social.counting import PLATFORM_NAMES
    from toolkit.social.exports import EVENT_MINUTES, status

    stamp = datetime.combine(campaign.start, datetime.min.time(), tzinfo=timezone.utc)
    cal = icalendar.Calendar.new(
        prodid=f"-//{campaign.organisation.name}//toolkit postkalender//NO",
        name=f"16 dager {campaign.year}: innlegg i sosiale medier", uid=f"postkalender@{campaign.slug}",
    )
    for observance in calendar.observances:
        cal.add_component(icalendar.Event.new(
            uid=f"merkedag-{observance.date:%Y%m%d}@{campaign.slug}", summary=f"Merkedag: {observance.name}",
            start=observance.date, end=observance.date + timedelta(days=1),
            description="\n".join(part for part in (observance.theme, f"Kilde: {observance.source}") if part),
            categories=["merkedag", "16 dager"], stamp=stamp, transparency="TRANSPARENT",
        ))
    for post in calendar.posts:
        name = PLATFORM_NAMES[post.platform]
        details = [post.text, "", f"Tegn: {post.count} av {post.limit}, talt slik {name} teller.", f"Status: {status(post)}"]
        if post.image:
            details += [f"Bilde: {post.image}", f"Alt-tekst: {post.alt_text}"]
        if post.observance:
            details.append(f"Merkedag: {post.observance}")
        event = icalendar.Event.new(
            uid=f"{post.key}@{campaign.slug}",
            summary=f"{'UGYLDIG – ' if post.problems else ''}{name} · Dag {post.day} · {post.title}",
            start=post.publish_at, end=post.publish_at + timedelta(minutes=EVENT_MINUTES),
            description="\n".join(details), categories=[name, "16 dager"], stamp=stamp,
            transparency="TRANSPARENT", url=post.link or None,
        )
        for field in ("SUMMARY", "DESCRIPTION"):
            event[field].params["LANGUAGE"] = post.language
        cal.add_component(event)
    cal.add_missing_timezones(first_date=date(campaign.year, 1, 1), last_date=date(campaign.year + 1, 1, 1))
    for zone in cal.walk("VTIMEZONE"):
        zone.pop("COMMENT", None)
    return cal.to_ical()


@pytest.mark.parametrize("zone", ["Europe/Oslo", "America/New_York", "Australia/Lord_Howe", "Africa/Casablanca",
                                  "Asia/Tokyo", "UTC", "Atlantic/Reykjavik"])
def test_ics_is_byte_identical_to_icalendar_in_any_zone(shipped, zone):
    import dataclasses

    from toolkit.social.exports import ics_bytes

    campaign, out = shipped
    campaign = dataclasses.replace(campaign, timezone=zone)
    posts = tuple(dataclasses.replace(p, publish_at=p.publish_at.replace(tzinfo=ZoneInfo(zone))) for p in campaign.calendar.posts)
    calendar = dataclasses.replace(campaign.calendar, posts=posts)
    assert ics_bytes(campaign, calendar) == icalendar_reference(campaign, calendar)
    if zone == "Europe/Oslo":
        assert (out / "posts.ics").read_bytes() == icalendar_reference(campaign, calendar)


TEXT_PIECES = st.sampled_from(["\\", "\\N", "\\n", ";", ",", ":", "\r\n", "\n", "\r", "^", "æøå", "«»", "–",
                               "\U0001F9E1", "日本", "e\u0301", " ", "x" * 70, "\t", "\"", "a"])


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(TEXT_PIECES | st.text(max_size=5), max_size=30))
def test_ics_text_escaping_and_folding_match_icalendar(parts):
    from icalendar import vText
    from icalendar.parser import Contentline

    from toolkit.social import ics
    text = "".join(parts)
    escaped = ics.escape_text(text)
    assert escaped == vText(text).to_ical().decode("utf-8")
    line = "DESCRIPTION:" + escaped
    assert ics.fold(line).encode("utf-8") == Contentline(line).to_ical()
    assert all(len(part.encode("utf-8")) < 76 for part in ics.fold(line).split("\r\n"))


# --- A calendar that knows what day it is ---------------------------------------------------------

DEC3 = date(2026, 12, 3)
DEC3_START = datetime(2026, 12, 3, tzinfo=OSLO)


def bulk_dates(out: Path) -> list[datetime]:
    """Every publishing time in the Buffer, Hootsuite and Sprout files, as Oslo times."""
    found = []
    for path in (out / "buffer").glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        found += [datetime.strptime(v, "%Y-%m-%d %H:%M").replace(tzinfo=OSLO) for v in frame["Posting Time"]]
    for path in (out / "hootsuite").glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, header=None)
        found += [datetime.strptime(v, "%d/%m/%Y %H:%M").replace(tzinfo=OSLO) for v in frame[0]]
    for path in (out / "sprout").glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        found += [datetime.strptime(f"{d} {t}", "%d/%m/%Y %H:%M").replace(tzinfo=OSLO)
                  for d, t in zip(frame["date"], frame["time_24hr"], strict=True)]
    return found


@pytest.mark.parametrize("command", [
    ("calendar", "--from", "2026-12-03"),
    ("build", "--date", "2026-12-03"),
])
def test_on_3_december_past_posts_leave_the_bulk_files_and_the_command_says_how_many(campaign_dir, command):
    result = run(command[0], "--campaign", str(campaign_dir), *command[1:])
    assert result.exit_code == 0, result.output
    campaign, _ = check_campaign(campaign_dir, DEC3)
    out = campaign_dir / "ut" / "calendar"
    posts = campaign.calendar.posts
    # On the machine's own 3 December a build counts from the present moment, else from midnight.
    past = [p for p in posts if p.publish_at < DEC3_START]
    times = bulk_dates(out)
    assert times and min(times) >= DEC3_START, "no post before 3 December in a bulk-upload file"
    assert len(times) == 3 * sum(1 for p in posts if p.publish_at >= DEC3_START and p.valid) or command[0] == "build"
    assert f"{len(past)} innlegg hadde tidspunkt før 3. desember 2026" in result.output or (
        command[0] == "build" and "innlegg hadde tidspunkt før 3. desember 2026 kl." in result.output)
    assert "fra 25. november kl. 07:45" in result.output
    # The CSV keeps every post, the past ones marked.
    frame = pd.read_csv(out / "posts.csv", dtype=str, keep_default_na=False)
    assert len(frame) == len(posts)
    marked = frame[frame["status"] == "publisert/passert"]
    stamps = [datetime.fromisoformat(f"{d}T{t}").replace(tzinfo=OSLO) for d, t in zip(marked["dato"], marked["klokkeslett"], strict=True)]
    assert len(marked) >= len(past) and all(s < DEC3_START or command[0] == "build" for s in stamps)
    assert set(frame[frame["dato"] < "2026-12-03"]["status"]) == {"publisert/passert"}


def test_on_3_december_the_ics_keeps_past_posts_marked(campaign_dir):
    import icalendar

    assert run("calendar", "--campaign", str(campaign_dir), "--from", "2026-12-03").exit_code == 0
    cal = icalendar.Calendar.from_ical((campaign_dir / "ut" / "calendar" / "posts.ics").read_bytes())
    events = [e for e in cal.walk("VEVENT") if isinstance(e.start, datetime)]
    campaign, _ = check_campaign(campaign_dir, DEC3)
    assert len(events) == len(campaign.calendar.posts)
    for event in events:
        past = event.start < DEC3_START
        assert ("Status: publisert/passert" in str(event["DESCRIPTION"])) == past, event.start
    # Rerunning on the same day gives the same bytes.
    before = (campaign_dir / "ut" / "calendar" / "posts.ics").read_bytes()
    assert run("calendar", "--campaign", str(campaign_dir), "--from", "2026-12-03").exit_code == 0
    assert (campaign_dir / "ut" / "calendar" / "posts.ics").read_bytes() == before


def test_on_3_december_the_page_shows_past_posts_and_opens_on_today(campaign_dir):
    from html.parser import HTMLParser

    assert run("calendar", "--campaign", str(campaign_dir), "--from", "2026-12-03").exit_code == 0
    html = (campaign_dir / "ut" / "calendar" / "index.html").read_text(encoding="utf-8")

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags = []

        def handle_starttag(self, tag, attrs):
            self.tags.append((tag, dict(attrs)))

    parser = Tags()
    parser.feed(html)
    campaign, _ = check_campaign(campaign_dir, DEC3)
    cards = [a for t, a in parser.tags if t == "li" and "card" in a.get("class", "").split()]
    past_cards = [a for a in cards if "past" in a["class"].split()]
    assert len(past_cards) == sum(1 for p in campaign.calendar.posts if p.publish_at < DEC3_START)
    today = [a for t, a in parser.tags if t == "td" and a.get("aria-current") == "date"]
    assert len(today) == 1 and "today" in today[0]["class"]
    past_days = [a for t, a in parser.tags if t == "td" and "past" in a.get("class", "").split()]
    assert len(past_days) == 8, "25 November – 2 December"
    # The page opens with today's box, before the overview, linking to today's posts.
    assert html.index('id="i-dag"') < html.index('id="oversikt"')
    assert "I dag: <time datetime=\"2026-12-03\">torsdag 3. desember 2026</time>, dag 9" in html
    assert 'href="#dag-9"' in html and "Publisert/passert" in html
    # Before the period nothing is past and there is no today box.
    assert run("calendar", "--campaign", str(campaign_dir), "--from", "2026-11-20").exit_code == 0
    before = (campaign_dir / "ut" / "calendar" / "index.html").read_text(encoding="utf-8")
    assert 'id="i-dag"' not in before and "Publisert/passert" not in before


def test_from_must_be_a_date(campaign_dir):
    result = run("calendar", "--campaign", str(campaign_dir), "--from", "3. desember")
    assert result.exit_code == 2 and "--from" in result.output and "Traceback" not in result.output


def test_one_text_on_more_than_three_platforms_is_a_warning(campaign_dir):
    add_post(campaign_dir, "- {id: lik-overalt, date: 2026-11-27, time: '06:15', text: Samme tekst overalt.}")
    result = run("calendar", "--campaign", str(campaign_dir), "--from", "2026-11-20")
    assert result.exit_code == 0, result.output
    assert "Innlegget «lik-overalt» 27. november 2026 har samme tekst på 7 plattformer" in result.output
    add_post(campaign_dir, textwrap.dedent("""\
        - id: egne-former
          date: 2026-11-28
          time: '06:15'
          text: Tekst for Mastodon, Threads og Instagram.
          short: Kort tekst for X og Bluesky.
          long: En lengre tekst for Facebook og LinkedIn, med mer forklaring.
        """))
    result = run("calendar", "--campaign", str(campaign_dir), "--from", "2026-11-20")
    assert "«egne-former»" not in result.output
    campaign, _ = check_campaign(campaign_dir, DEC3)
    texts = {p.platform: p.text.split("\n\n")[0] for p in campaign.calendar.posts if p.id == "egne-former"}
    assert texts["x"] == texts["bluesky"] == "Kort tekst for X og Bluesky."
    assert texts["facebook"] == texts["linkedin"].split("\n\n")[0] == "En lengre tekst for Facebook og LinkedIn, med mer forklaring."
    assert texts["mastodon"] == texts["threads"] == texts["instagram"] == "Tekst for Mastodon, Threads og Instagram."
