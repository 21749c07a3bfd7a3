"""Counting posts as each platform counts them, at the edges of every limit."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata

import pytest
import twitter_text
from conftest import LETTER_DATE, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text.has_invalid_characters import has_invalid_characters
from twitter_text.regexp.emoji import emoji as EMOJI_PATTERN
from twitter_text.regexp.emoji import emoji_list
from twitter_text.regexp.valid_cctld import valid_cctld
from twitter_text.regexp.valid_gtld import valid_gtld

from toolkit.social import counting
from toolkit.social.counting import count, graphemes, hashtags, mastodon_countable_text

FLAG = "\U0001F1F3\U0001F1F4"  # the Norwegian flag: two regional indicators, one grapheme, 8 bytes
HEART = "\U0001F9E1"  # orange heart: one code point, 4 UTF-8 bytes
FAMILY = "\U0001F469\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466"  # ZWJ sequence: one grapheme, 25 bytes


def over(result) -> int:
    return result.count - result.limit


# --- X: twitter-text v3 --------------------------------------------------------------


def test_x_280_is_valid_and_281_is_one_too_many():
    assert count("x", "x" * 280).ok
    result = count("x", "x" * 281)
    assert (result.count, result.limit) == (281, 280)
    assert result.problems == ("X: 1 tegn for mye (281 av 280).",)


def test_x_norwegian_letters_weigh_one():
    assert count("x", "æøå" * 93 + "Æ").count == 280
    assert not count("x", "æøå" * 94).ok


@pytest.mark.parametrize("emoji", [HEART, FLAG, FAMILY, "\U0001F44D\U0001F3FD"])
def test_x_every_emoji_weighs_two(emoji):
    assert count("x", emoji * 140).count == 280
    assert count("x", emoji * 140).ok
    assert over(count("x", emoji * 141)) == 2


def test_x_urls_count_23_even_bare_domains():
    assert count("x", "Les mer på 16days.no").count == 11 + 23
    long_url = "https://www.regjeringen.no/no/dokumenter/nasjonal-strategi-mot-menneskehandel-2025-2030/id3103576/"
    assert count("x", long_url).count == 23
    assert count("x", "a" * 256 + " 16days.no").ok  # 256 + 1 + 23 = 280
    assert over(count("x", "a" * 257 + " 16days.no")) == 1


def test_x_ellipsis_weighs_two_and_limit_is_configurable():
    assert count("x", "\u2026").count == 2
    assert count("x", "x" * 1000, limit=25_000).ok


def test_x_nfc_decomposed_letters_count_once():
    decomposed = "a\u030a"  # "å" as a + combining ring, as macOS may save it
    assert count("x", decomposed * 280).ok


# --- Bluesky: 300 graphemes and 3,000 bytes --------------------------------------------


def test_bluesky_300_graphemes_is_valid_and_301_is_not():
    assert count("bluesky", "ø" * 300).ok
    result = count("bluesky", "ø" * 301)
    assert result.problems == ("Bluesky: 1 tegn for mye (301 av 300).",)


def test_bluesky_counts_flags_and_zwj_emoji_as_one_grapheme():
    assert count("bluesky", FLAG * 300).count == 300
    assert count("bluesky", FLAG * 300).ok  # 2,400 bytes


def test_bluesky_byte_limit_binds_before_the_grapheme_limit():
    assert count("bluesky", FAMILY * 120).ok  # 120 graphemes, exactly 3,000 bytes
    result = count("bluesky", FAMILY * 121)
    assert result.count == 121
    assert result.problems == ("Bluesky: 25 byte for mye (3025 av 3000).",)
    both = count("bluesky", FAMILY * 301)
    assert len(both.problems) == 2


def test_bluesky_counts_a_full_url_in_full():
    url = "https://16days.no/" + "a" * 100
    assert count("bluesky", url).count == len(url)
    assert count("x", url).count == 23


# --- Mastodon --------------------------------------------------------------------------


def test_mastodon_500_and_501():
    assert count("mastodon", "a" * 500).ok
    assert count("mastodon", "a" * 501).problems == ("Mastodon: 1 tegn for mye (501 av 500).",)


def test_mastodon_url_with_protocol_is_23_and_bare_domain_counts_in_full():
    url = "https://example.org/" + "sti/" * 40
    assert count("mastodon", url).count == 23
    assert count("mastodon", "16days.no").count == 9
    assert count("mastodon", "a" * 476 + " " + url).ok  # 476 + 1 + 23 = 500
    assert not count("mastodon", "a" * 477 + " " + url).ok


def test_mastodon_mentions_count_without_the_server():
    assert mastodon_countable_text("Hei @kari@mastodon.social og @ola!") == "Hei @kari og @ola!"
    assert count("mastodon", "@kari@mastodon.social").count == 5
    # An e-mail address is not a mention.
    assert count("mastodon", "post@example.org").count == 16


def test_mastodon_limit_is_set_per_server():
    assert count("mastodon", "a" * 900, limit=1000).ok
    assert count("mastodon", "a" * 1001, limit=1000).problems[0].startswith("Mastodon: 1 tegn for mye")


# --- Threads, Instagram, LinkedIn, Facebook ---------------------------------------------


def test_threads_counts_emoji_as_utf8_bytes():
    assert count("threads", HEART).count == 4
    assert count("threads", FLAG).count == 8
    assert count("threads", HEART * 125).ok
    assert count("threads", HEART * 126).problems == ("Threads: 4 tegn for mye (504 av 500).",)
    assert count("threads", "æøå" * 166 + "ab").ok


def test_threads_allows_one_tag_and_five_links():
    assert count("threads", "Dag 1 #16Days").ok
    assert "bare én er tillatt" in count("threads", "#16Days #OrangeTheWorld").problems[0]
    five = " ".join(f"https://example.org/{i}" for i in range(5))
    assert count("threads", five).ok
    assert "6 lenker" in count("threads", five + " https://example.org/6").problems[0]


def test_instagram_2200_and_five_hashtags():
    assert count("instagram", "a" * 2200).ok
    assert count("instagram", "a" * 2201).problems == ("Instagram: 1 tegn for mye (2201 av 2200).",)
    assert count("instagram", "#a1 #b #c #d #e").ok
    assert "6 emneknagger" in count("instagram", "#a #b #c #d #e #f").problems[0]


def test_linkedin_3000_and_facebook_configurable():
    assert count("linkedin", "a" * 3000).ok
    assert not count("linkedin", "a" * 3001).ok
    assert count("linkedin", HEART).count == 2  # UTF-16 units: never counted too low
    assert count("facebook", "a" * 5000, limit=5000).ok
    assert count("facebook", "a" * 5001, limit=5000).problems == ("Facebook: 1 tegn for mye (5001 av 5000).",)


def test_fixed_limits_cannot_be_overridden_and_platforms_are_known():
    with pytest.raises(ValueError):
        count("bluesky", "a", limit=1000)
    with pytest.raises(ValueError):
        count("myspace", "a")


def test_hashtags_skip_url_fragments_and_numbers():
    assert hashtags("#16Days se https://example.org/side#avsnitt #2026 #Menneskehandel") == ["#16Days", "#Menneskehandel"]
    assert graphemes("e\u0301" + FLAG + FAMILY) == 3


# --- The plain path against twitter-text ------------------------------------------------
# toolkit.social.counting applies twitter-text's rules itself to text without emoji whose only URLs are
# plain links, and asks twitter-text about everything else. The two must never disagree.


def agrees_with_twitter_text(text: str) -> bool:
    """Assert that every count built on twitter-text agrees with it; True when the plain path took the text."""
    for without_protocol in (True, False):
        expected = twitter_text.extract_urls_with_indices(text, without_protocol)
        assert counting.urls(text, without_protocol=without_protocol) == expected, (text, without_protocol)
    assert counting.emojis(text) == twitter_text.extract_emojis_with_indices(text), text
    parsed = twitter_text.parse_tweet(text)
    result = count("x", text)
    assert result.count == parsed.weightedLength, text
    invalid = has_invalid_characters(unicodedata.normalize("NFC", text))
    assert any("ikke godtar" in p for p in result.problems) == invalid, text
    return counting.plain_x_weight(text) is not None


def test_no_emoji_uses_a_code_point_the_plain_path_lets_through():
    for entry in emoji_list:
        assert any(counting.MAYBE_EMOJI.match(chr(int(cp, 16))) for cp in entry.codepoint.split()), entry
    # The pattern's single-character class is built from ranges: try every character it could hit.
    let_through = [chr(cp) for cp in range(0x20D0) if not counting.MAYBE_EMOJI.match(chr(cp))]
    assert not [c for c in let_through if EMOJI_PATTERN.search(c)]


def tlds(pattern) -> list[str]:
    body = pattern.pattern
    return body[body.index("(?:(?:") + 6: body.rindex(")(?=")].split("|")


def test_every_top_level_domain_starts_where_the_plain_path_looks():
    known = tlds(valid_gtld) + tlds(valid_cctld)
    assert len(known) > 1000
    assert all(counting.MAYBE_DOMAIN.match("." + tld) for tld in known + ["xn--p1ai"])
    assert set(counting.PLAIN_TLDS) <= set(known)
    for tld in counting.PLAIN_TLDS:
        assert agrees_with_twitter_text(f"Se https://eksempel.{tld}/side og eksempel.{tld}.")


@pytest.mark.parametrize("text", [
    "Les mer på 16days.no.", "Kilde: regjeringen.no: Nasjonal strategi (2025–2030); omtale i apress.no.",
    "«https://16days.no/krav-1», sa hun.", "(www.16days.no)", "https://16days.no/a.b/c_d-e/",
    "Linjeskift\r\nhttps://16days.no\r#16Days", "http://A.no", "https://16days.no/side#avsnitt",
    "post@16days.no", "f.eks. 10.000 kroner", "https://t.co/abc123", "16days.no/krav", "https://16days.no?x=1",
    "https://16days.no:8080/a", ".no", "a.no-", "-a.no", "a_b.no", "https://x.no/a'", "https://x.no/a»",
    "Vold\u2026 og «menneskehandel» – § 257", "e\u0301 \u202f 16days.no\u00a0x", "\ufeffa.no", "𝔸.no", "Ærlig.no",
])
def test_plain_path_agrees_with_twitter_text_on_edge_cases(text):
    agrees_with_twitter_text(text)


def test_the_shipped_posts_take_the_plain_path_and_agree_with_twitter_text(campaign_dir):
    from toolkit.validate import check_campaign

    campaign, _ = check_campaign(campaign_dir, LETTER_DATE)
    posts = campaign.calendar.posts
    assert len(posts) > 100
    assert all(agrees_with_twitter_text(post.text) for post in posts)
    for post in posts:
        assert count(post.platform, post.text, post.limit if post.platform in counting.CONFIGURABLE_LIMITS else None).count == post.count


def test_validating_the_shipped_campaign_does_not_import_twitter_text(campaign_dir):
    script = ("import sys; from toolkit.validate import check_campaign; "
              "check_campaign(sys.argv[1]); print(sorted(m for m in sys.modules if m.startswith('twitter_text')))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script, str(campaign_dir)], capture_output=True, text=True,
                            env=env, cwd=campaign_dir, check=True)
    assert result.stdout.strip() == "[]"


PIECES = st.sampled_from([
    "https://16days.no", "regjeringen.no", "http://a-b.example.com/x_y/", "https://t.co/abc", "www.x.no/sti.",
    "16days.no/krav", "x.com", "f.eks.", "10.000", "a.b", "post@16days.no", "HTTPS://x.no", "https://x.no/a.b",
    "(", ")", "«", "»", ".", ",", ":", "?", "!", "'", '"', "’", "-", "_", "/", "@", "#", " ", "\n", "\r\n", "\t",
    "æøå", "Kilde", "ord", "日本語", "\U0001F637", "\U0001F1F3\U0001F1F4", "e\u0301", "\u2026", "–", "©", "\u200d",
    "\u20e3", "1", ":80", "?q=1", "no", ".no", "xn--", "\ufeff", "\u00a0", "\u202f", "\u0430", "\u0645",
])


@settings(max_examples=400, deadline=None)
@given(text=st.lists(PIECES | st.text(max_size=3), max_size=14).map("".join))
def test_plain_path_agrees_with_twitter_text_on_random_text(text):
    agrees_with_twitter_text(text)
