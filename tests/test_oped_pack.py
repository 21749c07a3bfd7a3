"""`toolkit opeds` and the op-eds in `toolkit build`: the plan on disk, every DOCX reopened and counted."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import docx
import pytest

from toolkit.oped_plan import week_of
from toolkit.validate import check_campaign

from conftest import ROOT
from helpers import read_rows, run, write_rows

COUNTED = {"Title", "Ingress", "Body", "Heading 2", "List Bullet"}
PERIOD = [date(2026, 11, 25) + timedelta(days=i) for i in range(16)]


def plan_rows(folder: Path) -> list[dict[str, str]]:
    text = (folder / "ut" / "opeds" / "plan.csv").read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def status_rows(folder: Path) -> list[dict[str, str]]:
    text = (folder / "opeds-status.csv").read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","))


def piece_and_cover(path: Path):
    """The piece's paragraphs (title to byline) and the cover note's, as python-docx reads them."""
    document = docx.Document(path)
    paragraphs = document.paragraphs
    byline = next(i for i, p in enumerate(paragraphs) if p.style.name == "Byline")
    return document, paragraphs[: byline + 1], paragraphs[byline + 1:]


def counted(paragraphs, unit: str) -> int:
    texts = [p.text for p in paragraphs if p.style.name in COUNTED]
    return sum(len(t) for t in texts) if unit == "chars" else sum(len(t.split()) for t in texts)


@pytest.fixture
def planned(campaign_dir):
    result = run("opeds", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    return campaign_dir


def test_shipped_campaign_plan_covers_every_day_the_outlets_allow(planned):
    rows = status_rows(planned)
    days = {date.fromisoformat(r["date"]) for r in rows}
    campaign, _ = check_campaign(planned, date(2026, 11, 25))
    usable = [o for o in campaign.opeds.outlets if o.rules_known]
    # An outlet takes one piece a calendar week, so no week can have more days covered than there
    # are outlets with known rules: six outlets leave one of the seven days of 30 Nov – 6 Dec empty.
    for week in sorted({week_of(d) for d in PERIOD}):
        in_week = [d for d in PERIOD if week_of(d) == week]
        assert len([d for d in in_week if d in days]) == min(len(in_week), len(usable)), week
    assert len(usable) == 6 and len(days) == 15
    assert all(r["status"] == "planlagt" for r in rows)


def test_with_a_seventh_known_outlet_every_day_gets_a_submission(campaign_dir):
    """The 16 days are covered as soon as one more outlet's limits are filled in (here: Subjekt, as a test)."""
    path = campaign_dir / "outlets.csv"
    rows = read_rows(path)
    next(r for r in rows if r["id"] == "subjekt").update(debate_max="3000", count_unit="chars")
    write_rows(path, rows)
    assert run("opeds", "--campaign", str(campaign_dir), "--date", "2026-11-25").exit_code == 0
    days = {date.fromisoformat(r["date"]) for r in status_rows(campaign_dir)}
    assert days == set(PERIOD)


def test_every_document_reopens_with_title_byline_and_a_length_within_the_limit(planned):
    campaign, _ = check_campaign(planned, date(2026, 11, 25))
    setup = campaign.opeds
    rows = plan_rows(planned)
    assert rows and all(r["fil"] for r in rows)
    files = sorted((planned / "ut" / "opeds").glob("*.docx"))
    assert [f"opeds/{f.name}" for f in files] == sorted(r["fil"] for r in rows)
    for row in rows:
        outlet = next(o for o in setup.outlets if o.name == row["avis"])
        signatory = setup.signatory(row["underskriver"])
        version = "kronikk" if row["versjon"] == "kronikk" else "debatt"
        document, piece, cover = piece_and_cover(planned / "ut" / row["fil"])
        section = document.sections[0]
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
        assert piece[0].style.name == "Title" and piece[0].text == row["tittel"]
        assert piece[1].style.name == "Ingress" and piece[1].text
        assert piece[-1].text == f"{signatory.name}, {signatory.role}"
        assert document.core_properties.title == row["tittel"]
        count = counted(piece, outlet.unit)
        limit = outlet.limits[version]
        assert count <= limit.high and (limit.low is None or count >= limit.low), (row["fil"], count, limit)
        assert row["lengde"] == f"{count} {'tegn' if outlet.unit == 'chars' else 'ord'}"
        # The cover note starts on a page of its own and carries what the sender needs.
        assert cover[0].style.name == "Cover Note" and cover[0].paragraph_format.page_break_before
        note = "\n".join(p.text for p in cover)
        if outlet.submission_verified:
            assert f"Til: {outlet.submission_email}" in note
        else:
            unverified = "adressa er ikkje stadfesta – sjekk" if row["språk"] == "nynorsk" else "adresse ikke verifisert – sjekk"
            assert unverified in note and outlet.source in note
        assert f"Teksten har {count:,}".replace(",", "\u00a0") in note
        photo = "vil ha eit bilete av deg" if row["språk"] == "nynorsk" else "vil ha et bilde av deg"
        assert (photo in note) == outlet.photo_required
        day = date.fromisoformat(row["dato"])
        assert f"{day.day}. {['november', 'desember'][day.month - 11]} 2026" in note
        # The text copy is the piece alone, for pasting into an e-mail.
        text = (planned / "ut" / row["fil"]).with_suffix(".txt").read_text(encoding="utf-8")
        assert text.startswith(row["tittel"]) and "Til deg som sender" not in text


