"""All the benchmarks in one run, side by side as ratios, written to bench/RESULTS.md.

    python bench/run.py            # the full run (about 15 minutes on 2 cores)
    python bench/run.py --quick    # small sizes, one run each, nothing written (a few minutes)
    python bench/run.py --only startup,build

Measured, each in a fresh process (peak memory is that process's own, from wait4's rusage):

- letters: supporters' letters (tests/supporters_data.py, 169 made-up MPs in 19 districts) written by
  the toolkit's real path (``write_supporter_letters``: DOCX, text, e-mail, print file; both cores),
  by docxtpl (template loaded once, strict and escaping Jinja) and by plain python-docx, the same
  letters, at 1,000 and 10,000 letters;
- sending: bench/send_bench.py (toolkit send with its journal against mailmerge, one aiosmtpd server);
- start-up: ``toolkit --help`` against ``python -c pass`` in the same venv, for a regular install and for
  the README's editable one, with ``import click`` alone and ``mailmerge --help`` beside them;
- build: ``toolkit build`` on a copy of the shipped campaign with an empty output folder.

The peers (docxtpl, mailmerge) are installed only in the benchmark's venv, bench/.env (git-ignored),
made on the first run together with a regular (not editable) install of the toolkit for the start-up
figures; bench/.env-editable (git-ignored) holds the README's editable install, for the start-up figures
too. The toolkit's own measurements run the code in this repository.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BENCH_ENV = BENCH / ".env"
BENCH_PYTHON = BENCH_ENV / "bin" / "python"
EDITABLE_ENV = BENCH / ".env-editable"
RESULTS_FILE = BENCH / "RESULTS.md"
BENCH_OUT = BENCH / "out"  # git-ignored; the letters are written here, on the same disk as a campaign folder
SECTION_START = "<!-- run:start -->"
SECTION_END = "<!-- run:end -->"
WHEN = date(2026, 11, 25)


def set_aside(path: Path, trash: Path) -> None:
    """Move an earlier run's output into ``trash`` (removed after the timed runs) instead of deleting it now.

    On an ext4 file system without a journal, as this machine's disk is, creating a file makes the kernel
    step over every inode of the block group freed in the last 60 to 300 seconds (``find_inode_bit`` →
    ``recently_deleted``; ``perf record`` put half of the benchmark's time there). Deleting the previous
    run's 30,000 files just before a run made each file creation cost 0.12–0.37 ms instead of 0.035 ms, more
    with every repeat, and the tool writing the most files paid the most: the benchmark measured its own
    clean-up. Runs set aside, every tool's run starts on the same disk; the trash goes with the temporary folder.
    """
    if path.exists():
        trash.mkdir(parents=True, exist_ok=True)
        path.rename(trash / str(len(os.listdir(trash))))


_LEFT: list[Path] = []  # temporary folders removed when every benchmark has run


def kept_until_the_end(prefix: str, dir: Path) -> str:
    """A new temporary folder, removed by ``remove_left`` only after the last timed run (see set_aside)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=dir))
    _LEFT.append(folder)
    return str(folder)


def remove_left() -> None:
    while _LEFT:
        shutil.rmtree(_LEFT.pop(), ignore_errors=True)
PEERS = ("docxtpl>=0.16", "mailmerge>=2.2")

sys.path[:0] = [str(ROOT), str(BENCH), str(ROOT / "tests")]


