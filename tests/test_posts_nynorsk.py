"""Posts in nynorsk: the nn: block of posts.yaml, a language per platform account, and every export.

The campaign here is a copy of the shipped one with X set to nynorsk and a small posts.yaml in both
written standards, with Norwegian letters, ``&``, ``<`` and quotes in the texts.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import textwrap
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import run

from toolkit.social.exports import write_calendar
from toolkit.validate import check_campaign

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 20)
FACT = "unodc-andel-kvinner"
POSTS = f"""
posts:
  - id: apning
    date: 2026-11-25
    title: Kampanjen åpner
    fact: {FACT}
    image: https://example.org/oransje.png
    alt_text: Et oransje bånd på en hvit vegg.
    text: |
      I dag starter 16 dager mot vold mot kvinner & jenter. Årets tema er «menneskehandel» <b>.
    variants:
      x: |
        Bokmål på X: 16 dager mot vold mot kvinner starter i dag.
    nn:
      title: Kampanjen opnar
      alt_text: Eit oransje band på ein kvit vegg.
      text: |
        I dag startar 16 dagar mot vald mot kvinner & jenter. Temaet i år er «menneskehandel» <b>.
      variants:
        x: |
          I dag startar 16 dagar mot vald mot kvinner. Bli med!
  - id: andre-dag
    date: 2026-11-26
    text: |
      Bokmål uten variant: vi står sammen mot menneskehandel.
    nn:
      text: |
        Vi står saman mot menneskehandel, òg i Noreg.
        Andre linja.
