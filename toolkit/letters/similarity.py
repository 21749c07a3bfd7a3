"""How alike generated letters are: WriteToThem-style substring fingerprints and the Dice coefficient.

Method (see shared/reference/peers-advocacy.md, section 1c): strip what every letter shares by design
(letterhead, address, salutation, headings with demand titles, closing and signatures), normalise the
rest (lower case, no punctuation, no white space), take the CRC32 of every 32-character substring, keep
a hash when its four low bits are zero and then jump 32 characters ahead. Two letters' similarity is
the Dice coefficient of their hash sets, 2·|A∩B| / (|A|+|B|), and 0 when either set is empty.

Comparison goes through an inverted index from hash to letters and counts shared hashes with numpy,
so no two texts are ever compared directly and thousands of letters take seconds. A batch's
fingerprints are kept packed (``Fingerprints``) until the batch is compared, so memory stays nearly
flat in the number of letters.
"""

from __future__ import annotations

import re
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

from toolkit.core.markup import Paragraph

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
    hashes: frozenset[int] | Sequence[int]  # distinct hashes; letter_fingerprint packs them in an array("I")


class Fingerprints:
    """A batch of letters' fingerprints in flat arrays, added as the letters are written.

    A batch is compared only once every letter is written, so its fingerprints are kept until then:
    here at four bytes a hash and a few bytes a letter (besides its key), where an ``Item`` per letter
    costs some 500 bytes. This keeps a run's peak memory nearly flat in the number of letters.
    """

    def __init__(self, items=()):
        self.keys: list[str] = []
        self.group_names: list[str] = []
        self._group_numbers: dict[str, int] = {}
        self.groups = array("I")  # per letter: its group's index in group_names
        self.sizes = array("I")  # per letter: how many hashes it has
        self.hashes = array("I")  # every letter's hashes (CRC32 values), one letter after the other
        for item in items:
            self.add(item)

    def add(self, item: Item) -> None:
        number = self._group_numbers.get(item.group)
        if number is None:
            number = self._group_numbers[item.group] = len(self.group_names)
            self.group_names.append(item.group)
        self.keys.append(item.key)
        self.groups.append(number)
        self.sizes.append(len(item.hashes))
        self.hashes.extend(item.hashes)

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class Result:
    """Each letter's highest similarity to a letter of another group, and the worst pairs.

    Letters are numbered in the order of their keys; ``scores[n]`` is letter n's highest similarity
    and ``partners[n]`` the number of the letter it is most like (-1 for none).
    """

    keys: list[str] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)  # each letter's group
    scores: Sequence[float] = field(default_factory=lambda: array("d"))
    partners: Sequence[int] = field(default_factory=lambda: array("i"))
    pairs: list[tuple[float, str, str]] = field(default_factory=list)

    @property
    def best(self) -> dict[str, tuple[float, str | None]]:
        """Each letter's key: its highest similarity and the key of the letter it is most like."""
        return {key: (score, other) for key, _, score, other in self.rows(by_score=False)}

    def rows(self, by_score: bool = True):
        """Yield ``(key, group, score, other key or None)`` per letter, most similar first (ties by key)."""
        numbers = range(len(self.keys))
        # A stable sort, reversed, keeps equal scores in key order.
        order = sorted(numbers, key=self.scores.__getitem__, reverse=True) if by_score else numbers
        for number in order:
            partner = self.partners[number]
            yield self.keys[number], self.senders[number], self.scores[number], self.keys[partner] if partner >= 0 else None

    def histogram(self) -> list[tuple[float, float, int]]:
        """Counts of letters by their highest similarity, in tenths."""
        counts = [0] * (len(BINS) - 1)
        for score in self.scores:
            index = min(int(score * 10), len(counts) - 1)
            counts[index] += 1
        return [(BINS[i], BINS[i + 1], counts[i]) for i in range(len(counts))]

    def over(self, threshold: float) -> list[str]:
        return [key for key, score in zip(self.keys, self.scores) if score > threshold]


# Below this many letters, counting in Python is quicker than importing numpy (a tenth of a second).
SMALL_BATCH = 100


def compare(items: Fingerprints | list[Item], worst: int = 20) -> Result:
    """Find each letter's most similar letter in another group, without comparing every pair of texts.

    The hashes of all letters, with the letter each came from, make an inverted index; per letter it
    gives the letters that share each of its hashes, and the shared hashes are counted. numpy counts
    them in C (``_best_numpy``): a batch of 10,000 letters takes a second and a few megabytes; a small
    batch is counted in plain Python (``_best_small``), with the same result. Ties go to the smaller key.
    """
    store = items if isinstance(items, Fingerprints) else Fingerprints(items)
    count = len(store)
    if not count:
        return Result()
    # Letters are numbered in key order; ``added[n]`` is where letter n stands in the store.
    added = array("l", sorted(range(count), key=store.keys.__getitem__))
    found = _best_small if count < SMALL_BATCH else _best_numpy
    scores, partners = found(store, added)
    keys = [store.keys[stored] for stored in added]
    senders = [store.group_names[store.groups[stored]] for stored in added]
    return Result(keys, senders, scores, partners, _worst_pairs(keys, scores, partners, worst))


