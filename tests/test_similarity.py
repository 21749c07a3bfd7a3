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