"""


def set_platform_language(folder: Path, platform: str, language: str) -> None:
    """Add ``language:`` to one platform in campaign.yaml, as an organiser would."""
    path = folder / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    head = f"\n  {platform}:\n    enabled: true\n"
    assert head in text
    path.write_text(text.replace(head, f"{head}    language: {language}\n", 1), encoding="utf-8")


def write_posts(folder: Path, extra: str = "") -> None:
    body = textwrap.dedent(POSTS).lstrip("\n") + textwrap.indent(textwrap.dedent(extra).strip("\n"), "  ")
    (folder / "posts.yaml").write_text(body.rstrip("\n") + "\n", encoding="utf-8")


def line_of(folder: Path, needle: str, after: str = "") -> int:
    """The 1-based line of the first ``needle`` after the first line containing ``after``."""
    lines = (folder / "posts.yaml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


@pytest.fixture
def nn_campaign(campaign_dir: Path) -> Path:
    """The shipped campaign with X in nynorsk and the small posts.yaml above."""
    set_platform_language(campaign_dir, "x", "nn")
    write_posts(campaign_dir)
    return campaign_dir


def check(folder: Path):
    return check_campaign(folder, TODAY)


def posts_errors(problems):
    return [p for p in problems.errors if p.file == "posts.yaml"]


def planned(campaign, post_id: str, platform: str):
    return next(p for p in campaign.calendar.posts if p.id == post_id and p.platform == platform)


def test_a_nynorsk_account_posts_the_nynorsk_words_and_the_nynorsk_source(nn_campaign):
    campaign, problems = check(nn_campaign)
    assert problems.errors == []
    fact = campaign.facts[FACT]
    nn_citation = fact.in_language("nn").citation
    assert nn_citation != fact.citation, "the test needs a fact whose source differs between the standards"

    x = planned(campaign, "apning", "x")
    assert x.language == "nn"
    assert x.text.startswith("I dag startar 16 dagar mot vald mot kvinner. Bli med!\n\n")
    assert f"\n\nKjelde: {nn_citation}.\n\n" in x.text and "Kilde:" not in x.text
    assert x.text.endswith("https://16days.no\n#16Days #OrangeTheWorld")
    assert (x.title, x.alt_text) == ("Kampanjen opnar", "Eit oransje band på ein kvit vegg.")

    bluesky = planned(campaign, "apning", "bluesky")
    assert bluesky.language == "nb"
    assert bluesky.text.startswith("I dag starter 16 dager mot vold mot kvinner & jenter.")
    assert f"Kilde: {fact.citation}." in bluesky.text and "Kjelde" not in bluesky.text
    assert (bluesky.title, bluesky.alt_text) == ("Kampanjen åpner", "Et oransje bånd på en hvit vegg.")

    # Without an X variant in nynorsk, X gets nn.text; the title falls back to its first line.
    second = planned(campaign, "andre-dag", "x")
    assert second.text.startswith("Vi står saman mot menneskehandel, òg i Noreg.\nAndre linja.\n\n")
    assert second.title == "Vi står saman mot menneskehandel, òg i Noreg."
    assert planned(campaign, "andre-dag", "linkedin").text.startswith("Bokmål uten variant")
    # The count is of the nynorsk text, by X's rules.
    from toolkit.social.counting import count

    assert x.count == count("x", x.text).count


def test_campaign_language_is_the_default_and_a_platform_can_override_it(campaign_dir):
    path = campaign_dir / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("language: nb ", "language: nn ", 1), encoding="utf-8")
    set_platform_language(campaign_dir, "linkedin", "nb")
    write_posts(campaign_dir)
    campaign, problems = check(campaign_dir)
    assert problems.errors == []
    languages = {p.platform: p.language for p in campaign.calendar.posts if p.id == "andre-dag"}
    assert languages == {"x": "nn", "bluesky": "nn", "mastodon": "nn", "threads": "nn", "instagram": "nn",
                         "facebook": "nn", "linkedin": "nb"}


def test_exports_carry_the_language(nn_campaign):
    import icalendar

    campaign, problems = check(nn_campaign)
    assert problems.errors == []
    write_calendar(campaign, campaign.calendar)
    out = nn_campaign / "ut" / "calendar"

    rows = list(csv.DictReader(io.StringIO((out / "posts.csv").read_text(encoding="utf-8"))))
    assert len(rows) == len(campaign.calendar.posts) == 14
    assert {(r["plattform"], r["språk"]) for r in rows} == {
        ("X", "nynorsk"), ("Bluesky", "bokmål"), ("Mastodon", "bokmål"), ("Threads", "bokmål"),
        ("Instagram", "bokmål"), ("Facebook", "bokmål"), ("LinkedIn", "bokmål"),
    }
    x_row = next(r for r in rows if r["id"] == "apning" and r["plattform"] == "X")
    assert x_row["tekst"] == planned(campaign, "apning", "x").text and x_row["tittel"] == "Kampanjen opnar"
    excel = (out / "posts-excel.csv").read_text(encoding="utf-8-sig")
    assert next(csv.reader(io.StringIO(excel), delimiter=";"))[8] == "språk"

    cal = icalendar.Calendar.from_ical((out / "posts.ics").read_bytes())
    events = {str(e["UID"]).split("@")[0]: e for e in cal.walk("VEVENT") if "UID" in e}
    for key, language in (("apning-x", "nn"), ("andre-dag-x", "nn"), ("apning-bluesky", "nb")):
        event = events[key]
        assert event["SUMMARY"].params["LANGUAGE"] == language, key
        assert event["DESCRIPTION"].params["LANGUAGE"] == language, key
    assert str(events["apning-x"]["SUMMARY"]).endswith("· Kampanjen opnar")
    assert "Kjelde:" in str(events["apning-x"]["DESCRIPTION"])


class PostTexts(HTMLParser):
    """The page's post texts, headings and alt texts, each with the language its element declares."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str, str]] = []  # (what, lang, text)
        self._open: tuple[str, str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and "alt" in attrs:
            self.found.append(("img", attrs.get("lang", ""), attrs["alt"]))
        what = {"p": "text", "h3": "h3"}.get(tag)
        if what and (tag == "h3" or attrs.get("class") == "text"):
            self._open, self._text = (tag, what, attrs.get("lang", "")), []

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            self.found.append((self._open[1], self._open[2], "".join(self._text)))
            self._open = None

    def handle_data(self, data):
        if self._open:
            self._text.append(data)


def test_calendar_page_marks_each_posts_language(nn_campaign):
    campaign, problems = check(nn_campaign)
    assert problems.errors == []
    write_calendar(campaign, campaign.calendar)
    parser = PostTexts()
    parser.feed((nn_campaign / "ut" / "calendar" / "index.html").read_text(encoding="utf-8"))
    texts = [(lang, text) for what, lang, text in parser.found if what == "text"]
    assert len(texts) == len(campaign.calendar.posts)
    assert sorted(texts) == sorted((p.language, p.text) for p in campaign.calendar.posts)
    assert ("nn", planned(campaign, "apning", "x").text) in texts
    assert ("nb", planned(campaign, "apning", "bluesky").text) in texts
    # The heading of a post in both standards is the campaign's (bokmål), and says so.
    assert ("h3", "nb", "Kampanjen åpner") in parser.found
    assert ("img", "nn", "Eit oransje band på ein kvit vegg.") in parser.found
    assert ("img", "nb", "Et oransje bånd på en hvit vegg.") in parser.found


def test_a_nynorsk_account_without_nynorsk_text_stops_the_cli_and_writes_nothing(nn_campaign):
    write_posts(nn_campaign, "- {id: berre-bokmaal, date: 2026-11-27, text: Bare bokmål.}")
    line = line_of(nn_campaign, "id: berre-bokmaal")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "toolkit", "calendar"], cwd=nn_campaign, env=env,
                            capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert f"posts.yaml, linje {line}, felt «posts[3].nn.text»: Innlegget «berre-bokmaal» skal ut på nynorsk på X" in output
    assert "language: nb" in output
    assert not (nn_campaign / "ut").exists()
    # --allow-invalid is for posts too long for a platform, not for a missing language.
    result = run("calendar", "--campaign", str(nn_campaign), "--allow-invalid", "--from", "2026-11-20")
    assert result.exit_code == 2 and "berre-bokmaal" in result.output
    assert not (nn_campaign / "ut").exists()


