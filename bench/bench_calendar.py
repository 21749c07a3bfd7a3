"""Time the post calendar on the shipped campaign: planning and counting, and writing every export.

Run from the repository root:  python bench/bench_calendar.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import copy_campaign  # noqa: E402

from toolkit.core.errors import Problems  # noqa: E402
from toolkit.social.exports import write_calendar  # noqa: E402
from toolkit.social.posts import load_posts  # noqa: E402
from toolkit.validate import check_campaign  # noqa: E402


def best_of(runs: int, function) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = copy_campaign(Path(tmp) / "kampanje")
        campaign, problems = check_campaign(folder, date(2026, 11, 20))
        assert not problems.errors, problems.errors
        posts = len(campaign.calendar.posts)
        plan = best_of(5, lambda: load_posts(campaign, Problems()))
        write = best_of(5, lambda: write_calendar(campaign, campaign.calendar))
        print(f"{posts} posts on {len(campaign.calendar.enabled)} platforms")
        print(f"read posts.yaml, plan and count: {plan * 1000:.0f} ms (best of 5)")
        print(f"write ics, csv, bulk files, page: {write * 1000:.0f} ms (best of 5)")


if __name__ == "__main__":
    main()
