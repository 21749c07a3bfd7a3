"""The similarity check separates near-identical letters from letters people wrote themselves."""

from __future__ import annotations

import random
from array import array

from toolkit.core.markup import parse
from toolkit.letters.similarity import Fingerprints, Item, body_text, compare, dice, fingerprint

WORDS = (
    "kvinner jenter menneskehandel utnyttelse hjelp trygghet politiet skolen arbeid helse familie "
    "nabolaget bussen byen bygda fjorden vinteren sommeren legevakten kommunen venninne søster mor "
    "datter lærer sykepleier frivillig krisesenter telefon penger gjeld pass løfte jobb reise "
    "flyktning grense språk tillit frykt håp rettighet lov dom straff opphold bolig framtid"
).split()
TEMPLATE = (
    "::Letterhead\nOrganisasjonen\n\n# Fem krav\n\nKjære {name}\n\n"
    "Vi skriver til deg i forbindelse med kampanjen 16 dager mot vold mot kvinner, som i år handler om "
    "menneskehandel. Kvinner og jenter utgjør de fleste ofrene, og mange blir aldri identifisert.\n\n"
    "## 2. Identifiser ofrene\n\n{body}\n\n**Vårt krav:** En nasjonal identifiseringsmekanisme.\n\n"
    "::Closing\nMed vennlig hilsen\n\n::Signature\n{name}\n"
)


def personal(rng: random.Random, sentences: int) -> str:
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 14))).capitalize() + "."
        for _ in range(sentences)
    )


def letter(name: str, body: str) -> frozenset[int]:
    return fingerprint(body_text(parse(TEMPLATE.format(name=name, body=body))))


def test_body_text_drops_salutation_titles_and_signatures():
    text = body_text(parse(TEMPLATE.format(name="Åse Ås", body="Min egen tekst.")))
    assert "Kjære" not in text and "Åse" not in text
    assert "Vårt krav" not in text and "Identifiser ofrene" not in text
    assert "Min egen tekst." in text and "Med vennlig hilsen" not in text


def test_fingerprint_ignores_case_punctuation_and_spacing():
    text = personal(random.Random(1), 20)
    assert fingerprint(text) == fingerprint(text.upper().replace(" ", "  ").replace(".", "!"))
    assert dice(fingerprint(text), fingerprint(text)) == 1.0
    assert dice(frozenset(), fingerprint(text)) == 0.0


def test_check_separates_known_duplicates_from_unique_letters():
    rng = random.Random(2026)
    shared = personal(rng, 25)
    items = []
    # Twelve supporters who sent the campaign text unchanged: identical apart from their names.
    for number in range(12):
        items.append(Item(f"kopi-{number}", f"kopi-{number}", letter(f"Navn {number}", shared)))
    # Three who changed one sentence at the end: still near-identical.
    for number in range(3):
        items.append(Item(f"nesten-{number}", f"nesten-{number}", letter("X", shared + " " + personal(rng, 1))))
    # Twenty who wrote their own text.
    for number in range(20):
        items.append(Item(f"egen-{number}", f"egen-{number}", letter("Y", personal(rng, 25))))
    result = compare(items)
    copies = [k for k in result.best if not k.startswith("egen")]
    assert all(result.best[k][0] >= 0.8 for k in copies), {k: result.best[k] for k in copies}
    assert all(result.best[f"egen-{n}"][0] < 0.3 for n in range(20)), result.best
    assert set(result.over(0.5)) == set(copies)
    worst = result.pairs[0]
    assert worst[0] == 1.0 and worst[1].startswith("kopi")
    histogram = result.histogram()
    assert sum(count for _, _, count in histogram) == len(items)
    assert histogram[-1][2] == 15 - sum(1 for k in copies if result.best[k][0] < 0.9)


def test_letters_in_the_same_group_are_not_compared():
    text = personal(random.Random(3), 25)
    same = [Item("a-1", "a", letter("A", text)), Item("a-2", "a", letter("A", text))]
    result = compare(same)
    assert result.best == {"a-1": (0.0, None), "a-2": (0.0, None)}
    result = compare(same + [Item("b-1", "b", letter("B", text))])
    assert result.best["a-1"] == (1.0, "b-1") and result.best["b-1"][0] == 1.0


