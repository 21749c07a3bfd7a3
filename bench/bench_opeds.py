"""How long the op-eds take: validating the pieces, planning, and writing the pack.

Run from the repository root:

    /work/venv/bin/python bench/bench_opeds.py

It copies the shipped campaign to a temporary folder (the repository is not touched), then times
`check_campaign` (which renders every piece in both lengths), the planner on the shipped data and on
a large synthetic set (many outlets and pieces, where the search has most to do), and the whole
`write_oped_pack`. Times are the best of several runs, in milliseconds.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolkit.opeds.outlets import Limit  # noqa: E402
from toolkit.opeds.pack import write_oped_pack  # noqa: E402
from toolkit.opeds.pieces import OpedSetup, PieceSpec  # noqa: E402
from toolkit.opeds.plan import Planner  # noqa: E402
from toolkit.validate import check_campaign  # noqa: E402

TODAY = date(2026, 11, 25)


def best_of(runs: int, function):
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times) * 1000, result


def copy_campaign(target: Path) -> Path:
    target.mkdir(parents=True)
    for path in list(ROOT.glob("*.csv")) + list(ROOT.glob("*.yaml")):
        if path.name != "opeds-status.csv":
            shutil.copy(path, target / path.name)
    shutil.copytree(ROOT / "letter_templates", target / "letter_templates")
    return target


def synthetic(setup: OpedSetup, outlets: int, pieces: int) -> OpedSetup:
    """Many national outlets and pieces built from the shipped ones, all lengths within the limits."""
    template = next(o for o in setup.outlets if o.id == "nationen")
    many_outlets = tuple(
        replace(template, id=f"avis-{i}", name=f"Avis {i}", limits={"kronikk": Limit(None, 6000), "debatt": Limit(None, 3500)})
        for i in range(outlets)
    )
    base = setup.pieces[3]
    many_pieces = tuple(PieceSpec(f"innlegg-{i}", "", base.send_from, base.send_until, ("nb",)) for i in range(pieces))
    bigger = OpedSetup(setup.wait_days, many_pieces, many_outlets, setup.signatories)
    for spec in many_pieces:
        for version in ("kronikk", "debatt"):
            bigger.lengths[(spec.id, version, "nb")] = setup.lengths[(base.id, version, "nb")]
    return bigger


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = copy_campaign(Path(tmp) / "kampanje")
        ms, (campaign, problems) = best_of(5, lambda: check_campaign(folder, TODAY))
        assert not problems.errors, problems.errors
        pieces = sum(1 for _ in campaign.opeds.lengths)
        print(f"validate (whole campaign, {pieces} op-ed versions rendered): {ms:.0f} ms")
        period = campaign.days
        for label, setup in (
            ("shipped data (6 outlets with known rules, 8 pieces)", campaign.opeds),
            ("synthetic: 6 outlets, 2 pieces (days that cannot be covered)", synthetic(campaign.opeds, 6, 2)),
            ("synthetic: 40 outlets, 60 pieces", synthetic(campaign.opeds, 40, 60)),
        ):
            def plan(setup=setup):
                planner = Planner(setup, TODAY, period)
                return planner, planner.plan()

            ms, (planner, result) = best_of(5, plan)
            covered = len(result.days) - len(result.uncovered)
            print(f"plan, {label}: {ms:.1f} ms, {planner.nodes} search nodes, {covered}/{len(result.days)} days covered"
                  f"{'' if result.exhaustive else ' (node limit reached)'}")
        ms, report = best_of(3, lambda: write_oped_pack(campaign, TODAY))
        print(f"write_oped_pack (plan, {report.documents} DOCX and text copies, plan.csv, status file): {ms:.0f} ms")


if __name__ == "__main__":
    main()
