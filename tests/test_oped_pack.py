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
from conftest import ROOT
from helpers import read_rows, run, write_rows

from toolkit.validate import check_campaign

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


def pieces_plan(campaign_dir: Path, today: date):
    """The plan as the planner makes it for the campaign folder on ``today``."""
    from toolkit.opeds.plan import plan_opeds

    campaign, problems = check_campaign(campaign_dir, today)
    assert not problems.errors, problems.errors
    return campaign, plan_opeds(campaign.opeds, today, campaign.days)


@pytest.mark.parametrize("today", [date(2026, 11, 16), date(2026, 11, 25)])
def test_shipped_plan_one_outlet_per_piece_lead_days_and_spacing(campaign_dir, today):
    """On the shipped data: every piece pitched (the opening piece, which belongs to 25 November,
    only when planned before its lead days run out), one outlet per piece on every day of the plan,
    fall-backs not counted as submissions, lead days kept, and no outlet or signatory with two pieces
    within seven days."""
    campaign, plan = pieces_plan(campaign_dir, today)
    setup = campaign.opeds
    pitched = {p.piece for p in plan.pieces if p.current}
    if today == date(2026, 11, 16):
        assert pitched == {s.id for s in setup.pieces}
    else:
        assert pitched == {s.id for s in setup.pieces} - {"apning"}
        opening = plan.piece_plan("apning")
        assert "rekker lenger å trykke det 25. november" in opening.not_pitched
    for day in plan.days:
        for p in plan.pieces:
            with_it = {s.outlet for s in p.earlier + [p.current] if s and s.day <= day}
            assert len(with_it) <= 1, (p.piece, day)
    assert len(plan.submissions) == len(pitched), "fall-backs are not submissions"
    for p in plan.pieces:
        spec = setup.piece(p.piece)
        if p.current and spec.publish_on:
            for pitch in [p.current] + p.fallbacks:
                assert pitch.day <= spec.publish_on - timedelta(days=setup.lead(setup.outlet(pitch.outlet)))
                assert setup.outlet(pitch.outlet).publish_date
    sends = plan.submissions
    for first in sends:
        for second in sends:
            if first is not second:
                close = abs((first.day - second.day).days) < 7
                assert not (close and first.outlet == second.outlet), (first, second)
                assert not (close and first.signatory == second.signatory), (first, second)


def test_shipped_plan_on_disk_is_one_row_per_piece(planned):
    rows = plan_rows(planned)
    campaign, _ = check_campaign(planned, date(2026, 11, 25))
    assert [r["innlegg"] for r in rows] == [p.id for p in campaign.opeds.pieces]
    assert sum(1 for r in rows if r["status"] == "planlagt") == len(status_rows(planned)) == 7
    closing = next(r for r in rows if r["innlegg"] == "avslutning")
    assert closing["trykkes"] == "2026-12-10" and closing["svar ventet"]
    assert "ikke sendt" == next(r for r in rows if r["innlegg"] == "apning")["status"]
    # Dated pieces' cover notes ask for their day; the sender gets the answer date and no false claim.
    for row in rows:
        if not row["fil"]:
            continue
        note = "\n".join(p.text for p in piece_and_cover(planned / "ut" / row["fil"])[2])
        nynorsk = row["språk"] == "nynorsk"
        if row["trykkes"]:
            day = date.fromisoformat(row["trykkes"])
            asks = "Vi ber om at det blir publisert" if nynorsk else "Vi ber om at det publiseres"
            assert asks in note and f"{day.day}. desember" in note
        assert ("Innlegget er ikkje sendt til andre aviser." if nynorsk else "Innlegget er ikke sendt til andre aviser.") in note


def test_outlets_with_verified_rules(campaign_dir):
    campaign, _ = check_campaign(campaign_dir, date(2026, 11, 25))
    known = [o for o in campaign.opeds.outlets if o.rules_known]
    assert len(known) >= 11
    assert {"dagen", "tidsskriftet", "psykologtidsskriftet", "utdanning", "adresseavisen"} <= {o.id for o in known}
    assert all(o.source for o in known)
    # Section C of outlets-verified.md stays flagged for checking.
    for outlet_id in ("subjekt", "aftenposten", "fvn", "bt"):
        assert not next(o for o in campaign.opeds.outlets if o.id == outlet_id).rules_known


def mark(folder: Path, piece: str, status: str, answered_on: str) -> dict[str, str]:
    path = folder / "opeds-status.csv"
    rows = status_rows(folder)
    row = next(r for r in rows if r["piece"] == piece)
    row.update(status=status, answered_on=answered_on)
    write_rows(path, rows, delimiter=";")
    return row