def test_one_error_per_post_naming_every_nynorsk_account(nn_campaign):
    set_platform_language(nn_campaign, "mastodon", "nn")
    write_posts(nn_campaign, """
        - {id: berre-bokmaal, date: 2026-11-27, text: Bare bokmål.}
        - {id: berre-bluesky, date: 2026-11-27, text: Bare bokmål., platforms: [bluesky]}
    """)
    campaign, problems = check(nn_campaign)
    errors = posts_errors(problems)
    assert len(errors) == 1
    assert "på X og Mastodon" in errors[0].message
    # No bokmål text is planned on an account that asks for nynorsk.
    ids = {(p.id, p.platform) for p in campaign.calendar.posts}
    assert ("berre-bokmaal", "bluesky") in ids and ("berre-bluesky", "bluesky") in ids
    assert ("berre-bokmaal", "x") not in ids and ("berre-bokmaal", "mastodon") not in ids


def test_nn_blocks_without_a_nynorsk_account_are_fine(campaign_dir):
    write_posts(campaign_dir)
    campaign, problems = check(campaign_dir)
    assert problems.errors == []
    assert [p for p in problems.warnings if p.file == "posts.yaml" and "nn" in (p.field or "")] == []
    assert {p.language for p in campaign.calendar.posts} == {"nb"}


def test_a_too_long_nynorsk_text_points_at_the_nynorsk_line(nn_campaign):
    write_posts(nn_campaign, f"""
        - id: for-lang
          date: 2026-11-27
          text: Kort.
          variants:
            x: Kort.
          nn:
            text: Kort.
            variants:
              x: {"Ø" * 270}
        - id: for-lang-tekst
          date: 2026-11-28
          text: Kort.
          nn:
            text: {"Å" * 270}
    """)
    campaign, problems = check(nn_campaign)
    errors = posts_errors(problems)
    assert [(e.field, e.line) for e in errors] == [
        ("posts[3].nn.variants.x", line_of(nn_campaign, "x: ØØ")),
        ("posts[4].nn.text", line_of(nn_campaign, "text: ÅÅ")),
    ]
    assert "X: 39 tegn for mye (319 av 280)" in errors[0].message
    assert "«nn.variants»" in errors[0].hint
    assert all(e in campaign.calendar.rule_problems for e in errors)


