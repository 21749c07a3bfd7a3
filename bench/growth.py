"""The growth curve of supporters' letters: 1,000 to 100,000 supporters, each size in a fresh process.

    python bench/growth.py 1000 10000 100000 --out bench/out --results bench/out/growth.jsonl

For each size: a copy of the shipped campaign with the 169 made-up representatives and N made-up
supporters (tests/supporters_data.py), then ``toolkit``'s real path in a fresh process
(``bench/run.py --ours``: validate the campaign, read supporters.csv as a stream, write every letter,
check similarity, write the overview). Reported per size: letters, seconds of the writing step and of
the whole process, milliseconds per letter, the similarity check's seconds, and the peak PSS of the
process tree (the process and all its workers, from /proc/<pid>/smaps_rollup, sampled every 0.2 s:
PSS counts pages shared between the parent and forked workers once, not once per process). Each size's
result is appended to ``--results`` as one JSON line as soon as it is measured, so a run cut short
keeps what it measured. The output folders are removed after the last size: deleting a
million files just before the next size is timed would make that size pay for it (see run.set_aside).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        found.setdefault(int(fields[1]), []).append(int(entry))
    return found


def tree_pss_kib(root: int, counted: list | None = None) -> int:
    """The PSS (kB) of ``root`` and every process below it (their pids appended to ``counted``)."""
    children = _children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if counted is not None:
            counted.append(pid)
        todo.extend(children.get(pid, ()))
        total += _own_pss(pid)
    return total


def run_sampled(command: list[str], interval: float = 0.2, detail: bool = False) -> dict:
    """Run ``command``; its JSON result with its wall time and the peak PSS of its process tree (MiB).

    With ``detail``, also each process's own peak PSS and, every 2 s, the parent's and the tree's PSS.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, PYTHONPATH=str(ROOT)))
    peak = 0
    # Apart: while worker processes run (writing) and while the parent is alone (reading the file,
    # the similarity check and the overview), to see which step sets the peak.
    alone = with_workers = 0
    own: dict[int, int] = {}  # with ``detail``: each process's own peak PSS
    timeline: list[tuple] = []  # with ``detail``: every 2 s, (seconds, the parent's PSS, the tree's PSS, phase)
    while process.poll() is None:
        counted: list[int] = []
        pss = tree_pss_kib(process.pid, counted)
        peak = max(peak, pss)
        phase = "with_workers" if len(counted) > 2 else "alone"  # the parent and a resource tracker: more means workers
        if phase == "with_workers":
            with_workers = max(with_workers, pss)
        else:
            alone = max(alone, pss)
        if detail:
            if not timeline or time.perf_counter() - timeline[-1][0] - started >= 2:
                timeline.append((time.perf_counter() - started, _own_pss(process.pid) / 1024, pss / 1024, phase))
            for pid in counted:
                own[pid] = max(own.get(pid, 0), _own_pss(pid))
        time.sleep(interval)
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed (exit {process.returncode}): {err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    result["peak_pss_mib"] = peak / 1024
    result["peak_pss_with_workers_mib"], result["peak_pss_parent_alone_mib"] = with_workers / 1024, alone / 1024
    if detail:
        result["own_peak_pss_mib"] = {str(pid): round(kib / 1024, 1) for pid, kib in own.items()}
        result["timeline"] = [(round(t, 1), round(own, 1), round(tree, 1), phase) for t, own, tree, phase in timeline]
    return result


def _own_pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def prepare(folder: Path, supporters: int) -> Path:
    from supporters_bench import _campaign

    campaign_dir = folder / "kampanje"
    _campaign(campaign_dir, supporters)
    return campaign_dir


def measure(supporters: int, out: Path, workers: int | None = None, mode: str = "filer", results: Path | None = None,
            detail: bool = False) -> dict:
    """One size in a fresh process; its folder is left for ``remove_left`` (see run.set_aside for why)."""
    from run import kept_until_the_end

    out.mkdir(parents=True, exist_ok=True)
    tmp = kept_until_the_end(prefix=f"growth-{supporters}-", dir=out)
    campaign_dir = prepare(Path(tmp), supporters)
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--ours", str(campaign_dir),
               str(workers or 0), mode]
    load_before = os.getloadavg()
    result = run_sampled(command, detail=detail)
    result.update(supporters=supporters, out=str(out), mode=mode, load=[load_before[0], os.getloadavg()[0]],
                  ms_per_letter=1000 * result["seconds"] / result["letters"])
    if results:  # before the (slow) removal of a million files
        with open(results, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(result) + "\n")
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=0, help="0: as the toolkit chooses (the machine's cores)")
    parser.add_argument("--mode", default="filer", choices=["filer", "zip", "eml"])
    parser.add_argument("--detail", action="store_true",
                        help="also each process's own peak PSS and a timeline of the parent's and the tree's PSS")
    args = parser.parse_args(argv)
    from run import remove_left

    try:
        for size in args.sizes:
            _one_size(size, args)
    finally:
        remove_left()


def _one_size(size: int, args: argparse.Namespace) -> None:
    result = measure(size, args.out.resolve(), args.workers, args.mode, args.results, args.detail)
    print(f"{size:>7,} underskrivere, {result['letters']:>8,} brev: {result['seconds']:7.1f} s "
          f"({result['ms_per_letter']:.2f} ms/brev), likhet {result['similarity_seconds']:.1f} s, "
          f"PSS-topp {result['peak_pss_mib']:.0f} MiB (med arbeidsprosesser {result['peak_pss_with_workers_mib']:.0f}, "
          f"uten {result['peak_pss_parent_alone_mib']:.0f}), last {result['load'][0]:.1f}→{result['load'][1]:.1f}", flush=True)


if __name__ == "__main__":
    main()