def test_check_command_reports_every_letter(campaign_dir):
    import csv
    import io

    from helpers import run

    result = run("check", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert "Likhet (organisasjonens brev)" in result.output
    report = (campaign_dir / "ut" / "likhet-brev.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(report), delimiter=";"))
    # One row per letter the pack writes: one per inbox, to the recipients that own a demand.
    from toolkit.letters.render import plan_letters
    from toolkit.validate import check_campaign

    campaign, _ = check_campaign(campaign_dir)
    assert len(rows) == len(plan_letters(campaign).letters)
    scores = [float(row["høyeste likhet"]) for row in rows]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    # Bodies that own no demand get no copy of a summary letter, so no two letters are alike.
    assert 0 < scores[0] < 0.9


def test_small_batches_counted_in_python_agree_with_numpy():
    from toolkit.letters import similarity
    rng = random.Random(8)
    for _ in range(40):
        pool = [rng.randrange(1 << 32) for _ in range(rng.randint(1, 30))]
        store = Fingerprints(
            Item(f"brev-{rng.randrange(60):02}-{n}", f"g{rng.randrange(4)}",
                 array("I", sorted(set(rng.sample(pool, rng.randint(0, len(pool)))))))
            for n in range(rng.randint(1, 25))
        )
        added = array("l", sorted(range(len(store)), key=store.keys.__getitem__))
        assert similarity._best_small(store, added) == similarity._best_numpy(store, added)


def every_pair(items: list[Item], worst: int = 20):
    """The check's definition, pair by pair: each letter's best Dice score against other groups (ties to the
    smaller key), rounded to four places, and the distinct best pairs by score and then by key."""
    ordered = sorted(items, key=lambda item: item.key)
    best, pairs = {}, {}
    for item in ordered:
        found = (0.0, None)
        for other in ordered:
            if other.group != item.group:
                score = dice(frozenset(item.hashes), frozenset(other.hashes))
                if score > found[0]:
                    found = (score, other.key)
        best[item.key] = (round(found[0], 4), found[1])
        if found[1]:
            pairs[tuple(sorted((item.key, found[1])))] = round(found[0], 4)
    ranked = sorted(((score, a, b) for (a, b), score in pairs.items()), key=lambda p: (-p[0], p[1], p[2]))
    return best, ranked[:worst]


def test_compare_finds_what_comparing_every_pair_finds():
    rng = random.Random(16)
    sentences = [personal(rng, 1) for _ in range(30)]
    items = []
    for number in range(160):
        # Letters built from a small stock of sentences share many hashes, with ties among them.
        body = " ".join(rng.sample(sentences, rng.randint(0, 6)))
        group = f"u-{number // 3:03d}"  # three letters per signer, as a supporter writes to three MPs
        items.append(Item(f"{group}/mp-{rng.randint(0, 999):03d}-{number}", group, fingerprint(body)))
    rng.shuffle(items)
    best, pairs = every_pair(items)
    scores = [score for score, _ in best.values()]
    assert sum(score > 0.5 for score in scores) > 20 and 0.0 in scores and sum(0 < score < 0.5 for score in scores) > 20
    packed = Fingerprints()
    for item in items:
        packed.add(Item(item.key, item.group, array("I", sorted(item.hashes))))
    for result in (compare(items), compare(packed)):
        assert result.best == best and list(result.best) == sorted(best)
        assert result.pairs == pairs
        assert result.over(0.5) == [key for key in sorted(best) if best[key][0] > 0.5]
        rows = list(result.rows())
        assert [row[0] for row in rows] == sorted(best, key=lambda key: (-best[key][0], key))
        assert all(best[key] == (score, other) and key.startswith(group) for key, group, score, other in rows)


def labelled_batch(rng: random.Random, supporters: int = 150):
    """Letters as a supporters' run makes them: a shared template in a few variants, each supporter's own
    paragraph in each of their letters, and known near-copies among them (the labels)."""
    variants = [[personal(rng, 1) for _ in range(2)] for _ in range(4)]
    own = {}
    items, copies = [], set()
    for number in range(supporters):
        group = f"u-{number:04d}"
        paragraph = personal(rng, rng.randint(5, 9))
        if number % 10 == 3:  # copied another supporter's paragraph word for word
            paragraph = own[f"u-{number - 2:04d}"]
            copies.update({group, f"u-{number - 2:04d}"})
        elif number % 10 == 6:  # changed one sentence of another's
            paragraph = own[f"u-{number - 1:04d}"] + " " + personal(rng, 1)
            copies.update({group, f"u-{number - 1:04d}"})
        own[group] = paragraph
        for mp in rng.sample(range(40), rng.randint(1, 6)):
            template = variants[(number + mp) % len(variants)]
            body = " ".join([template[0], paragraph, *template[1:]])
            items.append(Item(f"{group}/mp-{mp:03d}", group, array("I", sorted(fingerprint(body)))))
    return items, copies


def same_over(exact, fast, threshold: float) -> None:
    """The fast result agrees with the all-pairs one on every letter at or over the threshold."""
    known = {key: value for key, value in exact.best.items() if value[0] >= threshold}
    assert {key: value for key, value in fast.best.items() if value[0] >= threshold} == known
    assert fast.over(threshold) == exact.over(threshold)
    assert all(value == (0.0, None) for key, value in fast.best.items() if key not in known)
    assert fast.exact_from == threshold and exact.exact_from == 0.0
    assert fast.pairs == [pair for pair in exact.pairs if pair[0] >= threshold][: len(fast.pairs)]


def test_large_batches_find_the_same_letters_over_the_threshold_as_comparing_all():
    items, copies = labelled_batch(random.Random(17))
    exact = compare(items)
    over = {key.split("/")[0] for key in exact.over(0.5)}
    assert over == copies  # the labels: copies and near-copies, and nobody else
    for threshold in (0.3, 0.5, 0.8):
        fast = compare(items, threshold=threshold, exact_up_to=0)
        same_over(exact, fast, threshold)
        assert compare(list(reversed(items)), threshold=threshold, exact_up_to=0).best == fast.best  # order of adding
    # Random text with ties and many pairs near the threshold.
    rng = random.Random(18)
    for _ in range(15):
        sentences = [personal(rng, 1) for _ in range(25)]
        batch = []
        for number in range(240):
            body = " ".join(rng.sample(sentences, rng.randint(0, 7)))
            group = f"g-{number // 3:03d}"
            batch.append(Item(f"{group}/mp-{rng.randint(0, 99):02d}-{number}", group, array("I", sorted(fingerprint(body)))))
        exact = compare(batch)
        for threshold in (0.25, 0.5, 0.7):
            same_over(exact, compare(batch, threshold=threshold, exact_up_to=0), threshold)


def test_large_batches_spill_to_disk_and_compare_in_partitions(monkeypatch, tmp_path):
    from toolkit.letters import similarity

    items, _ = labelled_batch(random.Random(19), supporters=300)
    expected = compare(items, threshold=0.5, exact_up_to=0)
    monkeypatch.setattr(similarity, "MEMORY_BUDGET", 1 << 12)  # partitions of the smallest size: many of them
    store = Fingerprints(items, budget=1 << 10, spill_dir=tmp_path)
    assert store.spilled and store.hashes == Fingerprints(items).hashes
    result = compare(store, threshold=0.5, exact_up_to=0)
    assert result.best == expected.best and result.pairs == expected.pairs
    assert compare(store).best == compare(items).best  # the all-pairs count reads the spilled hashes too
    # Partitions read in blocks of 50 rows: a hash shared by many letters (the template's) fills one
    # partition with many blocks, which are counted and joined block by block with the same result.
    monkeypatch.setattr(similarity, "SMALLEST_PART", 50)
    calls = []
    blocks = similarity._Partition.blocks
    monkeypatch.setattr(similarity._Partition, "blocks", lambda piece: calls.append(piece.rows > piece.limit) or blocks(piece))
    result = compare(store, threshold=0.5, exact_up_to=0)
    assert result.best == expected.best and result.pairs == expected.pairs
    assert sum(calls) > 10  # many partitions were too large for one block
    store.close()
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_report_of_a_large_batch_says_under_the_threshold(tmp_path, monkeypatch):
    import csv
    import io

    from toolkit.letters import similarity
    from toolkit.letters.check import check_similarity, write_report

    items, copies = labelled_batch(random.Random(20))
    monkeypatch.setattr(similarity, "EXACT_UP_TO", 10)
    report = check_similarity(items, 0.5)
    write_report(report, tmp_path / "likhet.csv", senders=True)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "likhet.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert len(rows) == len(items)
    over = [row for row in rows if row["over grensen"] == "ja"]
    assert {row["avsender"] for row in over} == copies and all(float(row["høyeste likhet"]) > 0.5 for row in over)
    assert all(row["høyeste likhet"] == "under 0.50" and not row["mest lik"] for row in rows if row not in over)
    lines = report.summary_lines("test")
    assert any(line.startswith("  under 0.50:") for line in lines)


def test_a_letters_column_spills_to_a_file_and_reads_back_whole_after_widening(tmp_path):
    from toolkit.letters.similarity import _Spillable

    column = _Spillable("H", 64, tmp_path)  # 32 values of two bytes in memory, the rest in the file
    values = list(range(100))
    for value in values:
        column.append(value)
    assert len(column) == 100 and list(column.whole()) == values
    column.widen("I")  # a value over 65,535 comes: the earlier ones are taken back and widened
    for value in (70_000, 5, 1 << 31):
        column.append(value)
        values.append(value)
    for value in range(200):
        column.append(value)
        values.append(value)
    whole = column.whole()
    assert whole.typecode == "I" and list(whole) == values and len(column) == len(values)
    column.close()
    assert list(column.whole()) == values  # still readable: a result's keys are made from the columns
    assert list(tmp_path.iterdir()) == []  # unnamed temporary files: nothing left behind
