"""Memory and speed of supporters' letters: N made-up supporters writing to 169 made-up representatives.

The run writes into a temporary copy of the shipped campaign and deletes it afterwards. It reports the
time and the process's peak resident size (getrusage); with --tracemalloc also the peak of Python's own
allocations during the run. Run one size per process, since the peak resident size is the process's.

    python bench/supporters_bench.py 3000
    python bench/supporters_bench.py 300 --tracemalloc

``measure(count)`` returns the figures for use from another script.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import stortinget_data  # noqa: E402 - made-up Storting data written for the tests
from conftest import copy_campaign  # noqa: E402
from helpers import write_rows  # noqa: E402
from supporters_data import supporter_rows  # noqa: E402

from toolkit.core.errors import Problems  # noqa: E402
from toolkit.letters.supporters import load_supporters, write_supporter_letters  # noqa: E402
from toolkit.recipients.merge import plan_import, read_existing, write_recipients  # noqa: E402
from toolkit.recipients.stortinget import parse_roster  # noqa: E402
from toolkit.validate import check_campaign  # noqa: E402

WHEN = date(2026, 11, 25)


def _campaign(folder: Path, count: int):
    copy_campaign(folder)
    problems = Problems()
    roster = parse_roster(stortinget_data.to_xml(stortinget_data.people()), "svar", problems)
    header, rows, style = read_existing(folder / "recipients.csv", problems)
    write_recipients(folder / "recipients.csv", plan_import(header, rows, roster, WHEN), style, remove=False)
    write_rows(folder / "supporters.csv", supporter_rows(count))
    campaign, problems = check_campaign(folder, WHEN)
    supporters = load_supporters(folder / "supporters.csv", campaign, problems)
    assert not problems.errors, problems.errors[:3]
    return campaign, supporters


def measure(count: int, trace: bool = False) -> dict:
    """Write the letters of ``count`` supporters once; return letters, seconds and memory figures.

    With ``trace`` the peak of Python's allocations during the run is measured too (tracemalloc makes
    the run about twice as slow, so its seconds are not comparable).
    """
    with tempfile.TemporaryDirectory(prefix="supporters-bench-") as tmp:
        campaign, supporters = _campaign(Path(tmp), count)
        if trace:
            tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        report = write_supporter_letters(campaign, supporters, WHEN)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] - base if trace else None
        tracemalloc.stop()
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "supporters": count,
        "letters": report.letters,
        "seconds": seconds,
        "letters_per_second": report.letters / seconds,
        "tracemalloc_peak_mib": None if peak is None else peak / 2**20,
        "max_rss_mib": rss_kib / 1024,
    }


if __name__ == "__main__":
    arguments = sys.argv[1:]
    trace = "--tracemalloc" in arguments
    count = next((int(a) for a in arguments if a.isdigit()), 3000)
    figures = measure(count, trace)
    traced = f"; tracemalloc-topp {figures['tracemalloc_peak_mib']:.1f} MiB" if trace else ""
    print(
        f"{figures['supporters']} underskrivere, {figures['letters']} brev: {figures['seconds']:.1f} s "
        f"({figures['letters_per_second']:.0f} brev/s){traced}; største RSS for prosessen {figures['max_rss_mib']:.0f} MiB"
    )
