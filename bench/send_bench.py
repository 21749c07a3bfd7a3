"""Sending benchmark: `toolkit send` (journal on) and mailmerge, the same number of messages to the same local SMTP server.

Both run as their users run them, as a command: `toolkit send --send --yes --rate 0` on a campaign
folder whose e-mails are already rendered, and `mailmerge --no-dry-run --no-limit` on a template
and a CSV of the same recipients with a letter of the same length. mailmerge is installed only in
a venv of its own, ``bench/.env`` (git-ignored), made on the first run. The server is aiosmtpd on
127.0.0.1, in this process; it counts what it accepts, and each run must deliver every message.

    python bench/send_bench.py                 # 10,000 messages, 3 runs each, writes bench/RESULTS.md
    python bench/send_bench.py --count 1000 --repeats 1 --no-write
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_ENV = ROOT / "bench" / ".env"
RESULTS_FILE = ROOT / "bench" / "RESULTS.md"
SECTION_START = "<!-- send-bench:start -->"
SECTION_END = "<!-- send-bench:end -->"
LETTER_DATE = date(2026, 11, 25)
SUBJECT = "Menneskehandel er vold mot kvinner: fem krav fra Kvinnenettverket (eksempel)"

sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def mailmerge_command() -> Path:
    """The mailmerge command in bench/.env, installing it there on the first run."""
    scripts = BENCH_ENV / ("Scripts" if os.name == "nt" else "bin")
    command = scripts / ("mailmerge.exe" if os.name == "nt" else "mailmerge")
    if not command.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_ENV)], check=True)
        subprocess.run([str(scripts / "python"), "-m", "pip", "install", "--quiet", "mailmerge>=2.2"], check=True)
    return command


def mailmerge_version() -> str:
    scripts = BENCH_ENV / ("Scripts" if os.name == "nt" else "bin")
    result = subprocess.run([str(scripts / "python"), "-c", "from importlib.metadata import version; print(version('mailmerge'))"],
                            capture_output=True, text=True, check=True)
    return result.stdout.strip()


def prepare(folder: Path, count: int, port: int) -> str:
    """A campaign folder with ``count`` extra MPs and their rendered e-mails; mailmerge's inputs beside it.

    Returns the letter text both tools send (the toolkit's own letter to an MP, name replaced).
    """
    from conftest import copy_campaign
    from helpers import mp_row, read_rows, write_rows
    from send_helpers import set_smtp

    from toolkit.letters.emails import build_email
    from toolkit.letters.pack import MANIFEST_FILE, templates_for
    from toolkit.letters.render import render_letter
    from toolkit.validate import check_campaign

    campaign_dir = copy_campaign(folder / "kampanje")
    set_smtp(campaign_dir, port)
    rows = read_rows(campaign_dir / "recipients.csv")
    today = date.today().isoformat()
    people = [(f"mp-{i:05d}", f"Åse Ærlig-Øvrebø {i}", f"mp-{i:05d}@example.org") for i in range(count)]
    rows += [mp_row(id=pid, name=name, email=address, verified_on=today, email_verified_on=today) for pid, name, address in people]
    write_rows(campaign_dir / "recipients.csv", rows)
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    assert not problems.errors, problems.errors
    by_id = {r.id: r for r in campaign.recipients}
    first = by_id[people[0][0]]
    letter = render_letter(campaign, templates_for(campaign), first, LETTER_DATE)
    emails = campaign.output_dir / "emails"
    emails.mkdir(parents=True)
    manifest = []
    for pid, name, address in people:
        recipient = by_id[pid]
        data = build_email(campaign, recipient, letter.subject, letter.text.replace(first.name, name), LETTER_DATE)
        (emails / f"{pid}.eml").write_bytes(data)
        manifest.append({
            "recipient": pid, "name": name, "kind": "mp", "email": address, "email_verified": True,
            "verified_on": today, "file": f"{pid}.eml", "sha256": hashlib.sha256(data).hexdigest(),
            "subject": letter.subject, "language": "nb", "lead": list(letter.lead),
        })
    (emails / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")

    merge = folder / "mailmerge"
    merge.mkdir()
    body = letter.text.replace(first.name, "{{name}}")
    (merge / "mailmerge_template.txt").write_text(
        f"TO: {{{{email}}}}\nSUBJECT: {SUBJECT}\nFROM: Kvinnenettverket <post@example.org>\n\n{body}", encoding="utf-8",
    )
    with open(merge / "mailmerge_database.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name"])
        writer.writerows([address, name] for _, name, address in people)
    (merge / "mailmerge_server.conf").write_text(f"[smtp_server]\nhost = 127.0.0.1\nport = {port}\n", encoding="utf-8")
    return letter.text


def timed(command: list[str], cwd: Path, server, count: int) -> float:
    """Run one sender and return its messages per second; it must deliver exactly ``count`` messages."""
    before = server.handler.count()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    delivered = server.handler.count() - before
    if result.returncode != 0 or delivered != count:
        raise RuntimeError(f"{command[0]} delivered {delivered} of {count} (exit {result.returncode}): {result.stderr[-2000:]}")
    return count / elapsed


def run_benchmark(count: int = 10_000, repeats: int = 3) -> dict:
    """Send ``count`` messages ``repeats`` times with each tool, alternating, and return the rates."""
    from smtp_server import SmtpServer

    from toolkit.send.journal import journal_path

    mailmerge = mailmerge_command()
    load_before = _load()
    rates: dict[str, list[float]] = {"toolkit": [], "mailmerge": []}
    with tempfile.TemporaryDirectory(prefix="send-bench-") as tmp, SmtpServer(keep=False) as server:
        folder = Path(tmp)
        letter = prepare(folder, count, server.port)
        campaign_dir = folder / "kampanje"
        journal = journal_path(campaign_dir)  # the campaign's own journal (.toolkit/send-journal.sqlite)
        toolkit = [sys.executable, "-m", "toolkit", "send", "--campaign", str(campaign_dir), "--send", "--yes", "--rate", "0"]
        merge = [str(mailmerge), "--no-dry-run", "--no-limit", "--output-format", "raw"]
        for _ in range(repeats):
            for path in journal.parent.glob(journal.name + "*"):
                path.unlink()
            rates["toolkit"].append(timed(toolkit, campaign_dir, server, count))
            if not journal.exists():
                raise RuntimeError("toolkit send ran without its journal")
            rates["mailmerge"].append(timed(merge, folder / "mailmerge", server, count))
    return {
        "count": count,
        "repeats": repeats,
        "letter_bytes": len(letter.encode("utf-8")),
        "rates": rates,
        "ratio": statistics.median(rates["toolkit"]) / statistics.median(rates["mailmerge"]),
        "versions": versions(),
        "machine": machine(),
        "load": (load_before, _load()),
    }


def _load() -> float | None:
    """The one-minute load average: the machine may be shared, and both senders share its CPUs with the server."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {
        "toolkit": version("campaign-toolkit"), "yagmail": version("yagmail"), "aiosmtpd": version("aiosmtpd"),
        "mailmerge": mailmerge_version(), "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPU"


def report(result: dict) -> str:
    """The results as a Markdown section."""
    lines = [
        SECTION_START,
        "## Sending: `toolkit send` against mailmerge",
        "",
        f"{result['count']:,} messages per run to one aiosmtpd server on 127.0.0.1, {result['repeats']} runs each, "
        "alternating; each run must deliver every message. `toolkit send --send --yes --rate 0` with its journal "
        "(SQLite, synchronous=FULL); `mailmerge --no-dry-run --no-limit` with a letter of the same text "
        f"({result['letter_bytes']:,} bytes).",
        "",
        "| sender | median messages/s | min–max |",
        "| --- | ---: | ---: |",
    ]
    for name, rates in result["rates"].items():
        lines.append(f"| {name} | {statistics.median(rates):,.0f} | {min(rates):,.0f}–{max(rates):,.0f} |")
    versions_text = ", ".join(f"{k} {v}" for k, v in result["versions"].items())
    lines += [
        "",
        f"Ratio of medians (toolkit / mailmerge): **{result['ratio']:.2f}×** (target: at least 2×).",
        "",
        "The server, the sender and anything else on the machine share its CPUs, so the figures move with "
        f"the machine's load (one-minute load average {_loads(result['load'])}). mailmerge prints every "
        "message; its output goes to /dev/null.",
        "",
        f"Machine: {result['machine']}. Versions: {versions_text}. Run on {date.today().isoformat()} with "
        f"`python bench/send_bench.py --count {result['count']} --repeats {result['repeats']}`.",
        SECTION_END,
    ]
    return "\n".join(lines) + "\n"


def _loads(loads) -> str:
    before, after = loads
    if before is None:
        return "not available"
    return f"{before:.1f} at the start, {after:.1f} at the end"


def write_results(result: dict, path: Path = RESULTS_FILE) -> None:
    """Replace this benchmark's section in RESULTS.md, leaving other benchmarks' sections as they are."""
    section = report(result)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    if SECTION_START in text and SECTION_END in text:
        head, rest = text.split(SECTION_START, 1)
        text = head + section + rest.split(SECTION_END, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print the results, do not update bench/RESULTS.md")
    args = parser.parse_args(argv)
    result = run_benchmark(args.count, args.repeats)
    print(report(result))
    if not args.no_write:
        write_results(result)


if __name__ == "__main__":
    main()