@pytest.mark.parametrize("status, said", [("avslått", "avslått 27. november"), ("trukket", "trukket 4. desember")])
def test_after_a_decline_or_a_withdrawal_the_fall_back_is_written_and_the_note_tells_the_truth(planned, status, said):
    rows = plan_rows(planned)
    before = next(r for r in rows if r["innlegg"] == "forebygging")
    fallback = before["deretter"].split("; ")[0].rsplit(" ", 1)[0]
    answered = "2026-11-27" if status == "avslått" else "2026-12-04"
    first = mark(planned, "forebygging", "sendt", "")
    mark(planned, "forebygging", status, answered)
    result = run("opeds", "--campaign", str(planned), "--date", answered)
    assert result.exit_code == 0, result.output
    after = next(r for r in plan_rows(planned) if r["innlegg"] == "forebygging")
    assert after["avis"] == fallback and after["status"] == "planlagt" and after["dato"] >= answered
    assert after["underskriver"] == before["underskriver"], "the byline is kept"
    sent = date.fromisoformat(before["dato"])
    offered = f"tilbudt {before['avis']} {sent.day}. {['november', 'desember'][sent.month - 11]}, {said}"
    assert after["tidligere"] == offered
    assert [r["status"] for r in status_rows(planned) if r["piece"] == "forebygging"] == [status, "planlagt"]
    _, piece, cover = piece_and_cover(planned / "ut" / after["fil"])
    note = "\n".join(p.text for p in cover)
    assert "ikke sendt til andre aviser" not in note
    assert f"Innlegget har tidligere vært {offered}." in note
    assert f"Nå er det bare sendt til {fallback}." in note
    if status == "trukket":
        assert f"Si fra til {before['avis']} at innlegget er trukket" in note
    assert first["date"] == before["dato"]


def test_a_local_outlets_document_has_the_marked_local_paragraph(planned):
    campaign, _ = check_campaign(planned, date(2026, 11, 25))
    local = {o.name: o for o in campaign.opeds.outlets if o.is_local}
    rows = [r for r in plan_rows(planned) if r["avis"] in local]
    assert len(rows) >= 2, "the shipped plan sends pieces to regional and local outlets"
    for row in rows:
        assert row["lokalt avsnitt"] == "skrives av underskriveren"
        _, piece, cover = piece_and_cover(planned / "ut" / row["fil"])
        marked = [p for p in piece if p.text.startswith("[SKRIV HER: lokalt avsnitt")]
        assert len(marked) == 1 and marked[0].style.name == "Cover Note"
        from toolkit.opeds.outlets import DISTRICTS

        assert any(DISTRICTS[d] in marked[0].text for d in local[row["avis"]].coverage)
        assert piece.index(marked[0]) == len(piece) - 3, "before the closing paragraph and the byline"
        note = "\n".join(p.text for p in cover)
        assert "Før du sender: skriv det lokale avsnittet der det står SKRIV HER" in note
        # The marked paragraph is not counted: the plan's count is the text without it.
        assert row["lengde"] == f"{counted(piece, 'chars')} tegn"


def test_county_facts_fill_the_local_paragraph(campaign_dir):
    with (campaign_dir / "facts.yaml").open("a", encoding="utf-8") as f:
        f.write(
            "\n  - id: test-lokalt-trondelag\n"
            "    text: Testfaktum om Trøndelag, skrevet bare for denne testen i 2025.\n"
            "    source: Testkilde\n    year: 2025\n    county: Trøndelag\n"
        )
    assert run("opeds", "--campaign", str(campaign_dir), "--date", "2026-11-25").exit_code == 0
    row = next(r for r in plan_rows(campaign_dir) if r["avis"] == "Adresseavisen")
    assert row["lokalt avsnitt"] == "fra facts.yaml"
    _, piece, cover = piece_and_cover(campaign_dir / "ut" / row["fil"])
    text = "\n".join(p.text for p in piece)
    assert "Testfaktum om Trøndelag, skrevet bare for denne testen i 2025, ifølge Testkilde." in text
    assert "SKRIV HER" not in text


def test_every_document_reopens_with_title_byline_and_a_length_within_the_limit(planned):
    campaign, _ = check_campaign(planned, date(2026, 11, 25))
    setup = campaign.opeds
    rows = [r for r in plan_rows(planned) if r["status"] != "ikke sendt"]
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


