"""How long a post is, counted the way each platform counts it, and what breaks its rules.

Each platform counts differently (see ../shared/reference/social.md, section 3):

- X: twitter-text configuration v3 (the ``twitter-text-parser`` package): 280 weighted, every URL
  (even a bare ``16days.no``) 23, every emoji 2, the text NFC-normalised first.
- Bluesky: the text as it is stored, with links in full: at most 300 grapheme clusters and 3,000
  UTF-8 bytes (the lexicon's ``maxGraphemes`` and ``maxLength``).
- Mastodon: grapheme clusters, every URL 23 and ``@user@server`` counted as ``@user``, as Mastodon's
  StatusLengthValidator does. URLs are found with twitter-text's extractor, which is the one Mastodon
  uses, and as there only with a protocol (``https://…``): a bare domain counts in full.
- Threads: 500, emoji counted as their UTF-8 bytes (Meta's rule), at most one topic tag and five links.
- Instagram: 2,200 and at most five hashtags; LinkedIn 3,000; Facebook configurable. These three count
  UTF-16 code units, as scheduling tools do, so an emoji counts 2 and a count is never too low.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import regex

PLATFORMS = ("x", "bluesky", "mastodon", "threads", "instagram", "facebook", "linkedin")
PLATFORM_NAMES = {
    "x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon", "threads": "Threads",
    "instagram": "Instagram", "facebook": "Facebook", "linkedin": "LinkedIn",
}
DEFAULT_LIMITS = {
    "x": 280, "bluesky": 300, "mastodon": 500, "threads": 500,
    "instagram": 2200, "facebook": 63206, "linkedin": 3000,
}
# Platforms whose limit differs between accounts or servers, so campaign.yaml may set it.
CONFIGURABLE_LIMITS = ("x", "mastodon", "facebook")
# Alt-text caps ([S] trypost PR #179, checked there against each platform's API docs); Facebook
# and Threads document none, so 1000 is a defensive cap as in that PR.
ALT_TEXT_LIMITS = {
    "x": 1000, "bluesky": 2000, "mastodon": 1500, "threads": 1000,
    "instagram": 1000, "facebook": 1000, "linkedin": 4086,
}
BLUESKY_MAX_BYTES = 3000
MASTODON_URL_LENGTH = 23
THREADS_MAX_TAGS = 1
THREADS_MAX_LINKS = 5
INSTAGRAM_MAX_HASHTAGS = 5

GRAPHEME = regex.compile(r"\X")
# A hashtag starts a word; '#' inside a URL (a fragment) is not one, so URLs are removed first.
HASHTAG = regex.compile(r"(?<![\w#&])#(\w*[^\W\d_]\w*)")
# Mastodon's mention: @user or @user@server.example, not part of an e-mail address.
MASTODON_MENTION = regex.compile(
    r"(?<![\w/@.])@([A-Za-z0-9_]+(?:[A-Za-z0-9_.-]+[A-Za-z0-9_]+)?)(@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+)?"
)

# Importing twitter-text compiles its emoji and URL grammars, about a third of a second: most of a
# build's start. Almost every post is plain text plus plain https links, and for such text its
# rules are simple enough to apply here; anything else goes to twitter-text. Both paths are
# compared in tests/test_counting.py, on the shipped posts and on random text.
#
# No emoji in twitter-text's list uses a code point outside this class (the test checks every one).
MAYBE_EMOJI = re.compile("[^\x00-\u20cf]|[\xa9\xae\u200d\u203c\u2049]")
# A dot that could start a top-level domain: every TLD twitter-text knows starts with a letter.
MAYBE_DOMAIN = re.compile(r"\.(?=[^\s\x00-\x40\x5b-\x60\x7b-\x7f«»“”‘’–—…])")
# Top-level domains the plain path accepts; each is in twitter-text's lists (the test checks).
PLAIN_TLDS = ("no", "com", "org", "net", "eu", "int", "info", "se", "dk", "io")
_HOST = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:" + "|".join(PLAIN_TLDS) + ")"
# A word that is one link twitter-text takes whole: an https link with an ASCII host and a path of
# plain characters ending in one a URL may end with, or a bare host (``regjeringen.no``); in
# brackets or quotes, or followed by punctuation that twitter-text leaves out of a URL.
PLAIN_LINK = re.compile(
    "[(«“‘\"']?"
    rf"(?P<url>https?://{_HOST}(?:/(?:[A-Za-z0-9._~/-]*[A-Za-z0-9_/-])?)?|{_HOST})"
    "[.,:;!?)»”’\"']*"
)
PLAIN_URL_MAX = 2000  # twitter-text drops URLs over 4,096 characters
WORD = re.compile(r"[^ \t\n\r]+")
LINE_ENDS = re.compile(r"\r\n|\r")
# twitter-text v3: code points in these ranges weigh 1, every other 2; a URL 23, an emoji 2.
X_HEAVY = re.compile("[^\x00-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")
X_URL_WEIGHT = 23


@dataclass(frozen=True)
class Count:
    """A post's length on one platform, its limit, and every rule it breaks (messages in Norwegian)."""

    platform: str
    count: int
    limit: int
    problems: tuple[str, ...] = ()

    @property
    def over(self) -> int:
        return max(0, self.count - self.limit)

    @property
    def ok(self) -> bool:
        return not self.problems


