"""What deleting files just before a run costs the next run's file creations, on this disk.

    python bench/recent_deletes.py bench/out 30000 4

Creates ``count`` files of 20 KB (temporary name, then renamed, as the toolkit writes), in folders of 30
like a supporter's pack, in a fresh folder under the given place; deletes them; and does it again,
``rounds`` times. Prints the microseconds per file of each round, and what the file system is.

On an ext4 file system without a journal, creating a file makes the kernel step over every inode of the
block group freed in the last 60 seconds (300 while its inode table block is not yet written back):
``find_inode_bit`` → ``recently_deleted`` in fs/ext4/ialloc.c. A benchmark that deletes the previous
run's output before the next run then measures its own clean-up, which is why bench/run.py and
bench/growth.py set earlier outputs aside until the end (run.set_aside). File systems with a journal
(ext4's default, APFS, NTFS) do not do this.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def create(folder: Path, count: int, data: bytes) -> float:
    """Seconds to create ``count`` files in ``folder``, 30 to a subfolder, each written then renamed."""
    started = time.perf_counter()
    for number in range(count):
        sub = folder / f"u-{number // 30:05d}"
        if number % 30 == 0:
            sub.mkdir()
        part = sub / f".{number}.tmp"
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.replace(part, sub / f"{number}.docx")
    return time.perf_counter() - started


def file_system(place: Path) -> str:
    try:
        return subprocess.run(["df", "--output=fstype", str(place)], capture_output=True, text=True,
                              check=True).stdout.split()[-1]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "?"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    place = Path(args[0]) if args else Path(__file__).resolve().parent / "out"
    count = int(args[1]) if len(args) > 1 else 30_000
    rounds = int(args[2]) if len(args) > 2 else 4
    place.mkdir(parents=True, exist_ok=True)
    data = b"x" * 20_000
    print(f"{place} ({file_system(place)}), {count:,} files a round")
    with tempfile.TemporaryDirectory(prefix="recent-deletes-", dir=place) as tmp:
        folder = Path(tmp) / "files"
        for round_number in range(1, rounds + 1):
            folder.mkdir()
            seconds = create(folder, count, data)
            print(f"round {round_number}: {seconds / count * 1e6:.0f} µs a file"
                  f"{' (after deleting the previous round' + chr(39) + 's files)' if round_number > 1 else ''}", flush=True)
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
