"""The shipped post calendar, and every kind of mistake in posts.yaml, observances.yaml and platforms."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from toolkit.social.counting import PLATFORMS, count
from toolkit.validate import check_campaign

TODAY = date(2026, 11, 20)


def check(folder):
    campaign, problems = check_campaign(folder, TODAY)
    return campaign, problems


def add_post(folder, text: str) -> int:
    """Append one post to posts.yaml; return the line its entry starts on."""
    path = folder / "posts.yaml"
    source = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
    line = source.count("\n") + 1
    path.write_text(source + textwrap.indent(textwrap.dedent(text).strip("\n"), "  ") + "\n", encoding="utf-8")
    return line


def errors_in(problems, file="posts.yaml"):
    return [p for p in problems.errors if p.file == file]


def test_shipped_calendar_is_valid_and_covers_every_day_on_every_platform(campaign_dir):
    campaign, problems = check(campaign_dir)
    assert problems.errors == []
    calendar = campaign.calendar
    enabled = [p.id for p in calendar.enabled]
    assert enabled == list(PLATFORMS)
    assert len(campaign.days) == 16
    for platform in enabled:
        for day in campaign.days:
            todays = [p for p in calendar.posts if p.platform == platform and p.date == day]
            assert 1 <= len(todays) <= 2, (platform, day)
    # Every post is within its platform's limit, counted again here by the platform's own rules.
    for post in calendar.posts:
        limit = post.limit if post.platform in ("x", "mastodon", "facebook") else None
        result = count(post.platform, post.text, limit)
        assert result.ok, (post.id, post.platform, result.problems)
        assert post.count == result.count <= post.limit
    # No warning about posts: every Instagram post gets a card made by the toolkit (toolkit.social.images).
    post_warnings = [p for p in problems.warnings if p.file == "posts.yaml"]
    assert post_warnings == []


def test_shipped_posts_are_tied_to_days_demands_and_facts(campaign_dir):
    campaign, _ = check(campaign_dir)
    calendar = campaign.calendar
    posts = {p.id: p for p in calendar.posts if p.platform == "x"}
    assert posts["apning"].date == campaign.start and posts["avslutning"].date == campaign.end
    assert {p.demand_id for p in posts.values() if p.demand_id} == {d.id for d in campaign.demands}
    observance_days = {o.date for o in calendar.observances}
    assert {date(2026, 11, 25), date(2026, 11, 29), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3),
            date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 9), date(2026, 12, 10)} == observance_days
    assert all(o.source for o in calendar.observances)
    for post in calendar.posts:
        if post.fact_id:
            assert f"Kilde: {campaign.facts[post.fact_id].citation}." in post.text
        if post.date in observance_days:
            assert post.observance == calendar.observance_on(post.date).name
    # Hashtags and link from campaign.yaml; Threads gets one tag, Instagram no link.
    threads = next(p for p in calendar.posts if p.platform == "threads")
    assert threads.hashtags == campaign.hashtags[:1]
    instagram = next(p for p in calendar.posts if p.platform == "instagram")
    assert instagram.link == "" and campaign.link not in instagram.text
    bluesky = next(p for p in calendar.posts if p.platform == "bluesky")
    assert bluesky.text.endswith(campaign.link + "\n" + " ".join(campaign.hashtags))


def test_times_are_aware_oslo_times_from_the_platform_settings(campaign_dir):
    campaign, _ = check(campaign_dir)
    oslo = ZoneInfo("Europe/Oslo")
    posts = campaign.calendar.posts
    first = next(p for p in posts if p.platform == "x" and p.id == "apning")
    assert first.publish_at == datetime(2026, 11, 25, 8, 0, tzinfo=oslo)
    assert first.publish_at.tzinfo.key == "Europe/Oslo"
    assert first.publish_utc == datetime(2026, 11, 25, 7, 0, tzinfo=timezone.utc)
    # Saturday 28 November uses the weekend times.
    saturday = next(p for p in posts if p.platform == "x" and p.date == date(2026, 11, 28))
    assert saturday.date.weekday() == 5 and saturday.publish_at.time() == time(10, 0)
    second = [p for p in posts if p.platform == "bluesky" and p.date == date(2026, 11, 25)]
    assert [p.publish_at.time() for p in second] == [time(8, 15), time(19, 15)]
    assert all(p.publish_at.utcoffset() == timedelta(hours=1) for p in posts)


def test_a_post_over_the_x_limit_names_platform_amount_line_and_field(campaign_dir):
    line = add_post(campaign_dir, f"""
        - id: for-lang
          date: 2026-11-27
          text: |
            Kort tekst.
          variants:
            x: {"Å" * 240}
    """)
    campaign, problems = check(campaign_dir)
    errors = errors_in(problems)
    assert len(errors) == 1
    error = errors[0]
    # 240 + "\n\n" + 23 (link) + "\n" + "#16Days #OrangeTheWorld" (23) = 289
    assert "X: 9 tegn for mye (289 av 280)" in error.message
    assert "«for-lang»" in error.message and "27. november 2026" in error.message
    assert error.field.endswith("variants.x") and error.line == line + 5
    assert error in campaign.calendar.rule_problems
    invalid = [p for p in campaign.calendar.posts if not p.valid]
    assert [(p.id, p.platform) for p in invalid] == [("for-lang", "x")]


@pytest.mark.parametrize(
    "post, field, words",
    [
        ("- {id: utenfor, date: 2026-12-11, text: Hei}", "date", "utenfor kampanjeperioden"),
        ("- {id: ukjent, date: 2026-11-26, text: Hei, platforms: [myspace]}", "platforms", "Ukjent plattform «myspace»"),
        ("- {id: variant, date: 2026-11-26, text: Hei, variants: {tiktok: Hei}}", "variants.tiktok", "Ukjent plattform «tiktok»"),
        ("- {id: bilde, date: 2026-11-26, text: Hei, image: https://example.org/a.png}", "alt_text", "mangler alt-tekst"),
        ("- {id: fil, date: 2026-11-26, text: Hei, image: bilder/finnes-ikke.png, alt_text: Et bilde}", "image", "finnes ikke"),
        ("- {id: faktum, date: 2026-11-26, text: Hei, fact: oppdiktet}", "fact", "«oppdiktet» finnes ikke i facts.yaml"),
        ("- {id: krav, date: 2026-11-26, text: Hei, demand: oppdiktet}", "demand", "finnes ikke i demands.yaml"),
        ("- {id: apning, date: 2026-11-26, text: Hei}", "id", "brukt før"),
        ("- {id: Store-Bokstaver, date: 2026-11-26, text: Hei}", "id", "ugyldig"),
        ("- {id: tid, date: 2026-11-26, text: Hei, time: kveld}", "time", "ikke et klokkeslett"),
        ("- {id: lenke, date: 2026-11-26, text: Hei, link: kanskje}", "link", "verken en lenke"),
        ("- {id: tom, date: 2026-11-26}", "text", "Mangler"),
        ("- {id: tredje, date: 2026-11-25, text: Hei}", "date", "bare 2 klokkeslett"),
        ("- {id: samtidig, date: 2026-11-26, text: Hei, time: '08:00', platforms: [x]}", "time", "allerede et innlegg"),
    ],
)
def test_post_errors_name_line_field_and_fix(campaign_dir, post, field, words):
    line = add_post(campaign_dir, post)
    _, problems = check(campaign_dir)
    errors = errors_in(problems)
    matching = [e for e in errors if e.field and e.field.endswith(field) and words in e.message]
    assert matching, [str(e) for e in errors]
    assert matching[0].line == line
    assert matching[0].hint


def test_alt_text_is_required_with_a_local_image_and_shown_with_it(campaign_dir):
    (campaign_dir / "bilder").mkdir()
    (campaign_dir / "bilder" / "dag2.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    add_post(campaign_dir, """
        - id: med-bilde
          date: 2026-11-26
          text: Hei
          image: bilder/dag2.png
          alt_text: Oransje bånd festet på en jakke.
    """)
    campaign, problems = check(campaign_dir)
    assert errors_in(problems) == []
    posts = [p for p in campaign.calendar.posts if p.id == "med-bilde"]
    assert {p.alt_text for p in posts} == {"Oransje bånd festet på en jakke."}


def test_observance_and_platform_errors(campaign_dir):
    path = campaign_dir / "observances.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  - {date: 2026-12-24, name: Julaften, source: kalenderen}\n"
                    "  - {date: 2026-12-02, name: To ganger, source: FN}\n", encoding="utf-8")
    settings = campaign_dir / "campaign.yaml"
    text = settings.read_text(encoding="utf-8")
    text = text.replace('  bluesky:\n    enabled: true\n', '  bluesky:\n    enabled: true\n    limit: 500\n')
    text = text.replace('weekday_times: ["09:00", "20:00"]', 'weekday_times: ["20:00", "nine"]')
    text = text.replace("  linkedin:\n", "  myspace: {enabled: true}\n  linkedin:\n")
    settings.write_text(text, encoding="utf-8")
    _, problems = check(campaign_dir)
    messages = [str(p) for p in problems.errors]
    assert any("observances.yaml" in m and "24. desember 2026 er utenfor" in m for m in messages), messages
    assert any("observances.yaml" in m and "står to ganger" in m for m in messages)
    assert any("platforms.bluesky.limit" in m and "fast" in m for m in messages)
    assert any("platforms.threads.weekday_times" in m and "«nine»" in m for m in messages)
    assert any("Ukjent plattform «myspace»" in m for m in messages)
    # Wrong times are one error, not one more for every post on that platform.
    assert not any("bare 0 klokkeslett" in m for m in messages)
    assert all(p.line for p in problems.errors if p.file in ("observances.yaml", "campaign.yaml"))


def test_unquoted_times_that_yaml_reads_as_numbers_are_understood(campaign_dir):
    settings = campaign_dir / "campaign.yaml"
    text = settings.read_text(encoding="utf-8").replace('weekday_times: ["08:00", "19:00"]', "weekday_times: [08:00, 19:00]")
    settings.write_text(text, encoding="utf-8")
    campaign, problems = check(campaign_dir)
    assert problems.errors == []
    x_times = {p.publish_at.time() for p in campaign.calendar.posts if p.platform == "x" and p.date.weekday() < 5}
    assert x_times == {time(8, 0), time(19, 0)}


def test_disabled_platform_gets_no_posts_and_missing_days_are_reported(campaign_dir):
    settings = campaign_dir / "campaign.yaml"
    text = settings.read_text(encoding="utf-8").replace("  linkedin:\n    enabled: true", "  linkedin:\n    enabled: false")
    settings.write_text(text, encoding="utf-8")
    posts = campaign_dir / "posts.yaml"
    posts.write_text(posts.read_text(encoding="utf-8").replace("date: 2026-11-27", "date: 2026-11-26"), encoding="utf-8")
    campaign, problems = check(campaign_dir)
    assert problems.errors == []
    assert not [p for p in campaign.calendar.posts if p.platform == "linkedin"]
    gaps = [p.message for p in problems.warnings if "ingen innlegg" in p.message]
    assert len(gaps) == 6 and all("27. november" in g for g in gaps)


def test_text_starting_like_a_formula_is_warned_about(campaign_dir):
    line = add_post(campaign_dir, """
        - id: formel
          date: 2026-11-26
          text: "=HYPERLINK(\\"https://example.org\\")"
    """)
    _, problems = check(campaign_dir)
    warnings = [p for p in problems.warnings if "apostrof" in p.message]
    assert len(warnings) == 1 and warnings[0].line == line + 2


def test_campaign_without_posts_yaml_still_validates(campaign_dir):
    (campaign_dir / "posts.yaml").unlink()
    campaign, problems = check(campaign_dir)
    assert problems.errors == [] and campaign.calendar is None
    assert any(p.file == "posts.yaml" for p in problems.warnings)


def test_shipped_posts_are_written_for_their_platform(campaign_dir):
    """No text goes out word for word on more than three platforms on a day: X and Bluesky get the
    short form, Facebook and LinkedIn the fuller one, and the rest the post's text."""
    from toolkit.social.posts import SAME_TEXT_PLATFORMS

    campaign, problems = check(campaign_dir)
    assert not [p for p in problems.warnings if "samme tekst" in p.message]
    uses: dict[tuple, set[str]] = {}
    for post in campaign.calendar.posts:
        body = post.text.split("\n\n")[0]  # the words, before the source, link and hashtags
        uses.setdefault((post.date, post.language, post.text.rsplit("\n\n", 2)[0] if post.fact_id else body), set()).add(post.platform)
    assert max(len(platforms) for platforms in uses.values()) <= SAME_TEXT_PLATFORMS
    by_post: dict[str, dict[str, str]] = {}
    for post in campaign.calendar.posts:
        by_post.setdefault(post.id, {})[post.platform] = post.text
    for post_id, texts in by_post.items():
        assert len(set(texts.values())) >= 3, post_id
        # The short form is shorter than the fuller one.
        assert len(texts["x"]) < len(texts["linkedin"]), post_id


def test_world_aids_day_and_3_december_say_what_links_them_to_trafficking(campaign_dir):
    campaign, _ = check(campaign_dir)
    posts = {(p.id, p.platform): p for p in campaign.calendar.posts}
    aids = posts[("aidsdagen", "linkedin")]
    assert "hiv" in aids.text and "seksuell utnytting" in aids.text and "90 prosent" in aids.text
    assert aids.fact_id == "unodc-seksuell-utnyttelse" and "Kilde: FNs kontor for narkotika og kriminalitet (UNODC)" in aids.text
    disability = posts[("funksjonsnedsettelse", "linkedin")]
    assert "Menneskehandlere" in disability.text and "GRETA" in disability.text
    assert disability.fact_id == "greta-2022-anbefalinger" and "Kilde: GRETA" in disability.text
    # Every figure in a fact post carries its year.
    for post in campaign.calendar.posts:
        if post.fact_id and any(ch.isdigit() for ch in post.text.split("\n\n")[0].replace("16 dager", "")):
            words = post.text.split("Kilde:")[0]
            assert any(str(year) in words for year in range(1949, 2027)), (post.id, post.platform)
