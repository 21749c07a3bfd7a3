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

Large batches (over ``EXACT_UP_TO`` letters) are not counted letter against letter, which grows with
the square of the batch: ``compare(..., threshold=t)`` finds every pair whose Dice coefficient can
reach ``t`` with prefix filtering (``_candidates``; Bayardo et al., "Scaling up all pairs similarity
search", WWW 2007, and Xiao et al.'s PPJoin), then computes the exact coefficient of those pairs only.
The filter is exact, not probabilistic: every pair at or over ``t`` is a candidate, so the letters over
the threshold, their scores and the letters they are most like are those of the all-pairs count.
Under the threshold, a large batch's scores are not known exactly, and the result says so.
"""

from __future__ import annotations

import re
import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any, BinaryIO

from toolkit.core.markup import Paragraph

WINDOW = 32
KEEP_MASK = 0xF
BODY_STYLES = {"Body", "ListBullet"}
# Everything but letters and digits, in any script (\W is Unicode-aware; "_" counts as a word character).
NOT_WORD = re.compile(r"[\W_]+")
# Bytes of hashes a batch keeps in memory before the rest goes to a temporary file, and about how many
# bytes the comparison of a large batch works in at once (its state beyond that is in temporary files).
MEMORY_BUDGET = 4 * 1024 * 1024
BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def give_back_free_memory() -> None:
    """Return the free pages inside the C heap to the system (glibc's ``malloc_trim``; elsewhere nothing).

    A long run allocates and frees many blocks of a few megabytes (received letters, numpy's working
    arrays); glibc keeps the freed pages between live blocks, so the process grows although what it
    holds does not. Called where a stage ends, it keeps the run's memory at what it holds.
    """
    global _TRIM
    if _TRIM is None:
        _TRIM = False
        if sys.platform.startswith("linux"):
            import ctypes  # only here: the one place the toolkit calls into the C library

            try:
                _TRIM = ctypes.CDLL(None).malloc_trim
            except (AttributeError, OSError):  # not glibc (musl, …): nothing to call
                _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM: Any = None  # glibc's malloc_trim once looked up, or False where there is none


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
    here at four bytes a hash and thirteen bytes a letter. A letter's key is its group's name, "/" and
    a name shared by many letters (a supporter's id and the recipient's), so keys are not held as one
    string per letter. Past ``budget`` bytes of hashes, the hashes go to an unnamed temporary file in
    ``spill_dir`` (removed by the system when it is closed), so a batch of a million letters does not
    grow the memory of the run that writes it.
    """

    def __init__(self, items=(), *, budget: int | None = None, spill_dir: Path | None = None,
                 contiguous_groups: bool = False):
        # ``contiguous_groups``: the caller adds each group's letters together (a supporter's letters come
        # back from a worker together), so a group is new when it differs from the last one, and no
        # table from names to numbers is kept.
        self.group_names = _Strings()
        self._group_numbers: dict[str, int] | None = None if contiguous_groups else {}
        self._names: list[str] = []
        self._name_numbers: dict[str, int] = {}
        self.budget = MEMORY_BUDGET if budget is None else budget
        self.spill_dir = spill_dir
        # The columns per letter, each to its own temporary file past a quarter of the budget, so that
        # they do not grow the memory of a long run either (read back whole, once, when compared).
        column = self.budget // 4
        self._groups = _Spillable("I", column, spill_dir)  # per letter: its group's index in group_names
        self._names_of = _Spillable("H", column, spill_dir)  # per letter: its name's index (widened to "I" past 65,535 names)
        self._in_group = _Spillable("B", column, spill_dir)  # per letter: 1 when its key is "group/name", 0 when it is the name alone
        self._sizes = _Spillable("H", column, spill_dir)  # per letter: how many hashes it has (widened past 65,535)
        self._hashes = array("I")  # the hashes not yet in the file, one letter after the other
        self._file: BinaryIO | None = None  # the temporary file with the first hashes, once they pass the budget
        self._spilled = 0  # how many hashes are in it
        for item in items:
            self.add(item)

    def add(self, item: Item) -> None:
        if self._group_numbers is None:
            number = len(self.group_names) - 1
            if number < 0 or self.group_names[number] != item.group:
                number = len(self.group_names)
                self.group_names.append(item.group)
        else:
            known = self._group_numbers.get(item.group)
            if known is None:
                known = self._group_numbers[item.group] = len(self.group_names)
                self.group_names.append(item.group)
            number = known
        key = item.key
        prefix = item.group + "/"
        inside = key.startswith(prefix) and len(key) > len(prefix)
        name = key[len(prefix):] if inside else key
        name_number = self._name_numbers.get(name)
        if name_number is None:
            name_number = self._name_numbers[name] = len(self._names)
            self._names.append(name)
        self._groups.append(number)
        if name_number > 0xFFFF:
            self._names_of.widen("I")
        self._names_of.append(name_number)
        self._in_group.append(inside)
        if len(item.hashes) > 0xFFFF:
            self._sizes.widen("I")
        self._sizes.append(len(item.hashes))
        self._hashes.extend(item.hashes)
        if len(self._hashes) * 4 > self.budget:
            self._spill()

    def _spill(self) -> None:
        import tempfile

        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="likhet-", dir=self.spill_dir)
        spill = self._file
        spill.seek(0, 2)
        self._hashes.tofile(spill)
        self._spilled += len(self._hashes)
        self._hashes = array("I")
        give_back_free_memory()

    @property
    def groups(self) -> array:
        """Per letter: its group's index in ``group_names`` (read back from the file once, if spilled)."""
        return self._groups.whole()

    @property
    def names(self) -> array:
        """Per letter: its name's index ("H", or "I" past 65,535 names)."""
        return self._names_of.whole()

    @property
    def in_group(self) -> array:
        """Per letter: 1 when its key is "group/name", 0 when it is the name alone."""
        return self._in_group.whole()

    @property
    def sizes(self) -> array:
        """Per letter: how many hashes it has ("H", or "I" past 65,535)."""
        return self._sizes.whole()

    def key(self, stored: int) -> str:
        name = self._names[self.names[stored]]
        return f"{self.group_names[self.groups[stored]]}/{name}" if self.in_group[stored] else name

    @property
    def keys(self) -> _Column:
        return _Column(self.key, len(self))

    @property
    def spilled(self) -> bool:
        return self._file is not None

    @property
    def hashes(self) -> array:
        """Every letter's hashes, one letter after the other (read back into memory if they were spilled)."""
        if self._file is None:
            return self._hashes
        every = array("I")
        self._file.seek(0)
        every.fromfile(self._file, self._spilled)
        every.extend(self._hashes)
        return every

    def read(self, first: int, count: int):
        """``count`` hashes from the ``first``, as a numpy array (from the file once spilled)."""
        import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

        if self._file is not None and len(self._hashes):
            self._spill()  # everything in one place before it is read
        if self._file is None:
            return numpy.frombuffer(self._hashes, dtype=numpy.uint32)[first : first + count]
        self._file.seek(4 * first)
        return numpy.fromfile(self._file, dtype=numpy.uint32, count=count)

    def gather(self, positions):
        """The hashes at ``positions`` (numpy integers, in any order), as a numpy uint32 array.

        Once spilled, the file is mapped for this call only and unmapped before it returns: reading
        blocks around scattered positions read the whole file for every call, which made the check
        grow with the square of the batch; the mapping touches only the pages wanted, and they do not
        stay counted in the run's memory.
        """
        import mmap  # only when a spilled batch is compared

        import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

        if self._file is not None and len(self._hashes):
            self._spill()  # everything in the file before it is mapped
        if self._file is None or not self._spilled:
            return numpy.frombuffer(self._hashes, dtype=numpy.uint32)[positions]
        self._file.flush()
        with mmap.mmap(self._file.fileno(), 4 * self._spilled, access=mmap.ACCESS_READ) as mapped:
            hashes = numpy.frombuffer(mapped, dtype=numpy.uint32, count=self._spilled)
            result = hashes[positions]  # a copy: nothing points into the mapping once it is closed
            del hashes
        return result

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        for column in (self._groups, self._names_of, self._in_group, self._sizes):
            column.close()

    def __len__(self) -> int:
        return len(self._groups)


class _Spillable:
    """An array that is only appended to, whose values go to an unnamed temporary file past ``budget``
    bytes; ``whole()`` reads them back once, into one array of the right size."""

    def __init__(self, typecode: str, budget: int, spill_dir: Path | None):
        self._tail = array(typecode)
        self._budget, self._spill_dir = max(budget, 1), spill_dir
        self._file: BinaryIO | None = None
        self._spilled = 0
        self._whole: array | None = None

    def append(self, value: int) -> None:
        self._whole = None
        self._tail.append(value)
        if len(self._tail) * self._tail.itemsize > self._budget:
            import tempfile

            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="likhet-", dir=self._spill_dir)
            self._file.seek(0, 2)
            self._tail.tofile(self._file)
            self._spilled += len(self._tail)
            self._tail = array(self._tail.typecode)

    def widen(self, typecode: str) -> None:
        """Hold larger values from now on ("H" to "I"): the values so far are taken back into memory."""
        if self._tail.typecode != typecode:
            values = array(typecode, self.whole())
            self._drop_file()
            self._tail, self._whole = values, None

    def whole(self) -> array:
        if self._file is None:
            return self._tail
        if self._whole is None:
            values = array(self._tail.typecode)
            self._file.seek(0)
            values.fromfile(self._file, self._spilled)
            values.extend(self._tail)
            self._whole = values
        return self._whole

    def close(self) -> None:
        """Remove the file; the values stay readable (in memory: a result's keys are made from them)."""
        if self._file is not None:
            values = self.whole()
            self._drop_file()
            self._tail = values

    def _drop_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file, self._spilled, self._whole = None, 0, None

    def __len__(self) -> int:
        return self._spilled + len(self._tail)


