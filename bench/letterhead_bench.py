"""The DOCX writer on the organisation's letterhead, against plain letters and against docxtpl.

    python bench/letterhead_bench.py                       # 10,000 letters, docxtpl on 500 a round, extrapolated
    python bench/letterhead_bench.py --letters 1000 --peer-limit 1000

The same letters (the supporters' letters of bench/run.py, rendered once into JSON lines) are written
as DOCX files, each tool in a fresh process that does nothing else, one process (one core):

- toolkit, plain: ``build_docx`` per letter on the toolkit's own base document;
- toolkit, letterhead: ``build_docx`` on docs/examples/make_letterhead.py's letterhead (logo, headers
  and footers for the first and following pages); the letterhead is read inside the timed loop;
- docxtpl: its template made on the same letterhead (bench/peers.py: template loaded once, strict and
  escaping Jinja), so it writes the same headers, footers and logo.

Only the writing loop is timed (reading the JSON line, building the file, writing it). The files go
to a tmpfs (/dev/shm) when there is one, for every tool alike. The result goes into bench/RESULTS.md
between the letterhead markers, with the machine's load average at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH), str(ROOT / "tests")]

RESULTS_FILE = BENCH / "RESULTS.md"
START, END = "<!-- letterhead:start -->", "<!-- letterhead:end -->"


def _ours(source: str, out: str, letterhead_folder: str) -> None:
    """In a fresh process: write every letter of ``source`` with the toolkit's writer (timed)."""
    from toolkit.core.docx import build_docx
    from toolkit.core.fsutil import atomic_write_bytes
    from toolkit.core.markup import Paragraph, Run

    started = time.perf_counter()
    letterhead = None
    if letterhead_folder:
        from toolkit.core.letterhead import load

        letterhead = load(Path(letterhead_folder))
    count = 0
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    with open(source, encoding="utf-8") as handle:
        for line in handle:
            letter = json.loads(line)
            paragraphs = [Paragraph(style, tuple(Run(t, b, i) for t, b, i in runs)) for style, runs in letter["paragraphs"]]
            data = build_docx(paragraphs, title=letter["title"], letterhead=letterhead)
            atomic_write_bytes(target / f"{letter['stem']}.docx", data, durable=False)
            count += 1
    print(json.dumps({"letters": count, "seconds": time.perf_counter() - started}))


def _run(command: list[str]) -> dict:
    result = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if result.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--peer-limit", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print the table, leave RESULTS.md alone")
    args = parser.parse_args(argv)

    from run import BENCH_PYTHON, machine, prepare_letters

    from docs.examples.make_letterhead import make_letterhead
    from toolkit.core.docx import build_docx
    from toolkit.core.letterhead import load

    if not BENCH_PYTHON.exists():
        sys.exit("bench/.env with docxtpl is missing: run python bench/run.py once, or "
                 "python -m venv bench/.env && bench/.env/bin/pip install docxtpl")
    load_before = os.getloadavg()
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="letterhead-bench-", dir=shm if shm.is_dir() else None) as tmp:
        folder = Path(tmp)
        (folder / "letters").mkdir()
        _campaign, source, count = prepare_letters(folder / "letters", args.letters)
        letterhead_folder = folder / "brevhode"
        make_letterhead(letterhead_folder / "letterhead.docx")
        base = folder / "base.docx"  # docxtpl's template is made on the same letterhead
        base.write_bytes(build_docx((), letterhead=load(letterhead_folder)))
        limit = min(args.peer_limit, count)
        runs: dict[str, list[float]] = {"toolkit, vanlig": [], "toolkit, brevhode": [], "docxtpl, brevhode": []}
        for repeat in range(args.repeats):
            for name, lh in (("toolkit, vanlig", ""), ("toolkit, brevhode", str(letterhead_folder))):
                out = folder / f"out-{repeat}-{len(lh)}"
                result = _run([sys.executable, __file__, "--ours", str(source), str(out), lh])
                assert result["letters"] == count
                runs[name].append(result["seconds"])
                print(f"  {name}: {count} brev på {result['seconds']:.2f} s", flush=True)
            if True:  # every repeat, right after the toolkit's: the machine's load changes over minutes
                out = folder / f"out-docxtpl-{repeat}"
                result = _run([str(BENCH_PYTHON), str(BENCH / "peers.py"), "docxtpl", str(base), str(source), str(out), str(limit)])
                assert result["letters"] == limit
                runs["docxtpl, brevhode"].append(result["seconds"] * count / limit)
                print(f"  docxtpl: {limit} brev på {result['seconds']:.2f} s", flush=True)
        size_plain = sum(p.stat().st_size for p in (folder / "out-0-0").iterdir()) / count
        size_lh = sum(p.stat().st_size for p in (folder / f"out-0-{len(str(letterhead_folder))}").iterdir()) / count
    load_after = os.getloadavg()
    medians = {name: statistics.median(values) for name, values in runs.items()}
    # The ratio within each repeat (the three ran back to back), then the median over the repeats.
    per_repeat = {name: statistics.median(peer / ours for ours, peer in zip(runs[name], runs["docxtpl, brevhode"], strict=True))
                  for name in ("toolkit, vanlig", "toolkit, brevhode")}
    rate = {name: count / seconds for name, seconds in medians.items()}
    info = machine()
    lines = [
        START,
        f"### Brev på organisasjonens brevhode ({time.strftime('%Y-%m-%d')}, `python bench/letterhead_bench.py"
        f" --letters {args.letters} --peer-limit {args.peer_limit}`)",
        "",
        f"{count:,} brev (underskrivernes brev fra bench/run.py), skrevet som DOCX av én prosess (én kjerne) til "
        f"{'tmpfs (/dev/shm)' if shm.is_dir() else 'disk'}; bare skrivesløyfen er tidtatt. Brevhodet er "
        "docs/examples/make_letterhead.py sitt (logo, topp- og bunntekst for første og følgende sider) og leses "
        f"inne i den tidtatte sløyfen. docxtpl skrev de første {limit:,} brevene på samme brevhode; tiden for alle er regnet "
        f"ut fra dem. {args.repeats} runder, i hver runde de tre rett etter hverandre; tidene er medianer, og «mot docxtpl» "
        f"er medianen av forholdet innen hver runde. Maskin: {info.get('cpu', '?')}, "
        f"{os.cpu_count()} kjerner; belastning (load average, 1 min) {load_before[0]:.1f} før og {load_after[0]:.1f} etter "
        "— maskinen ble delt med andre jobber, så forholdstallene i samme kjøring er det som teller, ikke brev/s.",
        "",
        "| skriver | brev/s | sekunder (alle) | mot docxtpl | filstørrelse |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in runs:
        size = size_plain if name == "toolkit, vanlig" else size_lh if name == "toolkit, brevhode" else None
        spread = f" ({min(runs[name]):.2f}–{max(runs[name]):.2f})" if len(runs[name]) > 1 else ""
        lines.append(
            f"| {name} | {rate[name]:,.0f} | {medians[name]:.2f}{spread} | {per_repeat.get(name, 1.0):.1f}× | "
            + (f"{size / 1024:.1f} KiB |" if size else "– |")
        )
    lines += ["", f"Brevhodet koster {medians['toolkit, brevhode'] / medians['toolkit, vanlig']:.2f}× tiden for vanlige brev.", END]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        text = RESULTS_FILE.read_text(encoding="utf-8") if RESULTS_FILE.exists() else ""
        if START in text and END in text:
            text = text[: text.index(START)] + section + text[text.index(END) + len(END):]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        RESULTS_FILE.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--ours":
        _ours(*sys.argv[2:5])
    else:
        main()