def _best_small(store: Fingerprints, added) -> tuple[array, array]:
    """Each letter's highest score (rounded) and the number of that letter, counted in plain Python."""
    count = len(added)
    starts = [0]
    for size in store.sizes:
        starts.append(starts[-1] + size)
    letters = [store.hashes[starts[stored] : starts[stored + 1]] for stored in added]
    groups = [store.groups[stored] for stored in added]
    postings: dict[int, list[int]] = {}
    for number, hashes in enumerate(letters):
        for value in hashes:
            postings.setdefault(value, []).append(number)
    scores, partners = array("d", bytes(8 * count)), array("i", [-1]) * count
    for number, hashes in enumerate(letters):
        shared: dict[int, int] = {}
        for value in hashes:
            for other in postings[value]:
                shared[other] = shared.get(other, 0) + 1
        best = (0.0, -1)
        for other in sorted(shared):
            if groups[other] == groups[number]:
                continue  # the same signer's own letters are not compared
            score = 2 * shared[other] / max(len(hashes) + len(letters[other]), 1)
            if score > best[0]:
                best = (score, other)
        scores[number], partners[number] = round(best[0], 4), best[1]
    return scores, partners


def _best_numpy(store: Fingerprints, added) -> tuple[array, array]:
    """Each letter's highest score (rounded) and the number of that letter, counted with numpy."""
    import numpy

    count = len(added)
    added = numpy.frombuffer(added, dtype=numpy.int64 if added.itemsize == 8 else numpy.int32)
    number_of = numpy.empty(count, dtype=numpy.int32)
    number_of[added] = numpy.arange(count, dtype=numpy.int32)
    stored_sizes = numpy.frombuffer(store.sizes, dtype=numpy.uint32)
    starts = numpy.zeros(count + 1, dtype=numpy.int64)
    numpy.cumsum(stored_sizes, out=starts[1:])
    hashes = numpy.frombuffer(store.hashes, dtype=numpy.uint32)
    # Each hash with its letter's number in the low 32 bits, sorted in place: the inverted index
    # without an int64 argsort index beside it.
    index = hashes.astype(numpy.uint64)
    index <<= numpy.uint64(32)
    index |= numpy.repeat(number_of.astype(numpy.uint32), stored_sizes)
    index.sort()
    postings = index.astype(numpy.uint32)  # the letter each sorted hash came from
    index >>= numpy.uint64(32)
    sorted_hashes = index.astype(numpy.uint32)
    del index, number_of
    sizes = stored_sizes[added].astype(numpy.float64)
    group_of = numpy.frombuffer(store.groups, dtype=numpy.uint32)[added]
    scores, partners = array("d", bytes(8 * count)), array("i", [-1]) * count
    for number in range(count):
        stored = added[number]
        mine = hashes[starts[stored] : starts[stored + 1]]
        if not len(mine):
            continue
        lows = numpy.searchsorted(sorted_hashes, mine, "left").tolist()
        highs = numpy.searchsorted(sorted_hashes, mine, "right").tolist()
        others = numpy.concatenate([postings[low:high] for low, high in zip(lows, highs)])
        shared = numpy.bincount(others, minlength=count)
        candidates = numpy.flatnonzero(shared)
        candidates = candidates[group_of[candidates] != group_of[number]]  # the same signer's own letters are not compared
        if not len(candidates):
            continue
        candidate_scores = 2 * shared[candidates].astype(numpy.float64) / numpy.maximum(sizes[number] + sizes[candidates], 1)
        best = int(numpy.argmax(candidate_scores))  # the first of equal scores: the smallest key
        scores[number], partners[number] = round(float(candidate_scores[best]), 4), int(candidates[best])
    return scores, partners


def _worst_pairs(keys: list[str], scores, partners, worst: int) -> list[tuple[float, str, str]]:
    """The ``worst`` most similar pairs, each once, by score and then by key."""
    import heapq

    def pairs():
        for number, partner in enumerate(partners):
            # Two letters most like each other are one pair: counted from the first of them only.
            if partner >= 0 and not (partner < number and partners[partner] == number):
                yield -scores[number], min(number, partner), max(number, partner)

    return [(-score, keys[first], keys[second]) for score, first, second in heapq.nsmallest(worst, pairs())]