class _Strings:
    """A list of strings kept as one UTF-8 buffer and offsets: some 10 bytes a string instead of 60."""

    def __init__(self):
        self._data = bytearray()
        self._ends = array("Q")

    def append(self, value: str) -> None:
        self._data += value.encode("utf-8")
        self._ends.append(len(self._data))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> str:
        if index < 0:
            index += len(self._ends)
        start = self._ends[index - 1] if index else 0
        return self._data[start : self._ends[index]].decode("utf-8")

    def __iter__(self):
        return map(self.__getitem__, range(len(self._ends)))


class _Column(Sequence[str]):
    """A read-only sequence whose items are made when asked for (a key or a sender per letter)."""

    def __init__(self, get, length: int):
        self._get, self._length = get, length

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._get(i) for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        return self._get(index)

    def __iter__(self):
        return map(self._get, range(self._length))

    def __eq__(self, other):
        return list(self) == list(other)


class _Sparse(Sequence):
    """A column of a large batch's result that has a value for few letters (those at or over the threshold):
    their numbers, sorted, and their values; every other letter has ``default``. Twelve bytes for each
    letter with a value and none for the others, so the result of a million letters stays small."""

    def __init__(self, length: int, numbers: array, values: array, default):
        self._length, self.numbers, self.values, self.default = length, numbers, values, default

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        at = bisect_left(self.numbers, index)
        return self.values[at] if at < len(self.numbers) and self.numbers[at] == index else self.default

    def __iter__(self):
        previous = 0
        for number, value in zip(self.numbers, self.values, strict=True):
            yield from repeat(self.default, number - previous)
            yield value
            previous = number + 1
        yield from repeat(self.default, self._length - previous)

    def __eq__(self, other):
        return list(self) == list(other)

    def items(self):
        """``(number, value)`` of the letters that have a value, in order of number."""
        return zip(self.numbers, self.values, strict=True)