def graphemes(text: str) -> int:
    """The number of user-perceived characters (extended grapheme clusters)."""
    return len(GRAPHEME.findall(text))


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def plain_urls(text: str, without_protocol: bool = True) -> list[dict] | None:
    """The URLs of a text whose only URLs are plain links, as twitter-text finds them; None for any other text."""
    if not MAYBE_DOMAIN.search(text):
        return []
    found = []
    for word in WORD.finditer(text):
        if MAYBE_DOMAIN.search(word.group()):
            link = PLAIN_LINK.fullmatch(word.group())
            if link is None or len(word.group()) > PLAIN_URL_MAX:
                return None
            if not without_protocol and not link.group("url").startswith("http"):
                continue
            start = word.start() + link.start("url")
            found.append({"url": link.group("url"), "indices": [start, start + len(link.group("url"))]})
    return found


def urls(text: str, *, without_protocol: bool = True) -> list[dict]:
    """URLs as twitter-text finds them: ``[{'url': …, 'indices': [start, end]}]`` (code-point indices)."""
    found = plain_urls(text, without_protocol)
    if found is not None:
        return found
    # twitter_text is imported where it is used: about 622 ms to import, too long for start-up.
    from twitter_text import extract_urls_with_indices

    return extract_urls_with_indices(text, without_protocol)


def emojis(text: str) -> list[dict]:
    """Emoji as twitter-text finds them: ``[{'emoji': …, 'indices': [start, end]}]``."""
    if not MAYBE_EMOJI.search(text):
        return []
    # twitter_text is imported where it is used: about 622 ms to import, too long for start-up.
    from twitter_text import extract_emojis_with_indices

    return extract_emojis_with_indices(text)


def hashtags(text: str) -> list[str]:
    """The hashtags in a text, in order, without those inside URLs."""
    stripped = text
    for found in reversed(urls(text)):
        start, end = found["indices"]
        stripped = stripped[:start] + " " * (end - start) + stripped[end:]
    return ["#" + match.group(1) for match in HASHTAG.finditer(stripped)]


def _over(platform: str, count: int, limit: int, unit: str = "tegn") -> str:
    return f"{PLATFORM_NAMES[platform]}: {count - limit} {unit} for mye ({count} av {limit})."


def plain_x_weight(text: str) -> int | None:
    """twitter-text's weighted length of a text without emoji whose only URLs are plain links; else None."""
    normalized = LINE_ENDS.sub("\n", unicodedata.normalize("NFC", text))
    if MAYBE_EMOJI.search(normalized):
        return None
    links = plain_urls(normalized)
    if links is None:
        return None
    # URLs are ASCII, so the heavy characters are all outside them.
    return (len(normalized) + len(X_HEAVY.findall(normalized))
            + sum(X_URL_WEIGHT - len(link["url"]) for link in links))


def count_x(text: str, limit: int = DEFAULT_LIMITS["x"]) -> Count:
    """X: twitter-text v3 weighting; URLs 23, emoji 2, most other scripts and symbols 2."""
    weighted = plain_x_weight(text)
    # Text on the plain path has no code point above U+20CF, so none that X refuses.
    invalid = False
    if weighted is None:
        # twitter_text is imported where it is used: about 622 ms to import, too long for start-up.
        from twitter_text import parse_tweet
        from twitter_text.has_invalid_characters import has_invalid_characters

        weighted = parse_tweet(text).weightedLength
        invalid = has_invalid_characters(unicodedata.normalize("NFC", text))
    problems = []
    if weighted > limit:
        problems.append(_over("x", weighted, limit))
    if invalid:
        problems.append("X: teksten har tegn som X ikke godtar (for eksempel U+FFFE eller styretegn). Fjern dem.")
    return Count("x", weighted, limit, tuple(problems))