@pytest.mark.parametrize(
    "post, field, words, severity",
    [
        ("- {id: tom, date: 2026-11-27, text: Hei., nn: {title: Tittel}}", "posts[3].nn.text", "Mangler", "error"),
        ("- {id: bilde, date: 2026-11-27, text: Hei., image: https://example.org/a.png, alt_text: Et bilde., nn: {text: Hei.}}",
         "posts[3].nn.alt_text", "mangler alt-tekst på nynorsk", "error"),
        ("- {id: ukjent, date: 2026-11-27, text: Hei., nn: {text: Hei., tekst: Hei.}}", "posts[3].nn.tekst", "Ukjent nøkkel", "warning"),
        ("- {id: variant, date: 2026-11-27, text: Hei., nn: {text: Hei., variants: {tiktok: Hei.}}}",
         "posts[3].nn.variants.tiktok", "Ukjent plattform «tiktok»", "error"),
        ("- {id: formel, date: 2026-11-27, text: Hei., nn: {text: '=SUM(1)'}}", "posts[3].nn.text", "apostrof", "warning"),
        ("- {id: alt, date: 2026-11-27, text: Hei., nn: {text: Hei., alt_text: Eit bilete.}}", "posts[3].nn.alt_text",
         "blir ikke brukt", "warning"),
        ("- {id: liste, date: 2026-11-27, text: Hei., nn: [Hei]}", "posts[3].nn", "nøkler og verdier", "error"),
    ],
)
def test_the_nn_block_is_checked_like_the_bokmal_words(nn_campaign, post, field, words, severity):
    write_posts(nn_campaign, post)
    line = line_of(nn_campaign, post[:20])
    _, problems = check(nn_campaign)
    found = [p for p in problems.items if p.file == "posts.yaml" and words in p.message and p.severity == severity]
    assert found, [str(p) for p in problems.items if p.file == "posts.yaml"]
    assert found[0].line == line
    if field != "posts[3].nn":
        assert found[0].field == field


def test_an_unknown_platform_language_names_campaign_yaml_line_and_field(nn_campaign):
    set_platform_language(nn_campaign, "bluesky", "sv")
    lines = (nn_campaign / "campaign.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines) if text == "    language: sv") + 1
    _, problems = check(nn_campaign)
    errors = [p for p in problems.errors if p.file == "campaign.yaml"]
    assert [(e.line, e.field) for e in errors] == [(line, "platforms.bluesky.language")]
    assert "«sv»" in errors[0].message and "nn (nynorsk)" in errors[0].hint


def test_a_fact_without_nynorsk_cited_on_a_nynorsk_account_is_an_error(nn_campaign):
    with (nn_campaign / "facts.yaml").open("a", encoding="utf-8") as facts:
        facts.write("  - id: berre-bokmaal\n    text: Et faktum bare på bokmål.\n    source: Testkilde på bokmål\n")
    write_posts(nn_campaign, """
        - {id: med-faktum, date: 2026-11-27, text: Hei., fact: berre-bokmaal, nn: {text: Hei.}}
        - {id: utan-x, date: 2026-11-28, text: Hei., fact: berre-bokmaal, platforms: [bluesky]}
    """)
    _, problems = check(nn_campaign)
    errors = posts_errors(problems)
    assert [(e.line, e.field) for e in errors] == [(line_of(nn_campaign, "id: med-faktum"), "posts[3].fact")]
    assert "«berre-bokmaal» finnes ikke på nynorsk" in errors[0].message and "facts.yaml" in errors[0].hint


def test_the_shipped_posts_all_have_a_nynorsk_edition_that_fits_every_platform(campaign_dir):
    """With the whole campaign in nynorsk, every shipped post goes out in nynorsk and within each limit."""
    path = campaign_dir / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("language: nb ", "language: nn ", 1), encoding="utf-8")
    campaign, problems = check(campaign_dir)
    assert posts_errors(problems) == []
    posts = campaign.calendar.posts
    assert len(posts) > 100 and {p.language for p in posts} == {"nn"}
    for post in posts:
        assert post.count <= post.limit and not post.problems, (post.id, post.platform, post.count, post.limit)
        assert "Kilde:" not in post.text and (post.fact_id == "" or "Kjelde: " in post.text), (post.id, post.platform)
        # Words that bokmål and nynorsk write differently: none of the bokmål forms reaches a nynorsk post.
        body = post.text.split("Kjelde: ")[0]
        for word in ("ikke", "hva", "hvordan", "noen", "fra", "bare", "vold", "Norge", "jeg", "mye"):
            assert not re.search(rf"\b{word}\b", body), (post.id, post.platform, word)
