"""`toolkit init`: a new campaign folder from the example packed into the toolkit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml
from helpers import run

from toolkit.core.starter import MARK, default_year, move_dates

ROOT = Path(__file__).resolve().parent.parent


def fill_in(folder: Path) -> None:
    """What the organiser does after `toolkit init`: the organisation's own details for every «FYLL INN»."""
    path = folder / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(f'"{MARK}: organisasjonens fulle navn"', "Kvinnegruppa i Eksempelby")
    text = text.replace(f'["{MARK}: postadresse", "{MARK}: postnummer og sted"]', '["Postboks 1", "9999 Eksempelby"]')
    text = text.replace('"https://fyll-inn.example.org"', "https://kvinnegruppa.example.org")
    text = text.replace("fyll-inn@example.org", "post@kvinnegruppa.example.org")
    text = text.replace("fyll-inn.example.org", "smtp.kvinnegruppa.example.org")
    text = re.sub(rf'"{MARK}: navn (\d)"', r"Person \1 Eksempel", text)
    text = re.sub(rf'"{MARK}: rolle (\d)"', "styremedlem", text)
    assert "fyll" not in text.lower()
    path.write_text(text, encoding="utf-8")


def test_init_moves_dates_marks_the_organisation_and_never_writes_into_a_full_folder(tmp_path):
    folder = tmp_path / "kampanje-2027"
    result = run("init", str(folder), "--year", "2027")
    assert result.exit_code == 0, result.output
    names = {p.name for p in folder.iterdir()}
    assert {"campaign.yaml", "demands.yaml", "facts.yaml", "posts.yaml", "observances.yaml", "outlets.csv",
            "signatories.csv", "recipients.csv", "letter_templates", "LESMEG.md"} <= names
    assert "opeds-status.csv" not in names and "supporters.csv" not in names
    config = yaml.safe_load((folder / "campaign.yaml").read_text(encoding="utf-8"))
    assert config["year"] == 2027
    assert (str(config["period"]["start"]), str(config["period"]["end"])) == ("2027-11-25", "2027-12-10")
    posts = yaml.safe_load((folder / "posts.yaml").read_text(encoding="utf-8"))["posts"]
    assert {str(p["date"])[:4] for p in posts} == {"2027"}
    observances = yaml.safe_load((folder / "observances.yaml").read_text(encoding="utf-8"))["observances"]
    assert {str(o["date"])[:4] for o in observances} == {"2027"}
    # Facts keep their own years: a figure's year is when it was measured, not the campaign's.
    assert (folder / "facts.yaml").read_bytes() == (ROOT / "facts.yaml").read_bytes()
    readme = (folder / "LESMEG.md").read_text(encoding="utf-8")
    assert "25. november 2027" in readme and "letterhead.docx" in readme and "import-stortinget" in readme

    result = run("validate", "--campaign", str(folder))
    assert result.exit_code == 2
    assert "campaign.yaml, linje 9, felt «organisation.name»: «FYLL INN: organisasjonens fulle navn» er ikke fylt inn." in result.output
    for field in ("organisation.email", "organisation.website", "signatories[1].name", "smtp.host"):
        assert f"felt «{field}»" in result.output

    # Never into a folder with files in it: nothing there is touched.
    (folder / "campaign.yaml").write_text("mitt eget\n", encoding="utf-8")
    before = sorted(p.name for p in folder.iterdir())
    again = run("init", str(folder))
    assert again.exit_code == 1 and "har allerede filer i seg" in again.output and "Traceback" not in again.output
    assert sorted(p.name for p in folder.iterdir()) == before
    assert (folder / "campaign.yaml").read_text(encoding="utf-8") == "mitt eget\n"


def test_weekdays_in_comments_follow_the_year():
    text = "# --- Dag 1, onsdag 25. november: åpning\n    date: 2026-11-25\nyear: 2026\nsource: ILO (2022), 2026-01-05\n"
    moved = move_dates(text, 2027)
    assert "torsdag 25. november" in moved and "date: 2027-11-25" in moved and "year: 2027" in moved
    assert "ILO (2022), 2026-01-05" in moved  # dates outside the period stay


def test_default_year():
    from datetime import date

    assert default_year(date(2027, 3, 1)) == 2027
    assert default_year(date(2027, 12, 10)) == 2027
    assert default_year(date(2027, 12, 11)) == 2028


def test_wheel_installed_in_a_fresh_venv_makes_a_campaign_that_builds(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(dist), str(ROOT)], check=True, capture_output=True, timeout=600)
    wheel = next(dist.glob("campaign_toolkit-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "toolkit/data/example/campaign.yaml" in names
    assert "toolkit/data/example/letter_templates/nb/_letter.j2" in names

    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python, toolkit = venv / "bin" / "python", venv / "bin" / "toolkit"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, capture_output=True, timeout=1200)
    # Run outside the repository, with nothing of it on the path: only the installed toolkit.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    work = tmp_path / "arbeid"
    work.mkdir()

    def toolkit_run(*args):
        return subprocess.run([str(toolkit), *args], cwd=work, env=env, capture_output=True, text=True, timeout=600)

    result = toolkit_run("init", "kampanje", "--year", "2027")
    assert result.returncode == 0, result.stderr
    located = subprocess.run([str(python), "-c", "import toolkit.core.starter as m; print(m.example_folder())"],
                             cwd=work, env=env, capture_output=True, text=True, check=True)
    assert "site-packages" in located.stdout  # the example came from the wheel, not the repository
    result = toolkit_run("validate", "--campaign", "kampanje")
    assert result.returncode == 2
    assert "er ikke fylt inn" in result.stderr and "organisation.name" in result.stderr
    fill_in(work / "kampanje")
    result = toolkit_run("validate", "--campaign", "kampanje")
    assert result.returncode == 0, result.stderr
    result = toolkit_run("build", "--campaign", "kampanje", "--date", "2027-11-25")
    assert result.returncode == 0, result.stdout + result.stderr
    out = work / "kampanje" / "ut"
    letters = list((out / "letters").glob("*.docx"))
    assert len(letters) >= 5  # one letter per inbox (issue 14)
    text = next((out / "letters").glob("*.txt")).read_text(encoding="utf-8")
    assert "Kvinnegruppa i Eksempelby" in text and "25. november 2027" in text
    assert (out / "calendar" / "index.html").is_file() and list((out / "calendar" / "bilder").glob("*.jpg"))
