"""`toolkit --help` against a bare click group's `--help`, on the same interpreter and venv.

    python bench/startup.py [--runs 20]

Each round runs both once, in turn (so a busy moment on the machine hits both alike), as whole
processes started the way a user starts them: the venv's `toolkit` script, and a script of the same
shape that builds an empty click group with one option. Prints the median and fastest of each, their
ratio (the target is at most 1.3), the machine's load, and the modules `toolkit --help` imports beyond
the bare group's (from ``python -X importtime``), slowest first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = '''import re
import sys

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0", "--version", "-V")
def main():
    """A bare click group."""


if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
'''


def _toolkit_script() -> list[str]:
    script = Path(sys.executable).parent / "toolkit"
    if script.is_file():
        return [sys.executable, str(script)]
    return [sys.executable, "-c", "import sys; from toolkit.cli import main; sys.exit(main())"]


def _time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([*command, "--help"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _imports(command: list[str]) -> dict[str, int]:
    """Module -> its own import time in microseconds, from -X importtime."""
    done = subprocess.run([command[0], "-X", "importtime", *command[1:], "--help"], capture_output=True, text=True, check=True)
    found = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _cumulative, name = line[len("import time:"):].split("|")
        found[name.strip()] = int(own)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bare_path = Path(folder) / "bare_group.py"
        bare_path.write_text(BARE, encoding="utf-8")
        commands = {"toolkit --help": _toolkit_script(), "bare click group --help": [sys.executable, str(bare_path)]}
        for command in commands.values():  # warm the disk cache and the .pyc files first
            _time(command)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(_time(command))
        extra = {}
        ours, bare = _imports(commands["toolkit --help"]), _imports(commands["bare click group --help"])
        extra = {name: us for name, us in ours.items() if name not in bare}
    print(f"Python {sys.version.split()[0]} at {sys.executable}; {args.runs} runs each, interleaved; "
          f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"on {os.cpu_count()} cores")
    for name, values in times.items():
        print(f"  {name:26} median {statistics.median(values) * 1000:6.1f} ms, fastest {min(values) * 1000:6.1f} ms")
    ratio = statistics.median(times["toolkit --help"]) / statistics.median(times["bare click group --help"])
    fastest = min(times["toolkit --help"]) / min(times["bare click group --help"])
    print(f"  ratio toolkit/bare: median {ratio:.2f}, fastest {fastest:.2f} (target: at most 1.3)")
    print(f"  modules toolkit --help imports beyond the bare group: {len(extra)}, "
          f"{sum(extra.values()) / 1000:.1f} ms of their own import time; slowest:")
    for name, us in sorted(extra.items(), key=lambda item: -item[1])[:8]:
        print(f"    {us / 1000:6.1f} ms  {name}")


if __name__ == "__main__":
    main()