def ensure_env() -> None:
    """bench/.env with the peers and a regular install of this repository's toolkit; bench/.env-editable."""
    if not BENCH_PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_ENV)], check=True)
        subprocess.run([str(BENCH_PYTHON), "-m", "pip", "install", "--quiet", *PEERS, str(ROOT)], check=True)
    else:
        # The regular install follows the code being measured.
        subprocess.run([str(BENCH_PYTHON), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", str(ROOT)],
                       check=True, stdout=subprocess.DEVNULL)
    if not (EDITABLE_ENV / "bin" / "toolkit").exists():
        # What the README's quick start does; an editable install follows the code by itself.
        subprocess.run([sys.executable, "-m", "venv", str(EDITABLE_ENV)], check=True)
        subprocess.run([str(EDITABLE_ENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "-e", str(ROOT)],
                       check=True)


def env(command: list[str]) -> dict:
    """This repository's code for the project venv; the bench venvs use their own installs."""
    if command[0].startswith((str(BENCH_ENV) + os.sep, str(EDITABLE_ENV) + os.sep)):
        return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return dict(os.environ, PYTHONPATH=str(ROOT))


def measured(command: list[str], cwd: Path | None = None) -> dict:
    """Run ``command``; return the JSON on its last output line, its wall time and its peak RSS (MiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed (exit {process.returncode}): {err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    result["wall"] = wall
    return result


def peak_rss(command: list[str], cwd: Path | None = None) -> dict:
    """``measured`` in a fresh wrapper process whose RUSAGE_CHILDREN peak is that of ``command``'s largest process.

    getrusage(RUSAGE_CHILDREN) reports the largest peak among the reaped children, so it has to be
    read in a process that has started nothing else.
    """
    wrapper = [sys.executable, str(Path(__file__)), "--rusage", json.dumps(command)]
    return measured(wrapper, cwd)


def _rusage_wrapper(command: list[str]) -> None:
    import resource

    result = measured(command)
    result["max_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


# --- letters -------------------------------------------------------------------------------------


def prepare_letters(folder: Path, wanted: int) -> tuple[Path, Path, int]:
    """A campaign folder whose supporters.csv yields about ``wanted`` letters; the letters as JSON lines.

    Returns the campaign folder, the JSON-lines file for the peers and the exact number of letters.
    """
    from helpers import write_rows
    from supporters_bench import _campaign
    from supporters_data import supporter_rows

    from toolkit.letters.supporters import districts, load_supporters, prepare_run, supporter_letters
    from toolkit.validate import check_campaign

    campaign_dir = folder / "kampanje"
    campaign_dir.mkdir()
    campaign, _ = _campaign(campaign_dir, 1)
    per_district = {}
    for recipient in campaign.recipients:
        if recipient.kind == "mp":
            per_district[recipient.county] = per_district.get(recipient.county, 0) + 1
    known = districts(campaign)
    rows, letters = [], 0
    candidates = supporter_rows(wanted)  # at least one letter each, so never too few
    for row in candidates:
        if letters >= wanted:
            break
        rows.append(row)
        letters += per_district[known[row["county"].casefold()][0]]
    write_rows(campaign_dir / "supporters.csv", rows)
    campaign, problems = check_campaign(campaign_dir, WHEN)
    supporters = load_supporters(campaign_dir / "supporters.csv", campaign, problems)
    assert not problems.errors, problems.errors[:3]
    run = prepare_run(campaign, supporters, WHEN)
    source = folder / "letters.jsonl"
    count = 0
    with open(source, "w", encoding="utf-8") as handle:
        for supporter, variant in supporters.with_variants():
            for recipient, letter in supporter_letters(run, supporter, variant):
                paragraphs = [[p.style, [[r.text, r.bold, r.italic] for r in p.runs]] for p in letter.paragraphs]
                handle.write(json.dumps({"stem": f"{supporter.id}-{recipient.id}", "title": letter.subject,
                                         "paragraphs": paragraphs}, ensure_ascii=False) + "\n")
                count += 1
    return campaign_dir, source, count


def _ours_worker(campaign_dir: str, workers: int = 0, mode: str = "filer") -> None:
    """In a fresh process: load the campaign and write every supporter's letters (timed).

    ``workers`` 0: as the toolkit chooses (the machine's cores, at most four); ``mode`` "filer" (the
    default outputs), "zip" (``--pack zip``), "eml" (``--only eml``) or "docx" (``--only docx``: the DOCX
    letters and print file, the files docxtpl writes).
    """
    from toolkit.letters.supporters import PARALLEL_FROM, load_supporters, write_supporter_letters
    from toolkit.validate import check_campaign

    folder = Path(campaign_dir)
    started = time.perf_counter()
    campaign, problems = check_campaign(folder, WHEN)
    supporters = load_supporters(folder / "supporters.csv", campaign, problems)
    loaded = time.perf_counter() - started
    if not workers:
        workers = min(os.cpu_count() or 1, 4) if len(supporters) >= PARALLEL_FROM else 1
    started = time.perf_counter()
    report = write_supporter_letters(campaign, supporters, WHEN, workers=workers,
                                     pack="zip" if mode == "zip" else "files", only=mode if mode in ("eml", "docx") else "")
    seconds = time.perf_counter() - started
    print(json.dumps({"letters": report.letters, "seconds": seconds, "workers": workers, "load_seconds": loaded,
                      "similarity_seconds": report.similarity_seconds, "over": len(report.similarity.over)}))


def bench_letters(sizes: list[int], repeats: int, peer_repeats: int, peer_limit: int | None = None) -> list[dict]:
    """Each tool at each size; the peers write only the first ``peer_limit`` letters when it is smaller."""
    from toolkit.core.docx import build_docx

    rows = []
    BENCH_OUT.mkdir(exist_ok=True)
    tmp = kept_until_the_end(prefix="letters-", dir=BENCH_OUT)
    base = Path(tmp) / "base.docx"
    base.write_bytes(build_docx(()))
    for size in sizes:
        folder = Path(tmp) / str(size)
        folder.mkdir()
        campaign_dir, source, count = prepare_letters(folder, size)
        out = campaign_dir / "ut"
        commands = {
            # All the machine's cores (the toolkit's default) and one worker process: the per-core figure.
            "toolkit": ([sys.executable, str(Path(__file__)), "--ours", str(campaign_dir)], repeats),
            "toolkit-1": ([sys.executable, str(Path(__file__)), "--ours", str(campaign_dir), "1"], repeats),
            # One worker, each supporter's pack as one ZIP (with the e-mails beside it): fewer files.
            "toolkit-1-zip": ([sys.executable, str(Path(__file__)), "--ours", str(campaign_dir), "1", "zip"], 1),
            # One worker, `--only docx`: the DOCX letters (and the print file, the manifest, the similarity
            # check and the overview), no text copy and no e-mail: the like-for-like row against docxtpl.
            "toolkit-1-docx": ([sys.executable, str(Path(__file__)), "--ours", str(campaign_dir), "1", "docx"], repeats),
        }
        limit = [str(peer_limit)] if peer_limit and peer_limit < count else []
        for tool in ("docxtpl", "python-docx"):
            peer = [str(BENCH_PYTHON), str(BENCH / "peers.py"), tool, str(base), str(source), str(folder / "peer"), *limit]
            commands[tool] = (peer, peer_repeats)
        # Interleaved: the first run of every tool, then the second, and so on, so that a change in the
        # machine's load falls on all of them alike.
        runs: dict[str, list[dict]] = {tool: [] for tool in commands}
        for repeat in range(max(times for _, times in commands.values())):
            for tool, (command, times) in commands.items():
                if repeat >= times:
                    continue
                set_aside(out, Path(tmp) / "trash")
                set_aside(folder / "peer", Path(tmp) / "trash")
                result = peak_rss(command)
                expected = int(limit[0]) if limit and not tool.startswith("toolkit") else count
                if result["letters"] != expected:
                    raise RuntimeError(f"{tool} wrote {result['letters']} of {expected} letters")
                # Seconds for all ``count`` letters; extrapolated from the sample when there is one.
                result["sample"] = result["letters"] if expected != count else None
                result["seconds"] *= count / result["letters"]
                runs[tool].append(result)
                print(f"  brev {tool} N={count}: {result['seconds']:.1f} s, {result['max_rss_mib']:.0f} MiB", flush=True)
        file_ms = file_cost(BENCH_OUT)
        rows += [{"tool": tool, "letters": count, "runs": done, "where": str(BENCH_OUT), "file_ms": file_ms}
                 for tool, done in runs.items()]
    return rows


# --- start-up and build --------------------------------------------------------------------------


def _times(command: list[str], runs: int, cwd: Path | None = None) -> list[float]:
    result = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env(command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        result.append(time.perf_counter() - started)
    return result


def _start(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, from wait4) of one run of ``command``."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env(command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command} failed (exit {process.returncode})")
    return wall, usage.ru_utime + usage.ru_stime


def bench_startup(runs: int) -> dict:
    """Wall and CPU seconds per start, alternating the commands so that load changes hit them alike.

    Each install is measured against ``python -c pass`` in its own venv: an editable install's .pth
    file makes every Python start in that venv import pathlib, re and importlib.util first.
    """
    regular, editable = BENCH_ENV / "bin", EDITABLE_ENV / "bin"
    commands = {
        "python -c pass (regular install)": [str(regular / "python"), "-c", "pass"],
        "python -c 'import click' (regular install)": [str(regular / "python"), "-c", "import click"],
        "toolkit --help (regular install)": [str(regular / "toolkit"), "--help"],
        "toolkit validate --help (regular install)": [str(regular / "toolkit"), "validate", "--help"],
        "python -c pass (editable install)": [str(editable / "python"), "-c", "pass"],
        "toolkit --help (editable install)": [str(editable / "toolkit"), "--help"],
        "toolkit validate --help (editable install)": [str(editable / "toolkit"), "validate", "--help"],
        "mailmerge --help (regular install's venv)": [str(regular / "mailmerge"), "--help"],
    }
    times: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            wall, cpu = _start(command, cwd=BENCH_ENV)
            times[name]["wall"].append(wall)
            times[name]["cpu"].append(cpu)
    return times


def bench_build(runs: int) -> dict[str, list[float]]:
    """``toolkit build`` on a copy of the shipped campaign, the output folder set aside before each run.

    Interleaved, ``runs`` times each: a first build (no PDF of the case attachment kept in the campaign's
    .toolkit/pdf, so LibreOffice is started where it is installed) and a rebuild (the PDF reused).
    """
    from conftest import copy_campaign

    BENCH_OUT.mkdir(exist_ok=True)
    result: dict[str, list[float]] = {"first": [], "again": []}
    tmp = kept_until_the_end(prefix="build-", dir=BENCH_OUT)
    campaign_dir = copy_campaign(Path(tmp) / "kampanje")
    command = [sys.executable, "-m", "toolkit", "build", "--campaign", str(campaign_dir), "--date", WHEN.isoformat()]
    for _ in range(runs):
        for kind in ("first", "again"):
            if kind == "first":
                set_aside(campaign_dir / ".toolkit" / "pdf", Path(tmp) / "trash")
            set_aside(campaign_dir / "ut", Path(tmp) / "trash")
            result[kind] += _times(command, 1, cwd=ROOT)
            if not (campaign_dir / "ut" / "calendar").is_dir():
                raise RuntimeError("toolkit build wrote no calendar")
    return result


def bench_send(count: int, repeats: int) -> dict | None:
    try:
        import send_bench
    except ImportError:
        return None
    result = send_bench.run_benchmark(count, repeats)
    return result


# --- report --------------------------------------------------------------------------------------


def file_cost(folder: Path, count: int = 500) -> float:
    """Milliseconds to create, write and rename one 6 KB file in ``folder``: this disk's cost per output file."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        started = time.perf_counter()
        for number in range(count):
            part = Path(tmp) / f".{number}.tmp"
            part.write_bytes(b"x" * 6000)
            os.replace(part, Path(tmp) / f"{number}.docx")
        return (time.perf_counter() - started) / count * 1000


def machine() -> dict:
    cpu = platform.machine()
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        total = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        memory = f"{int(total.split()[1]) / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        pass
    return {"system": f"{platform.system()} {platform.release()}", "cpu": cpu, "cores": os.cpu_count(), "memory": memory}


def versions() -> str:
    from importlib.metadata import version

    ours = {name: version(name) for name in ("jinja2", "click", "python-docx", "twitter-text-parser", "icalendar")}
    peers = subprocess.run(
        [str(BENCH_PYTHON), "-c", "from importlib.metadata import version as v; "
         "print(', '.join(f'{n} {v(n)}' for n in ('docxtpl', 'python-docx', 'mailmerge', 'jinja2', 'lxml')))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    return (f"Python {platform.python_version()}; project venv: " + ", ".join(f"{k} {v}" for k, v in ours.items())
            + f"; bench venv: {peers}")


def _spread(values: list[float], scale: float = 1.0, digits: int = 0) -> str:
    low, high = min(values) * scale, max(values) * scale
    return f"{low:,.{digits}f}–{high:,.{digits}f}" if len(values) > 1 else "one run"


def report(results: dict) -> tuple[str, list[str]]:
    """The Markdown section and the summary lines (one per target) for the terminal."""
    lines = [SECTION_START, "## All benchmarks: `python bench/run.py`", ""]
    m = results["machine"]
    loads = results["load"]
    lines += [
        f"Machine: {m['system']}, {m['cpu']}, {m['cores']} cores, {m['memory']} memory; one-minute load average "
        f"{loads[0]:.1f} at the start and {loads[1]:.1f} at the end (the machine is shared). {results['versions']}. "
        f"Run on {date.today().isoformat()} with `python bench/run.py{' --quick' if results['quick'] else ''}"
        f"{' --peer-limit ' + str(results['peer_limit']) if results.get('peer_limit') else ''}"
        f"{''.join(' --out ' + str(p) for p in results.get('places', [])) if results.get('places') != [BENCH / 'out'] else ''}"
        f"{' --growth ' + results['growth_file'] if results.get('growth_file') else ''}`.",
        "",
        f"Outputs were written to {', '.join(f'`{p}`' for p in results.get('places') or [BENCH_OUT])} (the tables say "
        "where, with what creating, writing and renaming one 6 KB file there cost). By default the toolkit writes "
        "about three files per letter (DOCX, text, e-mail) where the peers write one, so this cost weighs on it "
        "three times.",
        "",
    ]
    summary = []
    if results.get("letters"):
        lines += [
            "### Letters (DOCX)",
            "",
            "Supporters' letters to the MPs of their district. The toolkit's figure is the whole real path: "
            "each letter as DOCX, text and e-mail, one print file per supporter, the manifest, the similarity "
            "check and the overview; «toolkit» uses the machine's cores (worker processes), «toolkit-1» one "
            "worker (the per-core figure), «toolkit-1-zip» one worker with `--pack zip` (one ZIP per supporter "
            "and the e-mails beside it, instead of three files per letter), «toolkit-1-docx» one worker with `--only docx` "
            "(each letter as DOCX, the print file and the manifest, the similarity check and the overview; no text copy, "
            "no e-mail: the like-for-like row). docxtpl and python-docx write only the DOCX files of the same "
            "letters (same paragraphs and styles), in one process. Seconds are the writing loop (loading the "
            "campaign and starting Python not included); memory is the peak resident size of the largest "
            "process (for the toolkit, the parent or one of its workers).",
            "",
            "| where | tool | letters | median s | min–max s | letters/s | peak RSS MiB | tool ÷ toolkit (time) |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        by = {(row["where"], row["tool"], row["letters"]): row for row in results["letters"]}
        median = lambda where, tool, n: statistics.median(r["seconds"] for r in by[(where, tool, n)]["runs"])  # noqa: E731
        for row in results["letters"]:
            seconds = [run["seconds"] for run in row["runs"]]
            rate = row["letters"] / statistics.median(seconds)
            rss = max(run["max_rss_mib"] for run in row["runs"])
            ratio = ""
            if row["tool"].startswith("toolkit-1") and (row["where"], "docxtpl", row["letters"]) in by:
                ratio = f"docxtpl {median(row['where'], 'docxtpl', row['letters']) / statistics.median(seconds):.1f}× this (per core)"
            elif not row["tool"].startswith("toolkit"):
                ratio = (f"{statistics.median(seconds) / median(row['where'], 'toolkit-1', row['letters']):.1f}× per core, "
                         f"{statistics.median(seconds) / median(row['where'], 'toolkit', row['letters']):.1f}× whole machine")
            sample = row["runs"][0]["sample"]
            note = f" (extrapolated from the first {sample:,}; peak RSS at {sample:,})" if sample else ""
            lines.append(f"| {row['where']} ({row['file_ms']:.2f} ms/file) | {row['tool']} | {row['letters']:,}{note} "
                         f"| {statistics.median(seconds):.2f} | {_spread(seconds, digits=2)} | {rate:,.0f} | {rss:.0f} | {ratio} |")
        for where in dict.fromkeys(row["where"] for row in results["letters"]):
            sizes = sorted({n for w, _, n in by if w == where})
            big = sizes[-1]
            tpl = median(where, "docxtpl", big)
            one = tpl / median(where, "toolkit-1", big)
            summary.append(f"Brev, {where}, N={big:,}: docxtpl ÷ toolkit med én arbeidsprosess {one:.1f}× "
                           f"(per kjerne; mål ≥ 10× på disk), med alle kjerner {tpl / median(where, 'toolkit', big):.1f}× (hele maskinen)")
            for tool, what in (("toolkit-1-docx", "--only docx (samme DOCX-filer som docxtpl, pluss utskriftsfil og manifest)"),
                               ("toolkit-1-zip", "--pack zip")):
                if (where, tool, big) in by:
                    summary.append(f"Brev, {where}, N={big:,}: docxtpl ÷ toolkit med én arbeidsprosess og {what}: "
                                   f"{tpl / median(where, tool, big):.1f}× (per kjerne)")
        lines += ["", *[f"- {line}" for line in summary], ""]
    if results.get("growth"):
        rows = results["growth"]
        lines += [
            "### Growth: 1,000 to 100,000 supporters",
            "",
            "`python bench/growth.py` (each size in a fresh process, the machine's cores, default outputs): "
            "the seconds of the whole path (writing every letter, the similarity check, the overview) and per "
            "letter, the similarity check's share of them and the time per letter without it, and the peak PSS "
            "of the whole process tree (parent and workers, sampled every 0.2 s from /proc/*/smaps_rollup).",
            "",
            "| where | supporters | letters | seconds | ms/letter | similarity s | ms/letter without it | "
            "peak PSS MiB (tree) | load avg (1 min) start→end |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for row in rows:
            without = 1000 * (row["seconds"] - row["similarity_seconds"]) / row["letters"]
            lines.append(f"| {row['out']} | {row['supporters']:,} | {row['letters']:,} | {row['seconds']:.1f} | "
                         f"{row['ms_per_letter']:.2f} | {row['similarity_seconds']:.1f} | {without:.2f} | "
                         f"{row['peak_pss_mib']:.0f} | {row['load'][0]:.1f}→{row['load'][1]:.1f} |")
        by_size = {row["supporters"]: row for row in rows}
        growth_lines = []
        if 1000 in by_size and len(by_size) > 1:
            top = max(by_size)
            growth_lines.append(f"Vekst: tid per brev ved {top:,} er {by_size[top]['ms_per_letter'] / by_size[1000]['ms_per_letter']:.2f}× "
                           f"den ved 1 000 (mål ≤ 1,3×)")
        if 10_000 in by_size and max(by_size) > 10_000:
            top = max(by_size)
            growth_lines.append(f"Minne: PSS-topp ved {top:,} er {by_size[top]['peak_pss_mib'] / by_size[10_000]['peak_pss_mib']:.2f}× "
                           f"den ved 10 000 (mål ≤ 1,3×)")
        summary += growth_lines
        lines += ["", *[f"- {line}" for line in growth_lines], ""]
    if results.get("send"):
        send = results["send"]
        line = (f"Sending, {send['count']:,} messages: toolkit {statistics.median(send['rates']['toolkit']):,.0f}/s, "
                f"mailmerge {statistics.median(send['rates']['mailmerge']):,.0f}/s: {send['ratio']:.2f}× (mål ≥ 2×)")
        summary.append(line)
        lines += ["### Sending", "", f"- {line}; details in the sending section below (bench/send_bench.py).", ""]
    if results.get("startup"):
        times = results["startup"]
        runs = len(next(iter(times.values()))["wall"])
        lines += ["### Start-up", "",
                  f"Median of {runs} runs each, alternating; CPU is user + system time of the process. Each install "
                  "is compared with `python -c pass` in its own venv (the editable install's .pth file makes every "
                  "start in its venv import pathlib, re and importlib.util, so that venv's `python -c pass` is slower).",
                  "", "| command | median ms | min–max ms | median CPU ms | ÷ python -c pass (wall, CPU) |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        ratios = {}
        for name, values in times.items():
            kind = "editable install" if "(editable install)" in name else "regular install"
            base = times[f"python -c pass ({kind})"]
            ratios[name] = (statistics.median(values["wall"]) / statistics.median(base["wall"]),
                            statistics.median(values["cpu"]) / statistics.median(base["cpu"]))
            lines.append(f"| `{name}` | {statistics.median(values['wall']) * 1000:.0f} | {_spread(values['wall'], 1000)} "
                         f"| {statistics.median(values['cpu']) * 1000:.0f} | {ratios[name][0]:.1f}×, {ratios[name][1]:.1f}× |")
        click_alone = ratios["python -c 'import click' (regular install)"][0]
        mailmerge = ratios["mailmerge --help (regular install's venv)"][0]
        line = (f"Oppstart: toolkit --help er {ratios['toolkit --help (regular install)'][0]:.1f}× python -c pass med vanlig "
                f"installasjon og {ratios['toolkit --help (editable install)'][0]:.1f}× med redigerbar installasjon (mål ≤ 3×); "
                f"import click alene er {click_alone:.1f}×, mailmerge --help {mailmerge:.1f}×")
        summary.append(line)
        lines += ["", f"- {line}", ""]
    if results.get("build"):
        # Saved runs before the PDF cache hold one list of builds, each one starting LibreOffice.
        builds = results["build"] if isinstance(results["build"], dict) else {"first": results["build"], "again": []}
        first, again = builds["first"], builds["again"]
        line = f"toolkit build, den utleverte kampanjen, tom utdatamappe: median {statistics.median(first):.2f} s første gang"
        if again:
            line += f", {statistics.median(again):.2f} s når PDF-en av vedlegget gjenbrukes"
        summary.append(line + " (mål: godt under 2 s)")
        lines += ["### Whole build", "",
                  f"- `toolkit build --date 2026-11-25` on a copy of the shipped campaign, output folder set aside before "
                  f"each run, whole process. First build (no PDF of the case attachment kept, so LibreOffice converts it), "
                  f"{len(first)} runs: median {statistics.median(first):.2f} s, min–max {_spread(first, digits=2)} s."]
        if again:
            lines.append(f"- Rebuild (the PDF in .toolkit/pdf reused), {len(again)} runs interleaved with those: "
                         f"median {statistics.median(again):.2f} s, min–max {_spread(again, digits=2)} s.")
        lines.append("")
    lines.append(SECTION_END)
    return "\n".join(lines) + "\n", summary


def write_results(section: str, path: Path = RESULTS_FILE) -> None:
    """Put this run's section first in RESULTS.md, keeping other benchmarks' sections."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if SECTION_START in text and SECTION_END in text:
        head, rest = text.split(SECTION_START, 1)
        text = head + section + rest.split(SECTION_END, 1)[1].lstrip("\n")
    else:
        title, _, rest = text.partition("\n")
        text = f"{title}\n\n{section}\n{rest.lstrip()}"
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def _measure(args, places: list[Path]) -> dict:
    global BENCH_OUT
    only = set(args.only.split(","))
    ensure_env()
    results: dict = {"quick": args.quick, "peer_limit": args.peer_limit, "places": places, "growth_file": args.growth,
                     "machine": machine(), "versions": versions(), "load": [os.getloadavg()[0]], "file_ms": file_cost(BENCH_OUT)}
    if "letters" in only:
        sizes = [200, 1000] if args.quick else [1000, 10_000]
        results["letters"] = []
        for where in places:
            BENCH_OUT = where
            results["letters"] += bench_letters(sizes, repeats=args.repeats or (1 if args.quick else 3), peer_repeats=1,
                                                peer_limit=args.peer_limit)
        BENCH_OUT = places[0]
        _save(args, results)  # a later benchmark that fails does not lose these
    if args.growth:
        results["growth"] = [json.loads(line) for line in Path(args.growth).read_text(encoding="utf-8").splitlines() if line.strip()]
    if "send" in only:
        results["send"] = bench_send(1000 if args.quick else 10_000, 1 if args.quick else 3)
        if results["send"] and not (args.quick or args.no_write):
            import send_bench

            send_bench.write_results(results["send"])
        _save(args, results)
    if "startup" in only:
        results["startup"] = bench_startup(3 if args.quick else 15)
    if "build" in only:
        results["build"] = bench_build(2 if args.quick else 5)
    results["load"].append(os.getloadavg()[0])
    _save(args, results)
    return results


def _save(args, results: dict) -> None:
    if args.save:
        args.save.write_text(json.dumps(results, default=str, ensure_ascii=False), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each; bench/RESULTS.md is not changed")
    parser.add_argument("--only", default="letters,send,startup,build", help="comma-separated: letters,send,startup,build")
    parser.add_argument("--peer-limit", type=int, default=None,
                        help="docxtpl and python-docx write only this many letters at the larger size; their time is extrapolated")
    parser.add_argument("--no-write", action="store_true", help="print the table, do not update bench/RESULTS.md")
    parser.add_argument("--out", type=Path, action="append", default=None,
                        help="where the letters and builds are written (default bench/out; /dev/shm takes the disk out); "
                             "repeat it to measure the letters in several places")
    parser.add_argument("--save", type=Path, default=None, help="also save the measurements as JSON in this file")
    parser.add_argument("--from", dest="from_file", type=Path, default=None,
                        help="measure nothing: report the measurements saved with --save (and --growth)")
    parser.add_argument("--repeats", type=int, default=None, help="runs of the toolkit per size (default 3; --quick 1)")
    parser.add_argument("--growth", default="",
                        help="a JSON-lines file written by bench/growth.py, reported as the growth curve")
    args = parser.parse_args(argv)
    global BENCH_OUT
    places = [path.resolve() for path in args.out] if args.out else [BENCH_OUT]
    BENCH_OUT = places[0]
    if args.from_file:
        results = json.loads(args.from_file.read_text(encoding="utf-8"))
        results["places"] = [Path(p) for p in results.get("places", [])]
        if args.growth:
            results["growth_file"] = args.growth
            results["growth"] = [json.loads(line) for line in Path(args.growth).read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        try:
            results = _measure(args, places)
        finally:
            remove_left()
    section, summary = report(results)
    print(section)
    print("\n".join(summary))
    if not (args.quick or args.no_write):
        write_results(section)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--rusage"]:
        _rusage_wrapper(json.loads(sys.argv[2]))
    elif sys.argv[1:2] == ["--ours"]:
        _ours_worker(sys.argv[2], *([int(sys.argv[3])] if len(sys.argv) > 3 else []), *sys.argv[4:5])
    else:
        main()
