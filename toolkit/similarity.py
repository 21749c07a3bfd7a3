"""How alike generated letters are: WriteToThem-style substring fingerprints and the Dice coefficient.

Method (see shared/reference/peers-advocacy.md, section 1c): strip what every letter shares by design
(letterhead, address, salutation, headings with demand titles, closing and signatures), normalise the
rest (lower case, no punctuation, no white space), take the CRC32 of every 32-character substring, keep
a hash when its four low bits are zero and then jump 32 characters ahead. Two letters' similarity is
the Dice coefficient of their hash sets, 2·|A∩B| / (|A|+|B|), and 0 when either set is empty.

Comparison goes through an inverted index from hash to letters, so the cost follows the hashes letters
really share, not the square of the number of letters; identical fingerprints are compared once.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from dataclasses import dataclass, field

from toolkit.markup import Paragraph

WINDOW = 32
KEEP_MASK = 0xF
BODY_STYLES = {"Body", "ListBullet"}
# Everything but letters and digits, in any script (\W is Unicode-aware; "_" counts as a word character).
NOT_WORD = re.compile(r"[\W_]+")
BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def body_text(paragraphs: list[Paragraph]) -> str:
    """The part of a letter a person writes: body paragraphs after the salutation, minus bold titles."""
    parts: list[str] = []
    seen_heading = False
    salutation_skipped = False
    for paragraph in paragraphs:
        if paragraph.style == "Heading1":
            seen_heading = True
            continue
        if paragraph.style not in BODY_STYLES or not seen_heading:
            continue
        if not salutation_skipped and paragraph.style == "Body":
            # The first paragraph after the subject is the salutation ("Kjære …", "Til …").
            salutation_skipped = True
            continue
        # Bold runs are quoted demand titles and labels ("Vårt krav:"), shared by design.
        parts.append("".join(run.text for run in paragraph.runs if not run.bold))
    return "\n".join(parts)


def normalise(text: str) -> str:
    return NOT_WORD.sub("", text.lower())


def fingerprint(text: str) -> frozenset[int]:
    """The set of kept CRC32 hashes of 32-character substrings of the normalised text."""
    data = normalise(text).encode("utf-8")
    hashes: set[int] = set()
    position = 0
    last = len(data) - WINDOW
    while position <= last:
        value = zlib.crc32(data[position : position + WINDOW])
        if value & KEEP_MASK == 0:
            hashes.add(value)
            position += WINDOW
        else:
            position += 1
    return frozenset(hashes)


def dice(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


@dataclass(frozen=True)
class Item:
    """One letter to compare: its key, the group it belongs to (same signer: not compared), its hashes."""

    key: str
    group: str
    hashes: frozenset[int]


@dataclass
class Result:
    """Each letter's highest similarity to a letter of another group, and the worst pairs."""

    best: dict[str, tuple[float, str | None]] = field(default_factory=dict)
    pairs: list[tuple[float, str, str]] = field(default_factory=list)

    def histogram(self) -> list[tuple[float, float, int]]:
        """Counts of letters by their highest similarity, in tenths."""
        counts = [0] * (len(BINS) - 1)
        for score, _ in self.best.values():
            index = min(int(score * 10), len(counts) - 1)
            counts[index] += 1
        return [(BINS[i], BINS[i + 1], counts[i]) for i in range(len(counts))]

    def over(self, threshold: float) -> list[str]:
        return [key for key, (score, _) in self.best.items() if score > threshold]


def compare(items: list[Item], worst: int = 20) -> Result:
    """Find each item's most similar item in another group, without comparing every pair of texts."""
    result = Result()
    # Letters with the same fingerprint are one comparison: keep one representative per set.
    by_hashes: dict[frozenset[int], list[Item]] = defaultdict(list)
    for item in items:
        by_hashes[item.hashes].append(item)
    uniques = list(by_hashes)
    index: dict[int, list[int]] = defaultdict(list)
    for number, hashes in enumerate(uniques):
        for value in hashes:
            index[value].append(number)
    top_pairs: dict[tuple[str, str], float] = {}
    for number, hashes in enumerate(uniques):
        members = by_hashes[hashes]
        shared: dict[int, int] = defaultdict(int)
        for value in hashes:
            for other in index[value]:
                if other != number:
                    shared[other] += 1
        # The same fingerprint in different groups is a perfect match.
        candidates: list[tuple[float, Item]] = []
        if len({m.group for m in members}) > 1 and hashes:
            candidates.extend((1.0, m) for m in members)
        for other, count in shared.items():
            score = 2 * count / (len(hashes) + len(uniques[other]))
            candidates.extend((score, m) for m in by_hashes[uniques[other]])
        candidates.sort(key=lambda c: (-c[0], c[1].key))
        for member in members:
            match = next(((s, c) for s, c in candidates if c.group != member.group), None)
            if match is None:
                result.best[member.key] = (0.0, None)
                continue
            score, other_item = match
            result.best[member.key] = (round(score, 4), other_item.key)
            first, second = sorted((member.key, other_item.key))
            top_pairs[(first, second)] = round(score, 4)
    ranked = sorted(((score, a, b) for (a, b), score in top_pairs.items()), key=lambda p: (-p[0], p[1], p[2]))
    result.pairs = ranked[:worst]
    return result