def test_no_piece_sits_with_two_outlets_at_once(planned):
    campaign, _ = check_campaign(planned, date(2026, 11, 25))
    wait = campaign.opeds.wait_days
    by_piece: dict[str, list[tuple[date, str]]] = {}
    for row in status_rows(planned):
        by_piece.setdefault(row["piece"], []).append((date.fromisoformat(row["date"]), row["outlet"]))
    for piece, sends in by_piece.items():
        sends.sort()
        for (first, _), (second, _) in zip(sends, sends[1:]):
            assert (second - first).days >= wait, piece
        assert len({outlet for _, outlet in sends}) == len(sends)
    weeks = [(row["outlet"], week_of(date.fromisoformat(row["date"]))) for row in status_rows(planned)]
    assert len(weeks) == len(set(weeks))


def test_the_next_run_respects_what_the_organiser_wrote(planned):
    path = planned / "opeds-status.csv"
    rows = status_rows(planned)
    first, second = rows[0], rows[1]
    first.update(status="sendt", notes="Sendt av Kari; =ikke en formel")
    second.update(status="antatt", answered_on="2026-11-27")
    for row in rows:
        row["egen kolonne"] = "mitt notat" if row is first else ""
    write_rows(path, rows, delimiter=";")
    result = run("opeds", "--campaign", str(planned), "--date", "2026-11-28")
    assert result.exit_code == 0, result.output
    again = status_rows(planned)
    kept = next(r for r in again if r["date"] == first["date"] and r["outlet"] == first["outlet"])
    assert kept["status"] == "sendt" and kept["notes"] == "Sendt av Kari; =ikke en formel"
    assert kept["egen kolonne"] == "mitt notat"
    accepted = [r for r in again if r["piece"] == second["piece"]]
    assert [r["status"] for r in accepted] == ["antatt"], "an accepted piece is planned nowhere else"
    # Days already gone by and not marked as sent are reported, and still hold their outlet's week.
    assert "står fortsatt som planlagt" in result.output
    # The documents follow the plan: the accepted piece has no document; the sent one keeps its own.
    names = {p.name for p in (planned / "ut" / "opeds").glob("*.docx")}
    assert not any(second["piece"] in n and n > "2026-11-27" for n in names)
    assert f"{first['date']}-{first['outlet']}-{first['piece']}.docx" in names


def test_same_files_same_plan_and_documents(planned):
    before = {p.name: p.read_bytes() for p in (planned / "ut" / "opeds").iterdir()}
    status = (planned / "opeds-status.csv").read_bytes()
    result = run("opeds", "--campaign", str(planned), "--date", "2026-11-25")
    assert result.exit_code == 0
    assert {p.name: p.read_bytes() for p in (planned / "ut" / "opeds").iterdir()} == before
    assert (planned / "opeds-status.csv").read_bytes() == status
    assert "Planen er skrevet" not in result.output


def test_a_fresh_plan_from_a_later_day_starts_that_day(campaign_dir):
    assert run("opeds", "--campaign", str(campaign_dir), "--date", "2026-12-07").exit_code == 0
    days = sorted(date.fromisoformat(r["date"]) for r in status_rows(campaign_dir))
    assert days == [date(2026, 12, 7) + timedelta(days=i) for i in range(4)]
    after = run("opeds", "--campaign", str(campaign_dir), "--date", "2026-12-11")
    assert after.exit_code == 0 and "perioden er over" in after.output


def test_build_includes_the_op_eds(campaign_dir):
    result = run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert "Kronikker: 15 innsendinger" in result.output
    assert len(list((campaign_dir / "ut" / "opeds").glob("*.docx"))) == 15
    assert (campaign_dir / "ut" / "opeds" / "plan.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_invalid_op_ed_files_stop_the_run_and_write_nothing(campaign_dir):
    path = campaign_dir / "outlets.csv"
    rows = read_rows(path)
    next(r for r in rows if r["id"] == "nationen").update(kronikk_max="4000")
    write_rows(path, rows)
    result = run("opeds", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 2
    assert "tegn for mye" in result.output and "Traceback" not in result.output
    assert not (campaign_dir / "ut").exists() and not (campaign_dir / "opeds-status.csv").exists()


def test_help_and_subprocess_run(campaign_dir):
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(campaign_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "toolkit", "opeds", "--date", "2026-11-25"],
        cwd=campaign_dir, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "15 av 16 dager" in result.stdout
    # Six outlets with known rules leave one day of the week 30 Nov – 6 Dec empty. Which day depends
    # on the pieces and their languages, so the test reads it and checks it against the status file.
    empty = re.search(r"Dager uten innsending: (\d+)\. (november|desember)\.", result.stdout)
    assert empty, result.stdout
    day = date(2026, 11 if empty.group(2) == "november" else 12, int(empty.group(1)))
    assert week_of(day) == week_of(date(2026, 12, 1))
    assert day not in {date.fromisoformat(r["date"]) for r in status_rows(campaign_dir)}


def test_a_piece_sent_outside_the_plan_is_respected(campaign_dir):
    """The organiser sent the opening piece to Aftenposten on their own: it is held there, and
    Aftenposten's rules being unknown does not stop the document from being made."""
    (campaign_dir / "opeds-status.csv").write_text(
        "date;outlet;piece;version;language;signatory;status;answered_on;notes\n"
        "2026-11-25;Aftenposten;apning;kronikk;nb;Kari Eksempel;sendt;;sendt på eget initiativ\n",
        encoding="utf-8",
    )
    result = run("opeds", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    rows = status_rows(campaign_dir)
    opening = sorted((r["date"], r["outlet"]) for r in rows if r["piece"] == "apning")
    assert opening[0] == ("2026-11-25", "aftenposten")
    assert all(day >= "2026-11-28" for day, _ in opening[1:])
    _, piece, cover = piece_and_cover(campaign_dir / "ut" / "opeds" / "2026-11-25-aftenposten-apning.docx")
    assert "kronikk på bokmål, grensen er ukjent. Teksten har" in "\n".join(p.text for p in cover)