@dataclass
class Result:
    """Each letter's highest similarity to a letter of another group, and the worst pairs.

    Letters are numbered in the order of their keys; ``scores[n]`` is letter n's highest similarity
    and ``partners[n]`` the number of the letter it is most like (-1 for none).
    """

    keys: Sequence[str] = field(default_factory=list)
    senders: Sequence[str] = field(default_factory=list)  # each letter's group
    scores: Sequence[float] = field(default_factory=lambda: array("d"))
    partners: Sequence[int] = field(default_factory=lambda: array("i"))
    pairs: list[tuple[float, str, str]] = field(default_factory=list)
    # Scores from this value up are exact. A large batch compared with a threshold (see ``compare``) knows
    # only the letters at or over it: the others have score 0.0 and no partner here, and mean "under".
    exact_from: float = 0.0

    @property
    def best(self) -> dict[str, tuple[float, str | None]]:
        """Each letter's key: its highest similarity and the key of the letter it is most like."""
        return {key: (score, other) for key, _, score, other in self.rows(by_score=False)}

    def rows(self, by_score: bool = True):
        """Yield ``(key, group, score, other key or None)`` per letter, most similar first (ties by key)."""
        numbers = range(len(self.keys))
        if by_score and len(numbers) > SMALL_BATCH:
            order: Iterable[int] = self._by_score()
        else:
            # A stable sort, reversed, keeps equal scores in key order.
            order = sorted(numbers, key=self.scores.__getitem__, reverse=True) if by_score else numbers
        for number in order:
            partner = self.partners[number]
            yield self.keys[number], self.senders[number], self.scores[number], self.keys[partner] if partner >= 0 else None

    def known(self, score: float) -> bool:
        """Whether ``score`` is a letter's exact highest similarity (not "under ``exact_from``")."""
        return score >= self.exact_from

    def _by_score(self):
        """The letters' numbers by descending score, equal scores in key order (as a stable sort gives).

        The letters with a score are sorted; those without (0.0: in a large batch, all "under") follow in
        key order, found a block at a time, so nothing of the size of the batch is made beside it.
        """
        import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

        if isinstance(self.scores, _Sparse):
            # Only the letters with a score are held: sorted by score (stable: ties stay in key order),
            # then every other letter in key order.
            scored = [(number, score) for number, score in self.scores.items() if score]
            yield from (number for number, _ in sorted(scored, key=lambda item: -item[1]))
            previous = 0
            for number, _ in scored:
                yield from range(previous, number)
                previous = number + 1
            yield from range(previous, len(self.scores))
            return
        scores = numpy.asarray(self.scores, dtype=numpy.float64)
        scored = numpy.flatnonzero(scores)
        yield from map(int, scored[numpy.argsort(-scores[scored], kind="stable")])
        del scored
        block = 1 << 16
        for first in range(0, len(scores), block):
            yield from map(int, numpy.flatnonzero(scores[first : first + block] == 0) + first)

    def histogram(self) -> list[tuple[float, float, int]]:
        """Counts of letters by their highest similarity, in tenths (under ``exact_from``: in the bins
        below it, at 0.0, and to be read as "under")."""
        counts = [0] * (len(BINS) - 1)
        given: Iterable[float]
        if isinstance(self.scores, _Sparse):
            given = [score for _, score in self.scores.items()]
            counts[0] = len(self.scores) - len(given)  # the letters without a score: 0.0
        else:
            given = self.scores
        for score in given:
            index = min(int(score * 10), len(counts) - 1)
            counts[index] += 1
        return [(BINS[i], BINS[i + 1], counts[i]) for i in range(len(counts))]

    def over(self, threshold: float) -> list[str]:
        scored = self.scores.items() if isinstance(self.scores, _Sparse) else enumerate(self.scores)
        return [self.keys[number] for number, score in scored if score > threshold]


