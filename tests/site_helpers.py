"""A campaign for the site's tests: the shipped one with the 169 made-up representatives imported."""

from __future__ import annotations

from pathlib import Path

import stortinget_data as data
from conftest import copy_campaign
from helpers import read_rows, run, write_rows

# Oslo's representatives whose (made-up) addresses count as checked; the rest have none verified.
VERIFIED_IN_OSLO = 3
HOSTILE_NAME = "Åse <script>alert('navn')</script> & «Ærlig»"
HOSTILE_TITLE = "Forebygg <img src=x onerror=alert('krav')> & «mer»"
HOSTILE_EXAMPLE = "Et eksempel med <script>alert('eksempel')</script> og <b>fet</b> tekst & «sitat» i seg, langt nok til å telle med."
MUNICIPALITIES = "kommune;valgdistrikt\nLunner;Akershus\nBærum;Ak\nSandefjord;Vestfold\nÅs;Akershus\nVåler;Østfold\nVåler;He\n"


def site_campaign(folder: Path, hostile: bool = False, municipalities: bool = True) -> Path:
    """The shipped campaign with the 169 representatives imported and three Oslo addresses verified."""
    campaign = copy_campaign(folder)
    answer = folder.parent / f"{folder.name}-dagensrepresentanter.xml"
    answer.write_bytes(data.to_xml(data.people()))
    result = run("recipients", "import-stortinget", "--campaign", str(campaign), "--file", str(answer))
    assert result.exit_code == 0, result.output
    path = campaign / "recipients.csv"
    rows = read_rows(path)
    oslo = [row for row in rows if row["kind"] == "mp" and row["county"] == "Os"]
    for number, row in enumerate(oslo[:VERIFIED_IN_OSLO]):
        row.update(email=f"representant-oslo-{number}@example.org", email_verified="ja", email_verified_on="2026-11-20")
    if hostile:
        oslo[-1]["name"] = HOSTILE_NAME
        text = (campaign / "demands.yaml").read_text(encoding="utf-8")
        text = text.replace("title: Forebygg menneskehandel der den starter", f'title: "{HOSTILE_TITLE}"', 1)
        (campaign / "demands.yaml").write_text(text, encoding="utf-8")
        examples = campaign / "letter_templates" / "nb" / "site_examples.txt"
        examples.write_text(examples.read_text(encoding="utf-8") + "\n" + HOSTILE_EXAMPLE + "\n", encoding="utf-8")
    write_rows(path, rows)
    if municipalities:
        (campaign / "kommuner.csv").write_text(MUNICIPALITIES, encoding="utf-8")
    return campaign


def representatives(campaign: Path, district: str) -> list[dict[str, str]]:
    """The district's representatives as recipients.csv has them."""
    return [row for row in read_rows(campaign / "recipients.csv") if row["kind"] == "mp" and row["county"] == district]
