"""Packs the shipped example campaign into the wheel, so that `toolkit init` works without the repository.

The example lives at the repository's root, where the organisers edit and the tests read it; the
build copies the files named in toolkit/data/example-files.txt into toolkit/data/example/ inside the
built package. Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def example_names():
    lines = (ROOT / "toolkit" / "data" / "example-files.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


class BuildWithExample(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "toolkit" / "data" / "example"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in example_names():
            source = ROOT / name.rstrip("/")
            if source.is_dir():
                shutil.copytree(source, target / source.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(source, target / source.name)


setup(cmdclass={"build_py": BuildWithExample})