# Below this many letters, counting in Python is quicker than importing numpy (a tenth of a second).
SMALL_BATCH = 100
# Up to this many letters, every letter's highest similarity is counted exactly (a few seconds at most);
# over it, with a threshold, only the pairs that can reach the threshold are (see ``_best_over``).
EXACT_UP_TO = 20_000
CHUNK_ROWS = 1 << 16  # rows of candidate pairs or tokens handled at once: memory stays bounded
SMALLEST_PART = 1 << 16  # rows of a partition read at once, at the least (tests make it small)


def compare(items: Fingerprints | list[Item], worst: int = 20, threshold: float | None = None,
            exact_up_to: int | None = None) -> Result:
    """Find each letter's most similar letter in another group, without comparing every pair of texts.

    The hashes of all letters, with the letter each came from, make an inverted index; per letter it
    gives the letters that share each of its hashes, and the shared hashes are counted. numpy counts
    them in C (``_best_numpy``): a batch of 10,000 letters takes a second and a few megabytes; a small
    batch is counted in plain Python (``_best_small``), with the same result. Ties go to the smaller key.

    With a ``threshold`` and more than ``exact_up_to`` letters (default ``EXACT_UP_TO``), counting each
    letter against all would grow with the square of the batch; then only the pairs whose coefficient
    can reach the threshold are found (``_best_over``, in near-linear time and bounded memory) and scored
    exactly. The letters at or over the threshold, their scores and partners are the same; the result's
    ``exact_from`` says that the others are only known to be under it.
    """
    store = items if isinstance(items, Fingerprints) else Fingerprints(items)
    count = len(store)
    if not count:
        return Result()
    # Letters are numbered in key order; ``added[n]`` is where letter n stands in the store.
    added = _key_order(store)
    limit = EXACT_UP_TO if exact_up_to is None else exact_up_to
    exact_from = 0.0
    scores: Sequence[float]
    partners: Sequence[int]
    if threshold is not None and count > limit:
        # The check needs the other direction (each stored letter's number); both are not kept at once.
        number_of = _inverse(added)
        del added
        scores, partners = _best_over(store, number_of, threshold)
        added = array("i", _inverse(number_of).tobytes())
        del number_of
        exact_from = threshold
    else:
        found = _best_small if count < SMALL_BATCH else _best_numpy
        scores, partners = found(store, added)
    keys = _Column(lambda number: store.key(added[number]), count)
    senders = _Column(lambda number: store.group_names[store.groups[added[number]]], count)
    return Result(keys, senders, scores, partners, _worst_pairs(keys, scores, partners, worst), exact_from)


def _key_order(store: Fingerprints) -> array:
    """The stored positions of the letters in the order of their keys (equal keys: in the order added)."""
    count = len(store)
    inside = set(store.in_group)
    if count < SMALL_BATCH or len(inside) != 1 or any("/" in name for name in store.group_names):
        return array("l", sorted(range(count), key=store.key))
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    # Keys "group/name" sort as (group + "/", name) when no group has a "/" of its own: ranks, not strings.
    # Ranks and the order in 4 bytes a letter: the order is kept as long as the result (its keys).
    names = store._names
    name_rank = numpy.empty(len(names), dtype=numpy.int32)
    name_rank[sorted(range(len(names)), key=names.__getitem__)] = numpy.arange(len(names), dtype=numpy.int32)
    by_name = name_rank[numpy.frombuffer(store.names, dtype=_dtype(store.names))]
    if inside == {0}:
        order = numpy.argsort(by_name, kind="stable")
    else:
        groups = store.group_names
        group_rank = numpy.empty(len(groups), dtype=numpy.int32)
        group_rank[sorted(range(len(groups)), key=lambda g: groups[g] + "/")] = numpy.arange(len(groups), dtype=numpy.int32)
        order = numpy.lexsort((by_name, group_rank[numpy.frombuffer(store.groups, dtype=numpy.uint32)]))
    del by_name
    return array("i", order.astype(numpy.int32).tobytes())


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
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    count = len(added)
    added = numpy.frombuffer(added, dtype=numpy.int64 if added.itemsize == 8 else numpy.int32)
    number_of = numpy.empty(count, dtype=numpy.int32)
    number_of[added] = numpy.arange(count, dtype=numpy.int32)
    stored_sizes = numpy.frombuffer(store.sizes, dtype=_dtype(store.sizes))
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
        others = numpy.concatenate([postings[low:high] for low, high in zip(lows, highs, strict=True)])
        shared = numpy.bincount(others, minlength=count)
        candidates = numpy.flatnonzero(shared)
        candidates = candidates[group_of[candidates] != group_of[number]]  # the same signer's own letters are not compared
        if not len(candidates):
            continue
        candidate_scores = 2 * shared[candidates].astype(numpy.float64) / numpy.maximum(sizes[number] + sizes[candidates], 1)
        best = int(numpy.argmax(candidate_scores))  # the first of equal scores: the smallest key
        scores[number], partners[number] = round(float(candidate_scores[best]), 4), int(candidates[best])
    return scores, partners


def _inverse(order):
    """The inverse of a permutation of 0..n-1 (an array or a numpy array), as numpy int32."""
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    if isinstance(order, array):
        order = numpy.frombuffer(order, dtype=numpy.int64 if order.itemsize == 8 else numpy.int32)
    inverse = numpy.empty(len(order), dtype=numpy.int32)
    inverse[order] = numpy.arange(len(order), dtype=numpy.int32)
    return inverse


