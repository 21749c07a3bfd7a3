"""The similarity check on many letters: the near-linear check against the all-pairs count.

    python bench/check_bench.py 100000 --results bench/out/check.jsonl

Renders the letters of as many made-up supporters as give about N letters (tests/supporters_data.py,
169 made-up MPs; every 50th supporter copies the paragraph of the one before, and every 50th from the
25th adds one sentence to it: known near-copies), takes their fingerprints as `toolkit letters
--supporters` does, and then times, in this one process: ``compare(..., threshold)`` the way a large
batch is checked (prefix filtering, exact scores for the candidate pairs) and, unless --no-exact, the
all-pairs count (``_best_numpy``, each letter against all). It checks that both find the same letters
over the threshold, with the same scores and partners, and appends one JSON line to --results.
With --memory it also measures, with tracemalloc (which sees numpy's arrays too), the peak memory the
supporters' run adds at its similarity step: the check and the report file (``check_similarity`` and
``write_report``), in MiB and in bytes per letter.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("letters", type=int)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--no-exact", action="store_true")
    parser.add_argument("--memory", action="store_true", help="peak memory of the check and its report (tracemalloc)")
    args = parser.parse_args(argv)

    from helpers import write_rows
    from supporters_bench import WHEN, _campaign
    from supporters_data import supporter_rows

    from toolkit.letters.pack import letter_fingerprint
    from toolkit.letters.similarity import Fingerprints, compare
    from toolkit.letters.supporters import load_supporters, prepare_run, supporter_letters
    from toolkit.validate import check_campaign

    supporters = int(args.letters / 6.4) + 20  # a quarter are drafts (no e-mail, no fingerprint); stops at N letters
    rows = supporter_rows(supporters)
    copies = 0
    for number in range(1, supporters):
        if not rows[number]["personal_paragraph"] or not rows[number - 1]["personal_paragraph"]:
            continue
        if number % 50 == 0:
            rows[number]["personal_paragraph"] = rows[number - 1]["personal_paragraph"]
            copies += 1
        elif number % 50 == 25:
            rows[number]["personal_paragraph"] = rows[number - 1]["personal_paragraph"] + " Det gjelder også der jeg bor."
            copies += 1
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="check-bench-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        folder = Path(tmp)
        campaign, _ = _campaign(folder, 1)
        write_rows(folder / "supporters.csv", rows)
        del rows
        campaign, problems = check_campaign(folder, WHEN)
        source = load_supporters(folder / "supporters.csv", campaign, problems)
        run = prepare_run(campaign, source, WHEN)
        started = time.perf_counter()
        store = Fingerprints(contiguous_groups=True, spill_dir=folder)
        for supporter, variant in source.with_variants():
            if supporter.personal_paragraph:
                for recipient, letter in supporter_letters(run, supporter, variant):
                    store.add(letter_fingerprint(letter, group=supporter.id, key=f"{supporter.id}/{recipient.id}"))
                    if len(store) >= args.letters:
                        break
            if len(store) >= args.letters:
                break
        rendered = time.perf_counter() - started
        threshold = campaign.similarity_threshold
        started = time.perf_counter()
        fast = compare(store, threshold=threshold, exact_up_to=0)
        fast_seconds = time.perf_counter() - started
        result = {"letters": len(store), "threshold": threshold, "planted_copies": copies, "render_seconds": rendered,
                  "fast_seconds": fast_seconds, "over": len(fast.over(threshold))}
        if args.memory:
            result.update(stage_memory(store, threshold, folder))
        if not args.no_exact:
            started = time.perf_counter()
            exact = compare(store)  # no threshold: every letter against all, as before
            result["exact_seconds"] = time.perf_counter() - started
            known = {key: value for key, value in exact.best.items() if value[0] >= threshold}
            found = {key: value for key, value in fast.best.items() if value[0] >= threshold}
            result["same_over"] = exact.over(threshold) == fast.over(threshold)
            result["same_scores_and_partners"] = known == found
            result["letters_at_or_over_threshold"] = len(known)
        store.close()
    load.append(os.getloadavg()[0])
    result["load"] = load
    with open(args.results, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(result) + "\n")
    print(json.dumps(result))


def stage_memory(store, threshold: float, folder: Path) -> dict:
    """The peak memory that the supporters' similarity step adds to the run (traced, numpy included)."""
    import tracemalloc

    from toolkit.letters.check import check_similarity, write_report

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    report = check_similarity(store, threshold)
    check_peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.reset_peak()
    write_report(report, folder / "likhet.csv", senders=True)
    report_peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del report
    count = max(len(store), 1)
    return {"check_peak_mib": round(check_peak / 2**20, 1), "check_bytes_per_letter": round(check_peak / count, 1),
            "report_peak_mib": round(report_peak / 2**20, 1), "report_bytes_per_letter": round(report_peak / count, 1)}


if __name__ == "__main__":
    main()
