"""Shared fixtures: a private copy of the shipped campaign for every test that writes."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN_FILES = ("campaign.yaml", "demands.yaml", "facts.yaml", "recipients.csv")
CAMPAIGN_FOLDERS = ("letter_templates",)
LETTER_DATE = date(2026, 11, 25)
# Files a run writes into the campaign folder: a developer's run at the root must not leak into tests.
RUN_STATE = {"opeds-status.csv"}


def copy_campaign(target: Path) -> Path:
    """Copy the shipped campaign (files and templates the toolkit reads) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in CAMPAIGN_FILES:
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, target / name)
    for extra in sorted(ROOT.glob("*.csv")) + sorted(ROOT.glob("*.yaml")):
        if extra.name in RUN_STATE:
            continue
        if not (target / extra.name).exists():
            shutil.copy(extra, target / extra.name)
    for folder in CAMPAIGN_FOLDERS:
        shutil.copytree(ROOT / folder, target / folder)
    return target


@pytest.fixture
def campaign_dir(tmp_path: Path) -> Path:
    return copy_campaign(tmp_path / "kampanje")


@pytest.fixture(autouse=True)
def no_real_home(tmp_path_factory, monkeypatch):
    """Tests never read or write the real home folder or the real keyring."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    # Nor the real keyring, nor a password the developer's shell happens to hold.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("TOOLKIT_SMTP_PASSWORD", raising=False)


@pytest.fixture(autouse=True)
def no_case_pdf(request, monkeypatch):
    """The case attachment's PDF costs a LibreOffice start (seconds) on every letters run; only tests
    marked ``case_pdf`` make it, so the suite stays fast where LibreOffice is installed."""
    if request.node.get_closest_marker("case_pdf") is None:
        monkeypatch.setattr("toolkit.letters.case.CONVERT_TO_PDF", False)