def test_the_next_run_respects_what_the_organiser_wrote(planned):
    path = planned / "opeds-status.csv"
    rows = status_rows(planned)
    first, second = rows[0], rows[1]
    first.update(status="sendt", notes="Sendt av Kari; =ikke en formel")
    second.update(status="antatt", answered_on="2026-11-27")
    for row in rows:
        row["egen kolonne"] = "mitt notat" if row is first else ""
    write_rows(path, rows, delimiter=";")
    result = run("opeds", "--campaign", str(planned), "--date", "2026-11-30")
    assert result.exit_code == 0, result.output
    again = status_rows(planned)
    kept = next(r for r in again if r["date"] == first["date"] and r["outlet"] == first["outlet"])
    assert kept["status"] == "sendt" and kept["notes"] == "Sendt av Kari; =ikke en formel"
    assert kept["egen kolonne"] == "mitt notat"
    accepted = [r for r in again if r["piece"] == second["piece"]]
    assert [r["status"] for r in accepted] == ["antatt"], "an accepted piece is planned nowhere else"
    # Days already gone by and not marked as sent are reported, and still hold their piece.
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


def test_build_includes_the_op_eds(campaign_dir):
    result = run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert "Kronikker: 7 av 8 innlegg har en avis" in result.output
    assert len(list((campaign_dir / "ut" / "opeds").glob("*.docx"))) == 7
    assert (campaign_dir / "ut" / "opeds" / "plan.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_invalid_op_ed_files_stop_the_run_and_write_nothing(campaign_dir):
    path = campaign_dir / "outlets.csv"
    rows = read_rows(path)
    next(r for r in rows if r["id"] == "nationen").update(kronikk_max="1000", debate_max="500")
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
    assert "7 av 8 innlegg har en avis" in result.stdout
    # The opening piece belongs to 25 November: on that day no outlet can print it in time, and the run says so.
    assert re.search(r"apning: IKKE SENDT, skal stå på trykk 25\. november: ingen avis rekker", result.stdout), result.stdout
    assert "apning" not in {r["piece"] for r in status_rows(campaign_dir)}


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
    assert opening == [("2026-11-25", "aftenposten")]
    _, piece, cover = piece_and_cover(campaign_dir / "ut" / "opeds" / "2026-11-25-aftenposten-apning.docx")
    assert "kronikk på bokmål, grensen er ukjent. Teksten har" in "\n".join(p.text for p in cover)


def test_after_the_period_nothing_is_planned_and_a_later_day_starts_there(campaign_dir):
    assert run("opeds", "--campaign", str(campaign_dir), "--date", "2026-12-07").exit_code == 0
    rows = plan_rows(campaign_dir)
    sent = [r for r in rows if r["status"] == "planlagt"]
    assert sent and all(r["dato"] >= "2026-12-07" for r in sent)
    # The closing piece belongs to 10 December: with five lead days it is too late on 7 December.
    closing = next(r for r in rows if r["innlegg"] == "avslutning")
    assert closing["status"] == "ikke sendt" and "10. desember" in closing["merknad"]
    after = run("opeds", "--campaign", str(campaign_dir), "--date", "2026-12-11")
    assert after.exit_code == 0 and "perioden er over" in after.output


def test_a_sent_piece_past_its_answer_date_stays_and_the_run_says_what_to_do(planned):
    row = mark(planned, "forebygging", "sendt", "")
    later = (date.fromisoformat(row["date"]) + timedelta(days=5)).isoformat()
    result = run("opeds", "--campaign", str(planned), "--date", later)
    assert result.exit_code == 0, result.output
    line = next(each for each in result.output.splitlines() if each.strip().startswith("forebygging:"))
    assert "(sendt," in line and "svarfristen er passert" in line and "«trukket»" in line
    plan_row = next(r for r in plan_rows(planned) if r["innlegg"] == "forebygging")
    assert plan_row["status"] == "sendt" and plan_row["dato"] == row["date"] and "svarfristen er passert" in plan_row["merknad"]
    assert [r["status"] for r in status_rows(planned) if r["piece"] == "forebygging"] == ["sendt"]


def test_two_pieces_to_one_outlet_within_the_gap_in_the_status_file_are_reported(campaign_dir):
    (campaign_dir / "opeds-status.csv").write_text(
        "date;outlet;piece;version;language;signatory;status;answered_on;notes\n"
        "2026-11-25;vg;slaveri;debatt;nb;Kari Eksempel;sendt;;\n"
        "2026-11-29;vg;rettsvern;debatt;nb;Åse Øvrebø-Eksempel;sendt;;\n",
        encoding="utf-8",
    )
    result = run("opeds", "--campaign", str(campaign_dir), "--date", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert "vg fikk to innlegg med under 7 dagers mellomrom" in result.output
