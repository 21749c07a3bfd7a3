"""Property tests: arbitrary Unicode in counters, posts and exports never crashes or gives invalid files."""

from __future__ import annotations

import io

import icalendar
import pandas
import twitter_text
import yaml
from conftest import LETTER_DATE, copy_campaign
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.core.errors import Problems
from toolkit.social import counting
from toolkit.social.exports import write_calendar
from toolkit.social.posts import load_posts
from toolkit.validate import check_campaign

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=400)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_counters_never_crash_and_agree_with_their_definitions(text):
    for platform in counting.PLATFORMS:
        result = counting.count(platform, text)
        assert result.count >= 0 and result.limit > 0
        assert result.over == max(0, result.count - result.limit)
        assert result.ok == (not result.problems)
    assert counting.count("x", text).count == twitter_text.parse_tweet(text).weightedLength
    bluesky = counting.count("bluesky", text)
    assert bluesky.count == counting.graphemes(text) <= len(text)
    assert counting.utf8_bytes(text) == len(text.encode("utf-8"))
    if counting.utf8_bytes(text) > counting.BLUESKY_MAX_BYTES:
        assert not bluesky.ok


@SETTINGS
@given(text=TEXT.filter(lambda t: t.strip()))
def test_any_post_text_gives_valid_exports_or_a_clear_problem(tmp_path_factory, text):
    folder = copy_campaign(tmp_path_factory.mktemp("k"))
    posts = yaml.safe_load((folder / "posts.yaml").read_text(encoding="utf-8"))
    first = posts["posts"][0]
    first["text"] = text
    first.pop("variants", None)
    (folder / "posts.yaml").write_text(yaml.safe_dump(posts, allow_unicode=True), encoding="utf-8")
    campaign, problems = check_campaign(folder, LETTER_DATE)
    assert all(p.file and p.message for p in problems.errors)
    calendar = load_posts(campaign, Problems())
    if calendar is None or not all(p.valid for p in calendar.posts):
        return  # a post over a platform's limit is an error; nothing is exported
    write_calendar(campaign, calendar)
    out = campaign.output_dir / "calendar"
    parsed = icalendar.Calendar.from_ical((out / "posts.ics").read_bytes())
    assert len(parsed.walk("VEVENT")) >= len(calendar.posts)
    assert all(len(line) <= 75 for line in (out / "posts.ics").read_bytes().split(b"\r\n"))
    for name in ("posts.csv", "posts-excel.csv"):
        raw = (out / name).read_bytes()
        frame = pandas.read_csv(io.BytesIO(raw), sep=";" if "excel" in name else ",", encoding="utf-8-sig",
                                dtype=str, keep_default_na=False)
        assert len(frame) == len(calendar.posts)
        for cell in frame.to_numpy().ravel():
            assert not str(cell).startswith(("=", "+", "-", "@")), cell
    # The page escapes every post text (a <script> in a post is tested in test_calendar_page.py).
    assert "<script" not in (out / "index.html").read_text(encoding="utf-8").lower()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(st.sampled_from(['a', 'Ø', ';', '"', " ", "\r", "\n", "\u2028", "\x85", "\x0c"]), max_size=60),
       last_newline=st.booleans())
def test_csv_cells_and_row_numbers_are_what_the_csv_module_reads(tmp_path, body, last_newline):
    """read_csv goes through the text line by line (not a StringIO); any line ends give the same rows."""
    import csv

    from toolkit.core.sources import read_csv

    text = "id;name\r\n" + body + ("\n" if last_newline else "")
    path = tmp_path / "liste.csv"
    path.write_bytes(text.encode("utf-8"))
    problems = Problems()
    table = read_csv(path, problems, "liste.csv", ("id",))
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    except csv.Error:
        assert table is None and "CSV-feil" in problems.errors[0].message
        return
    expected = [(number, [cell.strip() for cell in record[:2]] + [""] * (2 - len(record[:2])))
                for number, record in enumerate(records[1:], start=2)
                if any(cell.strip() for cell in record) and not (len(record) > 2 and any(c.strip() for c in record[2:]))]
    assert [(number, [row["id"], row["name"]]) for number, row in table.rows] == expected
