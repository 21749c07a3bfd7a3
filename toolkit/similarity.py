"""How alike generated letters are: WriteToThem-style substring fingerprints and the Dice coefficient.

Method (see shared/reference/peers-advocacy.md, section 1c): strip what every letter shares by design
(letterhead, address, salutation, headings with demand titles, closing and signatures), normalise the
rest (lower case, no punctuation, no white space), take the CRC32 of every 32-character substring, keep
a hash when its four low bits are zero and then jump 32 characters ahead. Two letters' similarity is
the Dice coefficient of their hash sets, 2·|A∩B| / (|A|+|B|), and 0 when either set is empty.

Comparison goes through an inverted index from hash to letters and counts shared hashes with numpy,
so no two texts are ever compared directly and thousands of letters take seconds.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
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
    hashes: frozenset[int] | Sequence[int]  # a packed array("Q") for letters kept until the batch is compared


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


# Below this many letters, counting in Python is quicker than importing numpy (a tenth of a second).
SMALL_BATCH = 100


def compare(items: list[Item], worst: int = 20) -> Result:
    """Find each item's most similar item in another group, without comparing every pair of texts.

    An inverted index from hash to items gives, per item, the items that share a hash with it;
    numpy counts the shared hashes per item in one pass (``bincount``), so the cost follows the
    hashes items share, in C, and a batch of 10,000 letters takes seconds; a small batch is counted
    in plain Python, with the same result. Ties go to the smaller key.
    """
    result = Result()
    ordered = sorted(items, key=lambda item: item.key)
    if not ordered:
        return result
    best = _best_small(ordered) if len(ordered) < SMALL_BATCH else _best_numpy(ordered)
    top_pairs: dict[tuple[str, str], float] = {}
    for item, (score, number) in zip(ordered, best):
        if number is None or score <= 0:
            result.best[item.key] = (0.0, None)
            continue
        score = round(score, 4)
        other = ordered[number]
        result.best[item.key] = (score, other.key)
        top_pairs[tuple(sorted((item.key, other.key)))] = score
    ranked = sorted(((score, a, b) for (a, b), score in top_pairs.items()), key=lambda p: (-p[0], p[1], p[2]))
    result.pairs = ranked[:worst]
    return result


def _best_small(ordered: list[Item]) -> list[tuple[float, int | None]]:
    """Each item's highest score and the index of that item, counted in plain Python."""
    postings: dict[int, list[int]] = {}
    for number, item in enumerate(ordered):
        for value in item.hashes:
            postings.setdefault(value, []).append(number)
    best: list[tuple[float, int | None]] = []
    for number, item in enumerate(ordered):
        shared: dict[int, int] = {}
        for value in item.hashes:
            for other in postings[value]:
                shared[other] = shared.get(other, 0) + 1
        size = len(item.hashes)
        found: tuple[float, int | None] = (0.0, None)
        for other in sorted(shared):
            if ordered[other].group == item.group:
                continue  # the same signer's own letters are not compared
            score = 2 * shared[other] / max(size + len(ordered[other].hashes), 1)
            if score > found[0]:
                found = (score, other)
        best.append(found)
    return best


def _best_numpy(ordered: list[Item]) -> list[tuple[float, int | None]]:
    """Each item's highest score and the index of that item, counted with numpy."""
    import numpy

    count = len(ordered)
    lengths = [len(item.hashes) for item in ordered]
    sizes = numpy.array(lengths, dtype=numpy.float64)
    raw = numpy.fromiter((h for item in ordered for h in item.hashes), dtype=numpy.uint64, count=sum(lengths))
    # Hash values become small ids without a Python dict: at 10,000 letters that dict was most of the memory.
    distinct, flat = numpy.unique(raw, return_inverse=True)
    del raw
    flat = flat.astype(numpy.int32)
    bounds = numpy.concatenate(([0], numpy.cumsum(lengths)))
    owners = numpy.repeat(numpy.arange(count, dtype=numpy.int32), lengths)
    order = numpy.argsort(flat, kind="stable")
    postings_items = owners[order]
    starts = numpy.searchsorted(flat[order], numpy.arange(len(distinct) + 1))
    del owners, order
    groups: dict[str, int] = {}
    group_of = numpy.array([groups.setdefault(item.group, len(groups)) for item in ordered])
    best: list[tuple[float, int | None]] = []
    for number in range(count):
        mine = flat[bounds[number] : bounds[number + 1]]
        if not len(mine):
            best.append((0.0, None))
            continue
        others = numpy.concatenate([postings_items[starts[h] : starts[h + 1]] for h in mine])
        shared = numpy.bincount(others, minlength=count).astype(numpy.float64)
        scores = 2 * shared / numpy.maximum(sizes[number] + sizes, 1)
        scores[group_of == group_of[number]] = -1.0  # the same signer's own letters are not compared
        top = int(numpy.argmax(scores))
        best.append((float(scores[top]), top))
    return best