def count_bluesky(text: str) -> Count:
    """Bluesky: 300 grapheme clusters and 3,000 UTF-8 bytes of the text as posted, links in full."""
    limit = DEFAULT_LIMITS["bluesky"]
    length = graphemes(text)
    size = utf8_bytes(text)
    problems = []
    if length > limit:
        problems.append(_over("bluesky", length, limit))
    if size > BLUESKY_MAX_BYTES:
        problems.append(_over("bluesky", size, BLUESKY_MAX_BYTES, "byte"))
    return Count("bluesky", length, limit, tuple(problems))


def mastodon_countable_text(text: str) -> str:
    """The text as Mastodon counts it: each URL with a protocol as 23 characters, mentions without the server."""
    placeholder = "x" * MASTODON_URL_LENGTH
    spans = [(u["indices"][0], u["indices"][1], placeholder) for u in urls(text, without_protocol=False)]
    for match in MASTODON_MENTION.finditer(text):
        if not any(start < match.end() and match.start() < end for start, end, _ in spans):
            spans.append((match.start(), match.end(), "@" + match.group(1)))
    result, position = [], 0
    for start, end, replacement in sorted(spans):
        result.append(text[position:start])
        result.append(replacement)
        position = end
    result.append(text[position:])
    return "".join(result)


def count_mastodon(text: str, limit: int = DEFAULT_LIMITS["mastodon"]) -> Count:
    """Mastodon: grapheme clusters, URLs 23, ``@user@server`` as ``@user``; the server sets the limit."""
    length = graphemes(mastodon_countable_text(text))
    problems = [_over("mastodon", length, limit)] if length > limit else []
    return Count("mastodon", length, limit, tuple(problems))


def count_threads(text: str) -> Count:
    """Threads: 500, an emoji counts its UTF-8 bytes; at most one topic tag and five links."""
    limit = DEFAULT_LIMITS["threads"]
    length = graphemes(text)
    for emoji in emojis(text):
        length += utf8_bytes(emoji["emoji"]) - graphemes(emoji["emoji"])
    problems = []
    if length > limit:
        problems.append(_over("threads", length, limit))
    tags = hashtags(text)
    if len(tags) > THREADS_MAX_TAGS:
        problems.append(f"Threads: {len(tags)} emneknagger ({' '.join(tags)}), men bare én er tillatt.")
    links = urls(text)
    if len(links) > THREADS_MAX_LINKS:
        problems.append(f"Threads: {len(links)} lenker, men høyst {THREADS_MAX_LINKS} er tillatt.")
    return Count("threads", length, limit, tuple(problems))


def count_utf16(platform: str, text: str, limit: int) -> Count:
    """Instagram, Facebook, LinkedIn: UTF-16 code units, as scheduling tools count them."""
    length = utf16_units(text)
    problems = [_over(platform, length, limit)] if length > limit else []
    if platform == "instagram":
        tags = hashtags(text)
        if len(tags) > INSTAGRAM_MAX_HASHTAGS:
            problems.append(f"Instagram: {len(tags)} emneknagger, men høyst {INSTAGRAM_MAX_HASHTAGS} er tillatt.")
    return Count(platform, length, limit, tuple(problems))


def count(platform: str, text: str, limit: int | None = None) -> Count:
    """Count ``text`` for ``platform``; ``limit`` overrides the default where the platform allows it."""
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}")
    if limit is not None and platform not in CONFIGURABLE_LIMITS:
        raise ValueError(f"{platform} has a fixed limit")
    limit = limit if limit is not None else DEFAULT_LIMITS[platform]
    if platform == "x":
        return count_x(text, limit)
    if platform == "bluesky":
        return count_bluesky(text)
    if platform == "mastodon":
        return count_mastodon(text, limit)
    if platform == "threads":
        return count_threads(text)
    return count_utf16(platform, text, limit)
