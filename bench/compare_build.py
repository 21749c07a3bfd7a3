"""Build the shipped campaign with an older commit's code and with this tree's, and list the files that differ.

    python bench/compare_build.py f7ba7d7 [--date 2026-12-03] [--keep]

The older code is taken with ``git archive`` into a temporary folder (the repository is not changed);
both builds run ``toolkit build --date DATE`` on their own copy of this tree's campaign files (the ones
toolkit/data/example-files.txt names), with the same Python and venv, HOME pointed at a temporary
folder. Then every file of the two output folders is compared byte for byte.

What is meant to differ and is taken out before comparing (nothing else is):

- ``.toolkit-pakke.json`` (the pack's manifest): ``written_at`` and each file's modification time (the
  second number of its ``[size, mtime_ns]``); the list of files and their sizes are compared.
- PDF files (the case attachment, made by LibreOffice): ``/CreationDate``, ``/ModDate``, the document
  ``/ID`` and ``/DocChecksum``, which LibreOffice makes new on every conversion.
- DOCX files: ``dcterms:created`` and ``dcterms:modified`` in docProps/core.xml (the time of writing),
  and every zip member's date and time; the members' bytes are compared.
- ZIP files: member dates and times, the same way.

Exit code 0 when nothing else differs, 1 otherwise.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")
PDF_STAMPS = re.compile(rb"/(CreationDate|ModDate)\s*\([^)]*\)|/ID\s*\[[^\]]*\]|/DocChecksum\s*/[0-9A-Fa-f]+")


def campaign_files() -> list[str]:
    listing = (REPO / "toolkit" / "data" / "example-files.txt").read_text(encoding="utf-8")
    return [line.strip().rstrip("/") for line in listing.splitlines() if line.strip() and not line.startswith("#")]


def build(code: Path, work: Path, date: str) -> Path:
    """Copy the campaign into ``work`` and build it with the toolkit in ``code``; returns the output folder."""
    work.mkdir(parents=True)
    for name in campaign_files():
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, work / name)
        else:
            shutil.copy2(source, work / name)
    home = work.parent / f"home-{work.name}"
    home.mkdir()
    env = {**os.environ, "PYTHONPATH": str(code), "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-c", "import sys; from toolkit.cli import main; sys.exit(main())", "build", "--date", date]
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"build with {code} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    check = subprocess.run([sys.executable, "-c", "import toolkit; print(toolkit.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True, check=True)
    assert Path(check.stdout.strip()).resolve().is_relative_to(code.resolve()), check.stdout
    return work / "ut"


def _zip_members(data: bytes, docx: bool) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = []
        for info in archive.infolist():
            body = archive.read(info)
            if docx and info.filename == "docProps/core.xml":
                body = CORE_TIMES.sub(rb"\1\3", body)
            members.append((info.filename, body))
        return members


def normalised(path: Path) -> object:
    data = path.read_bytes()
    if path.name == ".toolkit-pakke.json":
        manifest = json.loads(data)
        manifest.pop("written_at", None)
        manifest["files"] = {name: entry[0] for name, entry in manifest.get("files", {}).items()}
        return manifest
    if path.suffix.lower() == ".pdf":
        return PDF_STAMPS.sub(b"", data)
    if path.suffix.lower() in (".docx", ".zip"):
        return _zip_members(data, path.suffix.lower() == ".docx")
    return data


def compare(old: Path, new: Path) -> tuple[list[str], list[str], int]:
    old_files = {p.relative_to(old).as_posix() for p in old.rglob("*") if p.is_file()}
    new_files = {p.relative_to(new).as_posix() for p in new.rglob("*") if p.is_file()}
    only = [f"only in the old build: {f}" for f in sorted(old_files - new_files)]
    only += [f"only in the new build: {f}" for f in sorted(new_files - old_files)]
    different = []
    same_after_normalising = 0
    for name in sorted(old_files & new_files):
        a, b = old / name, new / name
        if a.read_bytes() == b.read_bytes():
            continue
        if normalised(a) == normalised(b):
            same_after_normalising += 1
        else:
            different.append(name)
    return only, different, same_after_normalising


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old_commit")
    parser.add_argument("--date", default="2026-12-03")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where it is")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="compare-build-"))
    try:
        old_code = folder / "old-code"
        old_code.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.old_commit, "toolkit"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(old_code)], input=archive.stdout, check=True)
        old_out = build(old_code, folder / "old", args.date)
        new_out = build(REPO, folder / "new", args.date)
        only, different, normalised_count = compare(old_out, new_out)
        total = sum(1 for p in new_out.rglob("*") if p.is_file())
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "toolkit"], capture_output=True, text=True).stdout.strip()
        print(f"old: {args.old_commit}; new: this tree ({head}{' with uncommitted changes' if dirty else ''}); "
              f"toolkit build --date {args.date}")
        print(f"{total} files in the new build; {normalised_count} equal once the dates meant to differ are taken out; "
              f"{len(different)} differ; {len(only)} in one build only.")
        for line in only:
            print("  " + line)
        for name in different:
            print(f"  differs: {name}")
        if args.keep:
            print(f"builds kept in {folder}")
        sys.exit(1 if only or different else 0)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