def _best_over(store: Fingerprints, number_of, threshold: float) -> tuple[_Sparse, _Sparse]:
    """Each letter's highest score and partner, for the letters whose highest score is at least
    ``threshold``; 0.0 and -1 for the others. Exact for those letters, in near-linear time.

    Prefix filtering: order all hashes from the rarest to the most common (ties by value). If two sets
    x and y (|y| ≤ |x|) have Dice(x, y) ≥ t, they share at least α = ⌈t(|x|+|y|)/2⌉ hashes, so they share
    a hash among x's first |x| − ⌈τ|x|⌉ + 1 (τ = t/(2−t): |y| ≥ τ|x|) and y's first |y| − ⌈t|y|⌉ + 1
    (Xiao et al., PPJoin, WWW 2008; Bayardo et al., WWW 2007). So only those short prefixes, made of
    the rarest hashes (a supporter's own words rather than the template's), are joined; hashes whose
    letters all belong to one group are dropped before the join; a match whose places in the two orders
    leave too few hashes to reach α is dropped (PPJoin's positional filter: on made-up supporters, 14
    times fewer candidates at 200,000 letters); each candidate pair's shared hashes are then counted
    exactly. A letter's best pair at or over ``t`` is always a candidate, so its score and partner (ties
    to the smaller key) are the all-pairs ones.

    The work is done in partitions of about ``MEMORY_BUDGET`` bytes (by hash value, then by letter),
    written to a temporary folder beside the store's file, so memory does not grow with the batch.
    """
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    count = len(store)
    # Per letter, what lives through the whole check: the store's own arrays (views, not copies), each
    # stored letter's number in key order (``number_of``) and its start; 8 bytes a letter. The best
    # pairs are kept only for the letters that have one at or over the threshold (``_BestPairs``).
    sizes = numpy.frombuffer(store.sizes, dtype=_dtype(store.sizes))
    group = numpy.frombuffer(store.groups, dtype=numpy.uint32)
    best = _BestPairs(number_of)
    total = int(numpy.sum(sizes, dtype=numpy.int64))
    starts = numpy.zeros(count + 1, dtype=numpy.int32 if total < 1 << 30 else numpy.int64)
    numpy.cumsum(sizes, dtype=starts.dtype, out=starts[1:])
    tau = threshold / (2 - threshold)
    part = max(SMALLEST_PART, MEMORY_BUDGET // 32)  # entries per partition (about 32 bytes each at the peak)
    bits = max(0, (total // part).bit_length())
    import tempfile

    with tempfile.TemporaryDirectory(prefix="likhet-", dir=store.spill_dir) as name:
        folder = Path(name)
        # 1. Each (hash, letter) to the partition of its hash.
        by_hash = _Partitions(folder / "a", 1 << bits)
        for first, last in _letter_ranges(starts, part):
            hashes = store.read(int(starts[first]), int(starts[last] - starts[first]))
            letters = numpy.repeat(numpy.arange(first, last, dtype=numpy.uint32), sizes[first:last])
            by_hash.add(_spread(hashes, bits), hashes, letters)
        # 2. Per hash: how many letters have it, and whether they are all one group's; to letter ranges.
        ranges = list(_letter_ranges(starts, part))
        bounds = numpy.array([first for first, _ in ranges] + [count], dtype=numpy.int64)
        by_letter = _Partitions(folder / "b", len(ranges))
        # A partition holds every row of its hashes, so a hash shared by many letters makes it large: it
        # is read in blocks of ``part`` rows, counted per hash first, then each row labelled.
        for piece in by_hash.partitions(2, part):
            values, often, mixed = _hash_counts(piece, group)
            for hashes, letters in piece.blocks():
                at = numpy.searchsorted(values, hashes)
                where = numpy.searchsorted(bounds, letters, "right") - 1
                by_letter.add(where, letters, often[at], hashes, mixed[at])
        by_hash.remove()
        give_back_free_memory()
        # 3. Per letter range: each letter's hashes from the rarest; its prefixes' mixed hashes, to hash partitions.
        prefixes = _Partitions(folder / "c", 1 << bits)
        for letters, often, hashes, mixed in by_letter.read(4):
            order = numpy.lexsort((hashes, often, letters))
            letters, hashes, mixed = letters[order], hashes[order], mixed[order]
            del order, often
            within = numpy.arange(len(letters), dtype=numpy.int64) - numpy.searchsorted(letters, letters, "left")
            mine = sizes[letters].astype(numpy.float64)
            # ⌈·⌉ taken a hair low, so that rounding can only make a prefix longer (more candidates), never shorter.
            probe = within < mine - numpy.ceil(tau * mine - 1e-9) + 1
            indexed = within < mine - numpy.ceil(threshold * mine - 1e-9) + 1
            del mine
            keep = (probe | indexed) & (mixed == 1)
            letters, hashes = letters[keep], hashes[keep]
            # Bit 0: in the probe prefix; bit 1: in the index prefix; above them, the hash's place in its
            # letter's order (for the positional filter of stage 4).
            flags = probe[keep].astype(numpy.uint32) | (indexed[keep].astype(numpy.uint32) << 1)
            flags |= within[keep].astype(numpy.uint32) << 2
            prefixes.add(_spread(hashes, bits), hashes, letters, flags)
        by_letter.remove()
        give_back_free_memory()
        # 4. Per hash partition: the join of probe prefixes with index prefixes, filtered.
        pairs = _Partitions(folder / "d", 1)
        for piece in prefixes.partitions(3, part):
            # In blocks of ``part`` rows (see stage 2): each block's probes against each block's index rows.
            for hashes, letters, flags in piece.blocks():
                probe = (flags & 1) == 1
                probe_hash, probe_letter, probe_place = hashes[probe], letters[probe], flags[probe] >> 2
                del hashes, letters, flags, probe
                if not len(probe_hash):
                    continue
                for hashes, letters, flags in piece.blocks():
                    indexed = (flags & 2) == 2
                    order = numpy.argsort(hashes[indexed], kind="stable")
                    index_hash, index_letter = hashes[indexed][order], letters[indexed][order]
                    index_place = (flags[indexed] >> 2)[order]
                    del hashes, letters, flags, indexed, order
                    lows = numpy.searchsorted(index_hash, probe_hash, "left")
                    fanout = numpy.searchsorted(index_hash, probe_hash, "right") - lows
                    for first, last in _chunks(fanout):
                        many = fanout[first:last]
                        mine = numpy.repeat(probe_letter[first:last], many)
                        offsets = numpy.arange(int(many.sum()), dtype=numpy.int64) - numpy.repeat(numpy.cumsum(many) - many, many)
                        at = numpy.repeat(lows[first:last], many) + offsets
                        other = index_letter[at]
                        # Letters are indexed from the smallest (by size, then key): a pair is found from its larger letter.
                        mine_size, other_size = sizes[mine].astype(numpy.int64), sizes[other].astype(numpy.int64)
                        fits = (other_size < mine_size) | ((other_size == mine_size) & (number_of[other] < number_of[mine]))
                        fits &= group[other] != group[mine]
                        fits &= other_size >= tau * mine_size - 1e-9
                        # Positional filter (PPJoin): past a shared hash at places i and j of the two orders, at
                        # most min(|x|−1−i, |y|−1−j) more can be shared. A pair at the threshold passes it at
                        # its first shared hash (always in both prefixes), so dropping the others loses no pair.
                        room = numpy.minimum(mine_size - numpy.repeat(probe_place[first:last], many), other_size - index_place[at])
                        fits &= room >= numpy.ceil(threshold * (mine_size + other_size) / 2 - 1e-9)
                        found = _distinct(mine[fits].astype(numpy.uint64) << numpy.uint64(32) | other[fits])
                        pairs.add(numpy.zeros(len(found), dtype=numpy.int64), found)
        prefixes.remove()
        give_back_free_memory()
        # 5. Per batch of candidate pairs: the exact count of shared hashes, and each letter's best pair.
        for (found,) in pairs.read(1, limit=part // 4):
            for larger, smaller in _by_table_size(_distinct(found), sizes, part // 2):
                _score_pairs(store, starts, sizes, larger, smaller, threshold, best)
            del found
            give_back_free_memory()
    del starts, sizes
    return best.result(count)


def _by_table_size(found, sizes, limit: int):
    """Sorted pairs (larger << 32 | smaller) as (larger, smaller) arrays, in runs whose larger letters have
    about ``limit`` hashes in all (at least one letter), so the table of their hashes stays bounded."""
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    larger = (found >> numpy.uint64(32)).astype(numpy.int64)
    smaller = (found & numpy.uint64(0xFFFFFFFF)).astype(numpy.int64)
    firsts = numpy.flatnonzero(numpy.concatenate([[True], larger[1:] != larger[:-1]]))
    weight = numpy.cumsum(sizes[larger[firsts]], dtype=numpy.int64)
    start = 0
    while start < len(firsts):
        base = int(weight[start - 1]) if start else 0
        end = max(int(numpy.searchsorted(weight, base + limit, "right")), start + 1)
        low, high = int(firsts[start]), int(firsts[end]) if end < len(firsts) else len(larger)
        yield larger[low:high], smaller[low:high]
        start = end


def _score_pairs(store: Fingerprints, starts, sizes, larger, smaller, threshold: float, best: _BestPairs) -> None:
    """The exact count of shared hashes of each candidate pair, kept in ``best`` when at the threshold."""
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    table = _hash_table(store, starts, _distinct(larger))
    many = sizes[smaller].astype(numpy.int64)
    shared = numpy.zeros(len(larger), dtype=numpy.int64)
    for first, last in _chunks(many):
        row = numpy.repeat(numpy.arange(first, last, dtype=numpy.int64), many[first:last])
        counts = many[first:last]
        within = numpy.arange(len(row), dtype=numpy.int64) - numpy.repeat(numpy.cumsum(counts) - counts, counts)
        wanted = larger[row].astype(numpy.uint64) << numpy.uint64(32)
        wanted |= _gather(store, starts, smaller[row], within)
        at = numpy.minimum(numpy.searchsorted(table, wanted), len(table) - 1)
        shared[first:last] += numpy.bincount(row[table[at] == wanted] - first, minlength=last - first)
    scores = 2 * shared.astype(numpy.float64) / numpy.maximum(sizes[larger].astype(numpy.int64) + sizes[smaller], 1)
    good = scores >= threshold * (1 - 1e-12)
    best.add(numpy.concatenate([larger[good], smaller[good]]), numpy.concatenate([smaller[good], larger[good]]),
             numpy.concatenate([scores[good], scores[good]]))


def _distinct(values):
    """The distinct values, sorted: ``numpy.unique`` without its options, by sorting (several times
    quicker than numpy 2's hashing for these 64-bit integers, measured on 20,000–300,000 values)."""
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    ordered = numpy.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = numpy.empty(len(ordered), dtype=bool)
    keep[0] = True
    numpy.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _dtype(values: array):
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    return {"H": numpy.uint16, "I": numpy.uint32}[values.typecode]


class _BestPairs:
    """Each letter's best pair found so far: the higher score, and among equal scores the partner with the
    smaller key. Kept only for the letters that have a pair (stored letter, partner, score: 16 bytes
    each), not in one slot per letter; pairs found are merged in when they outnumber those kept."""

    def __init__(self, number_of):
        import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

        self.number_of = number_of  # each stored letter's number in key order
        self.letter = numpy.empty(0, dtype=numpy.uint32)
        self.other = numpy.empty(0, dtype=numpy.uint32)
        self.score = numpy.empty(0, dtype=numpy.float64)
        self._waiting: list[tuple] = []
        self._rows = 0

    def add(self, letter, other, score) -> None:
        import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

        if len(letter):
            self._waiting.append((letter.astype(numpy.uint32), other.astype(numpy.uint32), score))
            self._rows += len(letter)
        if self._rows > max(len(self.letter), CHUNK_ROWS):
            self._merge()

    def _merge(self) -> None:
        import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

        if not self._waiting:
            return
        letter = numpy.concatenate([self.letter, *(batch[0] for batch in self._waiting)])
        other = numpy.concatenate([self.other, *(batch[1] for batch in self._waiting)])
        score = numpy.concatenate([self.score, *(batch[2] for batch in self._waiting)])
        self._waiting, self._rows = [], 0
        order = numpy.lexsort((self.number_of[other], -score, letter))
        letter, other, score = letter[order], other[order], score[order]
        firsts = numpy.flatnonzero(numpy.concatenate([[True], letter[1:] != letter[:-1]]))
        self.letter, self.other, self.score = letter[firsts], other[firsts], score[firsts]

    def result(self, count: int) -> tuple[_Sparse, _Sparse]:
        """The scores (rounded) and partners, by letters' numbers in key order, as sparse columns."""
        import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

        self._merge()
        numbers = self.number_of[self.letter]
        order = numpy.argsort(numbers, kind="stable")
        held = array("i", numbers[order].astype(numpy.int32).tobytes())
        scores = array("d", [round(score, 4) for score in self.score[order].tolist()])
        partners = array("i", self.number_of[self.other[order]].astype(numpy.int32).tobytes())
        return _Sparse(count, held, scores, 0.0), _Sparse(count, held, partners, -1)


def _hash_counts(piece: _Partition, group):
    """Per distinct hash of a partition (sorted): how many letters have it, and 1 where those letters
    belong to more than one group (else 0), both as uint32; counted block by block."""
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    parts = []
    for hashes, letters in piece.blocks():
        groups = group[letters]
        order = numpy.lexsort((groups, hashes))
        hashes, groups = hashes[order], groups[order]
        firsts = numpy.flatnonzero(numpy.concatenate([[True], hashes[1:] != hashes[:-1]]))
        lasts = numpy.append(firsts[1:], len(hashes)) - 1
        parts.append((hashes[firsts], numpy.diff(numpy.append(firsts, len(hashes))), groups[firsts], groups[lasts]))
        del order, hashes, groups
        if len(parts) > 1:
            parts = [_merge_counts(parts)]
    if not parts:
        empty = numpy.empty(0, dtype=numpy.uint32)
        return empty, empty, empty
    values, often, low, high = parts[0]  # merged block by block: one is left
    return values, often.astype(numpy.uint32), (low != high).astype(numpy.uint32)


def _merge_counts(parts):
    """Several blocks' (values, counts, lowest group, highest group) as one, per distinct value."""
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    values = numpy.concatenate([part[0] for part in parts])
    often = numpy.concatenate([part[1] for part in parts])
    low = numpy.concatenate([part[2] for part in parts])
    high = numpy.concatenate([part[3] for part in parts])
    order = numpy.argsort(values, kind="stable")
    values, often, low, high = values[order], often[order], low[order], high[order]
    firsts = numpy.flatnonzero(numpy.concatenate([[True], values[1:] != values[:-1]]))
    return (values[firsts], numpy.add.reduceat(often, firsts), numpy.minimum.reduceat(low, firsts),
            numpy.maximum.reduceat(high, firsts))


def _spread(hashes, bits: int):
    """A hash's partition among 2**bits (CRC32 values kept have four low zero bits: mixed first)."""
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    if not bits:
        return numpy.zeros(len(hashes), dtype=numpy.int64)
    mixed = (hashes.astype(numpy.uint64) * numpy.uint64(2654435761)) & numpy.uint64(0xFFFFFFFF)
    return (mixed >> numpy.uint64(32 - bits)).astype(numpy.int64)


def _letter_ranges(starts, part: int):
    """Ranges of letters (first, last) with about ``part`` hashes each (at least one letter)."""
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    count = len(starts) - 1
    first = 0
    while first < count:
        last = int(numpy.searchsorted(starts, starts[first] + part, "right")) - 1
        last = min(max(last, first + 1), count)
        yield first, last
        first = last


def _hash_table(store: Fingerprints, starts, letters):
    """The hashes of ``letters`` (sorted stored positions) as sorted (letter << 32 | hash) values."""
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    sizes = (starts[letters + 1] - starts[letters]).astype(numpy.int64)
    within = numpy.arange(int(sizes.sum()), dtype=numpy.int64) - numpy.repeat(numpy.cumsum(sizes) - sizes, sizes)
    rows = numpy.repeat(letters, sizes)
    table = rows.astype(numpy.uint64) << numpy.uint64(32)
    table |= _gather(store, starts, rows, within)
    table.sort()
    return table


def _gather(store: Fingerprints, starts, letters, within):
    """The ``within``-th hash of each of ``letters``: from the spilled file through a mapping that
    lives only for this call, so only the pages these letters' hashes are on are read."""
    return store.gather(starts[letters] + within)


class _Partitions:
    """Rows of several uint columns appended to one temporary file per partition, read back one at a time."""

    def __init__(self, folder: Path, count: int):
        folder.mkdir()
        self.paths = [folder / f"{number}.bin" for number in range(count)]
        self.handles = [open(path, "wb") for path in self.paths]

    def add(self, where, *columns) -> None:
        """Append rows; ``where`` gives each row's partition; columns are numpy arrays of one length."""
        import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

        if not len(where):
            return
        dtype = numpy.dtype([(f"c{i}", column.dtype) for i, column in enumerate(columns)])
        rows = numpy.empty(len(where), dtype=dtype)
        for i, column in enumerate(columns):
            rows[f"c{i}"] = column
        self._dtype = dtype
        if len(self.handles) == 1:
            rows.tofile(self.handles[0])
            return
        order = numpy.argsort(where, kind="stable")
        rows, where = rows[order], where[order]
        cuts = numpy.searchsorted(where, numpy.arange(len(self.handles) + 1))
        for number, handle in enumerate(self.handles):
            if cuts[number + 1] > cuts[number]:
                rows[cuts[number] : cuts[number + 1]].tofile(handle)

    def read(self, columns: int, limit: int | None = None):
        """Yield each partition's columns (in pieces of ``limit`` rows when given); empty ones skipped."""
        import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

        for handle in self.handles:
            handle.close()
        dtype = getattr(self, "_dtype", None)
        for path in self.paths:
            if dtype is None or not path.stat().st_size:
                continue
            with open(path, "rb") as source:
                while True:
                    rows = numpy.fromfile(source, dtype=dtype, count=limit if limit else -1)
                    if not len(rows):
                        break
                    yield tuple(numpy.ascontiguousarray(rows[f"c{i}"]) for i in range(columns))
                    if not limit:
                        break

    def partitions(self, columns: int, limit: int):
        """Yield each non-empty partition, to be read in blocks of at most ``limit`` rows (``_Partition``)."""
        for handle in self.handles:
            handle.close()
        dtype = getattr(self, "_dtype", None)
        for path in self.paths:
            if dtype is not None and path.stat().st_size:
                yield _Partition(path, dtype, columns, limit)

    def remove(self) -> None:
        for path in self.paths:
            path.unlink(missing_ok=True)


class _Partition:
    """One partition's file, read in blocks of at most ``limit`` rows as often as asked (one block is kept)."""

    def __init__(self, path: Path, dtype, columns: int, limit: int):
        self.path, self.dtype, self.columns, self.limit = path, dtype, columns, limit
        self.rows = path.stat().st_size // dtype.itemsize
        self._only = None  # the whole partition, when it fits in one block

    def blocks(self):
        import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

        if self.rows <= self.limit:
            if self._only is None:
                self._only = self._columns(numpy.fromfile(self.path, dtype=self.dtype))
            yield self._only
            return
        with open(self.path, "rb") as source:
            while True:
                rows = numpy.fromfile(source, dtype=self.dtype, count=self.limit)
                if not len(rows):
                    break
                yield self._columns(rows)
                del rows

    def _columns(self, rows) -> tuple:
        import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

        return tuple(numpy.ascontiguousarray(rows[f"c{i}"]) for i in range(self.columns))


def _chunks(counts):
    """Split ``counts`` (rows each item expands to) into ranges of items of about ``CHUNK_ROWS`` rows."""
    import numpy  # numpy takes about 90 ms to import: only when letters are compared, never at start-up

    ends = numpy.cumsum(counts)
    first = 0
    while first < len(counts):
        base = int(ends[first - 1]) if first else 0
        last = int(numpy.searchsorted(ends, base + CHUNK_ROWS, "right"))
        last = max(last, first + 1)
        yield first, last
        first = last


def _worst_pairs(keys: Sequence[str], scores, partners, worst: int) -> list[tuple[float, str, str]]:
    """The ``worst`` most similar pairs, each once, by score and then by key."""
    import heapq

    def pairs():
        for number, partner in partners.items() if isinstance(partners, _Sparse) else enumerate(partners):
            # Two letters most like each other are one pair: counted from the first of them only.
            if partner >= 0 and not (partner < number and partners[partner] == number):
                yield -scores[number], min(number, partner), max(number, partner)

    return [(-score, keys[first], keys[second]) for score, first, second in heapq.nsmallest(worst, pairs())]
